/**
 * Recipe validation, a pure function of the parsed document (no file system: the language server runs it on every
 * keystroke; file checks live in load.ts).
 *
 *  1. `validateAgainstSchema` walks the YAML AST alongside `recipeJsonSchema` (BK2001-BK2005, BK2011, BK2012):
 *     there is no second list of keys, types or ranges anywhere.
 *  2. `checkRecipeRules` checks what a JSON Schema cannot say well (BK2006-BK2013): conflicting spellings of the same
 *     field, exactly one teacher source, hidden % heads, data files required by the task, maxLength vs positions.
 *  3. `checkStageGraph` (stage-graph.ts): BK3xxx and BK4xxx.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { makeDiagnostic, nearestName, sortDiagnostics, type RecipeDiagnostic } from './diagnostics.js';
import { OPTIMIZER_KEYS } from './defaults.js';
import { recipeJsonSchema, type JsonSchema, type JsonType } from './schema.js';
import { deref, formatPath, headRange, nodeRange, rangeOfPath, type KeyPath, type RecipeSource } from './source.js';
import { checkStageGraph } from './stage-graph.js';

/** Every diagnostic of a syntactically valid recipe document, in text order. */
export function validateRecipeSource(src: RecipeSource): RecipeDiagnostic[] {
  const out: RecipeDiagnostic[] = [];
  validateAgainstSchema(src, recipeJsonSchema, out);
  const raw: unknown = src.doc.toJS({ maxAliasCount: 1000 });
  checkRecipeRules(src, raw, out);
  checkStageGraph(src, raw, out);
  return sortDiagnostics(out);
}

// ------------------------------------------------------------------------------------------------ schema walk

export function validateAgainstSchema(src: RecipeSource, schema: JsonSchema, out: RecipeDiagnostic[]): void {
  walk(src, deref(src, src.doc.contents), null, schema, [], out, 0);
}

function jsonTypeOf(node: Node | null): JsonType {
  if (node === null || (isScalar(node) && node.value === null)) return 'null';
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
    if (typeof v === 'boolean') return 'boolean';
    if (typeof v === 'bigint') return 'integer';
  }
  return 'string';
}

function accepts(schema: JsonSchema, t: JsonType): boolean {
  if (schema.type === undefined) return true;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

const TYPE_WORDS: Record<JsonType, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  null: 'null',
};

function expectedWords(schemas: JsonSchema[]): string {
  const types = new Set<JsonType>();
  for (const s of schemas) for (const t of Array.isArray(s.type) ? s.type : s.type ? [s.type] : []) types.add(t);
  return [...types].map((t) => TYPE_WORDS[t]).join(' or ');
}

