/**
 * Completion: keys and enum values from the JSON Schema (runtime/recipe/schema.ts) with their documentation; stage
 * names for `teacher:` / `init:` / an override's `stages:`; layer names and per-layer patterns of the model for
 * `match:`; file paths relative to the recipe; snippets for a stage, an override and a whole recipe (empty file).
 */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Position } from 'vscode-languageserver';
import { schemaAt, type JsonSchema } from '../../runtime/recipe/schema.js';
import { BUILTIN_VOCAB, TEACHER_STAGE } from '../../runtime/recipe/defaults.js';
import type { ModelInfo } from '../../runtime/recipe/model-source.js';
import type { KeyPath } from '../../runtime/recipe/source.js';
import type { RecipeDocument } from '../document-cache.js';
import { cursorContext, type CursorContext } from './cursor-context.js';
import { RECIPE_SNIPPET, overrideSnippet, stageSnippet } from './snippets.js';

const PATH_KEYS = new Set(['data.train', 'data.dev', 'tokenizer.vocab', 'teacher.checkpoint', 'output']);

export function computeCompletions(doc: RecipeDocument, pos: Position, model: () => ModelInfo | undefined): CompletionItem[] {
  if (!doc.isRecipe) return [];
  if (doc.text.replace(/#.*$/gm, '').trim() === '') {
    return [{ label: 'bitkit recipe', kind: CompletionItemKind.Snippet, insertTextFormat: InsertTextFormat.Snippet, insertText: RECIPE_SNIPPET, detail: 'A whole recipe: teacher -> W1A2 -> W1A1', sortText: '0' }];
  }
  const ctx = cursorContext(doc.lines, pos.line, pos.character);
  if (!ctx) return [];
  const edit = (newText: string) => ({ range: { start: { line: pos.line, character: ctx.start }, end: { line: pos.line, character: ctx.end } }, newText });
  const path = ctx.path;

  if (ctx.kind === 'key') return keyItems(doc, path, ctx, edit);
  if (ctx.kind === 'item') {
    const items = schemaAt([...path, 0]);
    if (path.length === 3 && path[0] === 'overrides' && path[2] === 'stages') return stageNameItems(doc, undefined, edit);
    if (path.length === 1 && path[0] === 'stages') {
      const n = Array.isArray((doc.raw as { stages?: unknown } | undefined)?.stages) ? (doc.raw as { stages: unknown[] }).stages.length : 0;
      return [snippetItem('stage', stageSnippet(ctx.contentCol, n), 'A stage: name, teacher, bits, epochs', edit), ...keyItems(doc, [...path, -1], ctx, edit)];
    }
    if (path.length === 1 && path[0] === 'overrides') return [snippetItem('override', overrideSnippet(ctx.contentCol), 'A layer override: match and bits', edit), ...keyItems(doc, [...path, -1], ctx, edit)];
    return items ? valueItems(items, edit) : [];
  }

  // a value
  const key = ctx.key!;
  const full = [...path, key];
  const dotted = full.filter((p) => typeof p === 'string').join('.');
  if (path[0] === 'stages' && (key === 'teacher' || key === 'init')) return stageNameItems(doc, typeof path[1] === 'number' ? path[1] : undefined, edit);
  if (path[0] === 'overrides' && key === 'match') return layerItems(model(), edit);
  if (PATH_KEYS.has(dotted)) return [...pathItems(doc, ctx.prefix, edit), ...(dotted === 'tokenizer.vocab' ? [plain(BUILTIN_VOCAB, 'The embedded bert-base-uncased vocabulary', edit)] : [])];
  const s = schemaAt(full);
  return s ? valueItems(s, edit) : [];
}

type Edit = (text: string) => { range: { start: Position; end: Position }; newText: string };

function docs(s: JsonSchema | undefined): { kind: 'markdown'; value: string } | undefined {
  return s?.description ? { kind: MarkupKind.Markdown, value: s.description } : undefined;
}

function plain(label: string, documentation: string | undefined, edit: Edit, kind: CompletionItemKind = CompletionItemKind.Value): CompletionItem {
  const item: CompletionItem = { label, kind, textEdit: edit(label) };
  if (documentation) item.documentation = { kind: MarkupKind.Markdown, value: documentation };
  return item;
}

function snippetItem(label: string, body: string, detail: string, edit: Edit): CompletionItem {
  return { label, kind: CompletionItemKind.Snippet, insertTextFormat: InsertTextFormat.Snippet, textEdit: edit(body), detail, sortText: '0' };
}

function keyItems(doc: RecipeDocument, path: KeyPath, ctx: CursorContext, edit: Edit): CompletionItem[] {
  const s = schemaAt(path.map((p) => (p === -1 ? 0 : p)));
  const props = s?.properties ?? (s?.anyOf?.find((b) => b.properties)?.properties);
  if (!props) return [];
  const present = ctx.inFlow ? flowKeys(doc.lines.lines[ctx.line] ?? '') : doc.lines.siblingKeys(ctx.line, ctx.contentCol);
  const indent = ' '.repeat(ctx.contentCol + 2);
  return Object.entries(props)
    .filter(([k]) => !present.has(k) || k === ctx.word)
    .map(([k, sub], i) => {
      const types = Array.isArray(sub.type) ? sub.type : sub.type ? [sub.type] : [];
      let insert = `${k}: $0`;
      if (ctx.inFlow) insert = `${k}: $0`;
      else if (sub.enum) insert = `${k}: \${1|${sub.enum.map(String).join(',')}|}`;
      else if (types[0] === 'object') insert = `${k}:\n${indent}$0`;
      else if (types[0] === 'array' && sub.items?.type === 'object') insert = `${k}:\n${indent}- $0`;
      const item: CompletionItem = { label: k, kind: CompletionItemKind.Property, insertTextFormat: InsertTextFormat.Snippet, textEdit: edit(insert), sortText: String(i).padStart(3, '0') };
      const d = docs(sub);
      if (d) item.documentation = d;
      return item;
    });
}

/** Keys written in the one-line flow mapping of a line (`{ pred: 1, te }` -> pred). */
function flowKeys(line: string): Set<string> {
  const open = line.lastIndexOf('{');
  return new Set([...line.slice(open + 1).matchAll(/([^\s{,:]+)\s*:/g)].map((m) => m[1]!));
}

function valueItems(s: JsonSchema, edit: Edit): CompletionItem[] {
  if (s.anyOf) return s.anyOf.flatMap((b) => (b.enum ? valueItems(b, edit) : []));
  if (s.enum) return s.enum.map((v, i) => plain(String(v), s.enumDescriptions?.[i] ?? s.description, edit, CompletionItemKind.EnumMember));
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('boolean')) return ['true', 'false'].map((v) => plain(v, s.description, edit));
  if (s.default !== undefined && s.default !== null) return [plain(String(s.default), `Default. ${s.description ?? ''}`, edit)];
  if (s.examples) return s.examples.map((v) => plain(String(v), s.description, edit));
  return [];
}

/** `teacher` and the stages before `index` (all stages when index is undefined). */
function stageNameItems(doc: RecipeDocument, index: number | undefined, edit: Edit): CompletionItem[] {
  const stages = (doc.raw as { stages?: unknown } | undefined)?.stages;
  const list = Array.isArray(stages) ? stages : [];
  const names = list.slice(0, index ?? list.length).map((s) => (s as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string');
  const items = names.map((n, i) => ({ ...plain(n, `Stage ${i + 1}`, edit, CompletionItemKind.Reference), sortText: String(999 - i).padStart(3, '0') }));
  if (index !== undefined) items.push({ ...plain(TEACHER_STAGE, 'The full-precision teacher (stage 0).', edit, CompletionItemKind.Reference), sortText: '999' });
  return items;
}

function layerItems(model: ModelInfo | undefined, edit: Edit): CompletionItem[] {
  if (!model) return [];
  const patterns = new Map<string, number>();
  const items: CompletionItem[] = [];
  for (const l of model.layers) {
    if (l.layer !== null) {
      const p = l.name.replace(/\.layer\.\d+\./, '.layer.*.');
      patterns.set(p, (patterns.get(p) ?? 0) + 1);
    }
    items.push({ ...plain(l.name, `${l.kind}${l.shape ? ` [${l.shape.join(', ')}]` : ''}, ${model.origin}`, edit, CompletionItemKind.Field), sortText: `1${l.name}` });
  }
  const pats = [...patterns].map(([p, n]) => ({ ...plain(p, `Matches ${n} layers of ${model.origin}.`, edit, CompletionItemKind.Field), sortText: `0${p}` }));
  return [...pats, ...items];
}

function pathItems(doc: RecipeDocument, prefix: string, edit: Edit): CompletionItem[] {
  const base = doc.analysis.baseDir;
  const typedDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
  const dir = isAbsolute(typedDir) ? typedDir : resolve(base, typedDir || '.');
  let entries: { name: string; isDir: boolean }[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).slice(0, 500).map((e) => ({ name: e.name, isDir: e.isDirectory() }));
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.name.startsWith('.') && join(dir, e.name) !== doc.path)
    .map((e) => ({ ...plain(typedDir + e.name + (e.isDir ? '/' : ''), undefined, edit, e.isDir ? CompletionItemKind.Folder : CompletionItemKind.File), sortText: `${e.isDir ? 0 : 1}${e.name}` }));
}
