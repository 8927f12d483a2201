/**
 * Go to definition: from a stage name in `teacher:` / `init:` (or an override's `stages:` list) to that stage's
 * `name:`; `teacher` goes to the top-level `teacher:` block.
 */
import type { Location, Position } from 'vscode-languageserver';
import { TEACHER_STAGE } from '../../runtime/recipe/defaults.js';
import { locate, nodeRange } from '../../runtime/recipe/source.js';
import { toRange } from '../convert.js';
import type { RecipeDocument } from '../document-cache.js';
import { cursorContext } from './cursor-context.js';

export function computeDefinition(doc: RecipeDocument, pos: Position): Location | null {
  if (!doc.isRecipe) return null;
  const ctx = cursorContext(doc.lines, pos.line, pos.character);
  if (!ctx || ctx.word === '') return null;
  const namesStage =
    (ctx.kind === 'value' && ctx.path[0] === 'stages' && ctx.path.length === 2 && (ctx.key === 'teacher' || ctx.key === 'init')) ||
    (ctx.kind === 'item' && ctx.path[0] === 'overrides' && ctx.path[2] === 'stages') ||
    (ctx.kind === 'value' && ctx.inFlow && ctx.path[0] === 'overrides' && ctx.path[2] === 'stages');
  if (!namesStage && !(ctx.kind === 'item' && ctx.inFlow && ctx.path[2] === 'stages')) return null;
  const src = doc.analysis.source;
  const name = ctx.word.replace(/^['"]|['"]$/g, '');
  if (name === TEACHER_STAGE) {
    const t = locate(src, [TEACHER_STAGE]);
    const r = t.found === 1 ? nodeRange(src, t.key) : undefined;
    return r ? { uri: doc.uri, range: toRange(r) } : null;
  }
  const stages = (doc.raw as { stages?: unknown[] } | undefined)?.stages;
  if (!Array.isArray(stages)) return null;
  const i = stages.findIndex((s) => (s as { name?: unknown } | null)?.name === name);
  if (i < 0) return null;
  const loc = locate(src, ['stages', i, 'name']);
  const r = loc.found === 3 ? nodeRange(src, loc.value) : undefined;
  return r ? { uri: doc.uri, range: toRange(r) } : null;
}