function actualWords(node: Node | null, t: JsonType): string {
  if (t === 'null') return 'empty';
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  const v = (node as { value?: unknown } | null)?.value;
  if (t === 'string') return `the string ${JSON.stringify(String(v))}`;
  if (t === 'boolean') return `the boolean ${String(v)}`;
  return `the number ${String(v)}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** The first sentence of a description (for "missing key" hints). */
function firstSentence(s: string | undefined): string {
  if (!s) return 'see the docs';
  const m = /^(.*?(?<!e\.g|i\.e)\.)(\s|$)/.exec(s);
  return (m ? m[1]! : s).replace(/\.$/, '');
}

function walk(src: RecipeSource, node: Node | null, keyNode: Node | null, schema: JsonSchema, path: KeyPath, out: RecipeDiagnostic[], depth: number): void {
  if (depth > 32) return;
  const file = src.file;
  const place = () => nodeRange(src, node) ?? nodeRange(src, keyNode) ?? headRange(src, path);
  const t = jsonTypeOf(node);

  if (schema.anyOf) {
    const branches = schema.anyOf.filter((b) => accepts(b, t));
    if (branches.length === 0) {
      const expected = expectedWords(schema.anyOf);
      out.push(makeDiagnostic('BK2002', file, place(), { path: formatPath(path), expected, actual: actualWords(node, t) }, { path, expected: schema.anyOf.map((b) => b.type) }));
      return;
    }
    walk(src, node, keyNode, branches[0]!, path, out, depth + 1);
    return;
  }

  if (!accepts(schema, t)) {
    const expected = expectedWords([schema]);
    out.push(makeDiagnostic('BK2002', file, place(), { path: formatPath(path), expected, actual: actualWords(node, t) }, { path, expected: schema.type }));
    return;
  }
  if (t === 'null') return;

  if (isScalar(node)) {
    const v = node.value;
    if (schema.enum && !schema.enum.includes(v as string | number | boolean | null)) {
      const allowed = schema.enum.map(String);
      const near = typeof v === 'string' ? nearestName(v, allowed) : undefined;
      const suggestion = near !== undefined ? `Did you mean ${show(schema.enum[allowed.indexOf(near)])}?` : `Use one of: ${allowed.join(', ')}.`;
      out.push(
        makeDiagnostic('BK2005', file, place(), { path: formatPath(path), allowed: schema.enum.map(show).join(', '), value: show(v), suggestion }, {
          path,
          value: v,
          allowed: schema.enum,
          suggestion: near === undefined ? null : schema.enum[allowed.indexOf(near)],
        }),
      );
      return;
    }
    if (typeof v === 'number') checkRange(src, schema, v, path, place, out);
    if (typeof v === 'string') {
      if (schema.minLength !== undefined && v.length < schema.minLength) {
        out.push(makeDiagnostic('BK2011', file, place(), { path: formatPath(path), rule: 'must not be empty', value: '""', advice: firstSentence(schema.description) + '.' }, { path }));
      } else if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(v)) {
        const rule = schema.patternErrorMessage ?? `must match /${schema.pattern}/`;
        out.push(makeDiagnostic('BK2011', file, place(), { path: formatPath(path), rule, value: show(v), advice: `The value ${rule}.` }, { path, pattern: schema.pattern }));
      }
    }
    return;
  }

  if (isSeq(node)) {
    if (schema.minItems !== undefined && node.items.length < schema.minItems) {
      out.push(makeDiagnostic('BK2012', file, nodeRange(src, keyNode) ?? place(), { path: formatPath(path), min: schema.minItems }, { path }));
    }
    if (schema.items) node.items.forEach((item, i) => walk(src, deref(src, item), null, schema.items!, [...path, i], out, depth + 1));
    return;
  }

  if (isMap(node)) {
    const props = schema.properties ?? {};
    const allowedKeys = Object.keys(props);
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = deref(src, pair.key);
      if (!isScalar(k) || typeof k.value !== 'string') {
        const r = nodeRange(src, k) ?? place();
        out.push(makeDiagnostic('BK2002', file, r, { path: `${formatPath(path)} key`, expected: 'a string', actual: actualWords(k, jsonTypeOf(k)) }, { path }));
        continue;
      }
      const key = k.value;
      seen.add(key);
      const sub = props[key];
      if (sub === undefined) {
        if (schema.additionalProperties === false) {
          const near = nearestName(key, allowedKeys);
          const suggestion = near !== undefined ? `Did you mean '${near}'?` : `Allowed keys here: ${allowedKeys.join(', ')}.`;
          const where = path.length ? `'${formatPath(path)}'` : 'the recipe';
          out.push(makeDiagnostic('BK2001', file, nodeRange(src, k) ?? place(), { key, where, suggestion }, { path: [...path, key], key, suggestion: near ?? null, allowed: allowedKeys }));
        }
        continue;
      }
      walk(src, deref(src, pair.value), k, sub, [...path, key], out, depth + 1);
    }
    for (const req of schema.required ?? []) {
      if (seen.has(req)) continue;
      const where = path.length ? `'${formatPath(path)}'` : 'The recipe';
      out.push(makeDiagnostic('BK2004', file, headRange(src, path), { where, key: req, about: firstSentence(props[req]?.description) }, { path, key: req }));
    }
  }
}

function checkRange(src: RecipeSource, schema: JsonSchema, v: number, path: KeyPath, place: () => ReturnType<typeof headRange>, out: RecipeDiagnostic[]): void {
  let bound: string | undefined;
  if (schema.minimum !== undefined && v < schema.minimum) bound = `>= ${schema.minimum}`;
  else if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum) bound = `> ${schema.exclusiveMinimum}`;
  else if (schema.maximum !== undefined && v > schema.maximum) bound = `<= ${schema.maximum}`;
  else if (schema.exclusiveMaximum !== undefined && v >= schema.exclusiveMaximum) bound = `< ${schema.exclusiveMaximum}`;
  if (bound === undefined) return;
  const data: Record<string, unknown> = { path, value: v };
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) if (schema[k] !== undefined) data[k] = schema[k];
  out.push(makeDiagnostic('BK2003', src.file, place(), { path: formatPath(path), bound, value: v }, data));
}

// ------------------------------------------------------------------------------------------------ rules

type Raw = Record<string, unknown>;

function obj(x: unknown): Raw | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : undefined;
}

const GLUE_AND_CUSTOM = ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli', 'wnli', 'custom'];

export function checkRecipeRules(src: RecipeSource, raw: unknown, out: RecipeDiagnostic[]): void {
  const r = obj(raw);
  if (!r) return;
  const file = src.file;

  // BK2006: two spellings of the same field in one block
  const blocks: KeyPath[] = [['defaults'], ['teacher', 'train']];
  if (Array.isArray(r.stages)) r.stages.forEach((_, i) => blocks.push(['stages', i]));
  for (const path of blocks) {
    const b = obj(valueAt(r, path));
    if (!b) continue;
    const where = `'${formatPath(path)}'`;
    if (b.bits !== undefined) {
      for (const k of ['weightBits', 'activationBits']) {
        if (b[k] !== undefined) out.push(makeDiagnostic('BK2006', file, rangeOfPath(src, [...path, k], 'key'), { first: 'bits', second: k, where }, { path: [...path, k], keep: 'bits', remove: k }));
      }
    }
    const nested = obj(b.optimizer);
    if (nested) {
      for (const k of OPTIMIZER_KEYS) {
        if (nested[k] !== undefined && b[k] !== undefined) {
          out.push(makeDiagnostic('BK2006', file, rangeOfPath(src, [...path, k], 'key'), { first: `optimizer.${k}`, second: k, where }, { path: [...path, k], keep: `optimizer.${k}`, remove: k }));
        }
      }
    }
  }

  // BK2007: the teacher's source (a checkpoint with `train:` is fine-tuned, see runtime/train/distill.ts)
  const teacher = obj(r.teacher);
  if (teacher) {
    const hasCheckpoint = typeof teacher.checkpoint === 'string';
    const hasArchitecture = obj(teacher.architecture) !== undefined;
    if (hasCheckpoint === hasArchitecture) {
      const found = hasCheckpoint ? 'both are given' : 'neither is given';
      const range = hasCheckpoint ? rangeOfPath(src, ['teacher', 'architecture'], 'key') : rangeOfPath(src, ['teacher'], 'key');
      out.push(makeDiagnostic('BK2007', file, range, { options: "'checkpoint' or 'architecture'", found }, { both: hasCheckpoint }));
    }
    // BK2008: hidden % heads
    const arch = obj(teacher.architecture);
    if (arch && isPositiveInt(arch.hidden) && isPositiveInt(arch.heads) && arch.hidden % arch.heads !== 0) {
      let suggestion = arch.heads;
      while (arch.hidden % suggestion !== 0) suggestion--;
      out.push(makeDiagnostic('BK2008', file, rangeOfPath(src, ['teacher', 'architecture', 'heads']), { hidden: arch.hidden, heads: arch.heads, suggestion }, { suggestion }));
    }
    // BK2013: maxLength vs maxPositions
    const data = obj(r.data);
    const maxLength = data?.maxLength;
    if (arch && isPositiveInt(arch.maxPositions) && isPositiveInt(maxLength) && maxLength > arch.maxPositions) {
      out.push(makeDiagnostic('BK2013', file, rangeOfPath(src, ['data', 'maxLength']), { maxLength, maxPositions: arch.maxPositions }, { maxPositions: arch.maxPositions }));
    }
  }

  // BK2009: data files the task needs
  if (typeof r.task === 'string' && GLUE_AND_CUSTOM.includes(r.task)) {
    const data = obj(r.data);
    for (const field of ['train', 'dev']) {
      if (typeof data?.[field] === 'string') continue;
      const range = data && field in data ? rangeOfPath(src, ['data', field], 'key') : data ? rangeOfPath(src, ['data'], 'key') : rangeOfPath(src, ['task']);
      out.push(makeDiagnostic('BK2009', file, range, { task: r.task, field }, { path: ['data', field] }));
    }
  }
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
