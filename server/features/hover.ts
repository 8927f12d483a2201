/**
 * Hover: a key's meaning and default (the schema's description) and the formula it controls (formulas.ts); on a
 * stage name (its `name:` or a `teacher:` / `init:` naming it) the stage summary: bits, teacher chain, start, planned
 * size; on an override's `match:` the layers it matches with their shapes; on an enum value its description.
 */
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { TEACHER_STAGE } from '../../runtime/recipe/defaults.js';
import { layersMatching } from '../../runtime/recipe/layer-rules.js';
import type { ModelInfo } from '../../runtime/recipe/model-source.js';
import { schemaAt, type JsonSchema } from '../../runtime/recipe/schema.js';
import { formatPath } from '../../runtime/recipe/source.js';
import type { RecipeDocument } from '../document-cache.js';
import { cursorContext } from './cursor-context.js';
import { FORMULAS } from './formulas.js';
import { formatBytes, stageInfos, type StageInfo } from './stage-info.js';

const MAX_LAYERS_SHOWN = 12;

export function computeHover(doc: RecipeDocument, pos: Position, model: () => ModelInfo | undefined): Hover | null {
  if (!doc.isRecipe) return null;
  const ctx = cursorContext(doc.lines, pos.line, pos.character);
  if (!ctx || ctx.word === '') return null;
  const range = { start: { line: pos.line, character: ctx.start }, end: { line: pos.line, character: ctx.end } };
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });

  if (ctx.kind === 'key') {
    const path = [...ctx.path, ctx.word];
    const s = schemaAt(path);
    return s ? md(keyDoc(path, s)) : null;
  }
  if (ctx.kind === 'item') {
    if (ctx.path[0] === 'overrides' && ctx.path[2] === 'stages') return stageHover(doc, ctx.word, model, md);
    return null;
  }
  const key = ctx.key!;
  const path = [...ctx.path, key];
  if (ctx.path[0] === 'stages' && ctx.path.length === 2 && (key === 'name' || key === 'teacher' || key === 'init')) {
    const h = stageHover(doc, ctx.word, model, md);
    if (h) return h;
  }
  if (ctx.path[0] === 'overrides' && key === 'match') {
    const m = model();
    if (!m) return md(`**match**: no model to match against (the teacher is neither an architecture, a .safetensors file nor a Hugging Face folder, or it cannot be read).`);
    const pattern = ctx.valueText ?? ctx.word;
    const layers = layersMatching(pattern, m.layers);
    const lines = layers.slice(0, MAX_LAYERS_SHOWN).map((l) => `- \`${l.name}\` ${l.kind}${l.shape ? ` [${l.shape.join(', ')}]` : ''}, default set ${l.twoSetDefault}`);
    if (layers.length > MAX_LAYERS_SHOWN) lines.push(`- ... and ${layers.length - MAX_LAYERS_SHOWN} more`);
    return md(`**${pattern}** matches ${layers.length} layer(s) of ${m.origin}\n\n${lines.join('\n')}`);
  }
  const s = schemaAt(path);
  if (!s) return null;
  const enumDoc = enumDescription(s, ctx.word);
  return md(enumDoc ? `**${ctx.word}**: ${enumDoc}\n\n---\n\n${keyDoc(path, s)}` : keyDoc(path, s));
}

function keyDoc(path: (string | number)[], s: JsonSchema): string {
  const key = String(path[path.length - 1]);
  const parts = [`**${key}** \`${formatPath(path)}\``];
  if (s.description) parts.push(s.description);
  const formula = FORMULAS[key];
  if (formula) parts.push(`*Formula (BiT algorithm):*\n\n${formula}`);
  if (s.enum) parts.push(`Allowed: ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  return parts.join('\n\n');
}

function enumDescription(s: JsonSchema, value: string): string | undefined {
  for (const b of s.anyOf ?? [s]) {
    const i = b.enum?.map(String).indexOf(value) ?? -1;
    if (i >= 0) return b.enumDescriptions?.[i] ?? b.description;
  }
  return undefined;
}

function stageHover(doc: RecipeDocument, name: string, model: () => ModelInfo | undefined, md: (v: string) => Hover): Hover | null {
  if (name === TEACHER_STAGE) return md('**teacher**: the full-precision teacher (stage 0, W32A32), loaded from `teacher.checkpoint` or trained from `teacher.architecture`.');
  const m = model();
  const info = stageInfos(doc.raw, m).find((s) => s.name === name);
  return info ? md(stageSummary(info, m)) : null;
}

export function stageSummary(s: StageInfo, model: ModelInfo | undefined): string {
  const lines = [`**Stage ${s.index + 1}: ${s.name}** (${s.bits})`, `- teacher chain: ${[s.name, ...s.teacherChain].join(' <- ')}`, `- starts from: ${s.init}`];
  if (s.sizeBytes !== undefined && s.fp32Bytes !== undefined) {
    lines.push(`- planned size: ${formatBytes(s.sizeBytes)} (FP32 ${formatBytes(s.fp32Bytes)}, ${(s.fp32Bytes / s.sizeBytes).toFixed(1)}x smaller), model from ${model?.origin ?? 'the recipe'}`);
  }
  return lines.join('\n');
}
