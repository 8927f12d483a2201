/**
 * Quick fixes, dispatched on each diagnostic's `code` and `data` (never on its message):
 *   BK2001 / BK2005 / BK3001 / BK4001  change a misspelt key, enum value or stage name to `data.suggestion`
 *   BK3001                             create the missing stage, before the stage that names it
 *   BK3007                             insert an intermediate W1A2 stage between the FP teacher and the W1A1 stage
 *   BK4003                             use one of the closest layer names (`data.closest`)
 *   BK4004 / BK4005                    set the conventional activation set (or drop `activationSet` when the
 *                                      matched layers have different conventional sets)
 */
import { isMap, isSeq, type Node } from 'yaml';
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { locate, type RecipeSource } from '../../runtime/recipe/source.js';
import { offsetOfPosition, rangeOfOffsets } from '../convert.js';
import type { RecipeDocument } from '../document-cache.js';

type Data = Record<string, unknown>;

export function computeCodeActions(doc: RecipeDocument, diagnostics: Diagnostic[]): CodeAction[] {
  if (!doc.isRecipe) return [];
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    if (d.source !== 'bitkit' || typeof d.code !== 'string') continue;
    const data = (d.data ?? {}) as Data;
    const fix = (title: string, edits: TextEdit[], preferred = false) => {
      const a: CodeAction = { title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [doc.uri]: edits } } };
      if (preferred) a.isPreferred = true;
      out.push(a);
    };
    switch (d.code) {
      case 'BK2001':
      case 'BK2005':
      case 'BK3001':
      case 'BK4001':
        if (data.suggestion !== null && data.suggestion !== undefined) fix(`Change to '${String(data.suggestion)}'`, [{ range: d.range, newText: String(data.suggestion) }], true);
        if (d.code === 'BK3001' && typeof data.name === 'string') {
          const edits = createStageEdits(doc, d, data.name);
          if (edits) fix(`Create stage '${data.name}'`, edits);
        }
        break;
      case 'BK3007': {
        const edits = intermediateStageEdits(doc, d);
        if (edits) fix('Insert an intermediate W1A2 stage (teacher -> W1A2 -> W1A1)', edits, true);
        break;
      }
      case 'BK4003':
        if (Array.isArray(data.closest)) for (const name of data.closest.slice(0, 3)) fix(`Change to '${String(name)}'`, [{ range: d.range, newText: String(name) }]);
        break;
      case 'BK4004':
      case 'BK4005':
        if (data.conventional === 'signed' || data.conventional === 'unsigned') fix(`Set activationSet to ${data.conventional} (the two-set default)`, [{ range: d.range, newText: data.conventional }], true);
        else fix('Remove activationSet (each layer gets its two-set default)', [deleteLinesEdit(doc, d)], true);
        break;
    }
  }
  return out;
}

/** The index of the stage whose item contains `offset`, and that item's map node. */
function stageAt(src: RecipeSource, offset: number): { index: number; node: Node } | undefined {
  const stages = locate(src, ['stages']).value;
  if (!isSeq(stages)) return undefined;
  for (let i = 0; i < stages.items.length; i++) {
    const n = stages.items[i] as Node;
    if (isMap(n) && n.range && n.range[0] <= offset && offset <= n.range[1]) return { index: i, node: n };
  }
  return undefined;
}

/** Where to insert a stage before `node` (a block-style item) and the indentation of its dash and content. */
function insertionPoint(src: RecipeSource, node: Node): { at: number; dash: string; content: string } | undefined {
  const start = node.range![0];
  const lineStart = src.text.lastIndexOf('\n', start - 1) + 1;
  const prefix = src.text.slice(lineStart, start);
  const m = /^( *)-( +)$/.exec(prefix);
  if (!m) return undefined;
  return { at: lineStart, dash: m[1]!, content: ' '.repeat(prefix.length) };
}

function stageText(p: { dash: string; content: string }, fields: [string, string][]): string {
  return fields.map(([k, v], i) => `${i === 0 ? `${p.dash}- ` : p.content}${k}: ${v}\n`).join('');
}

function uniqueName(doc: RecipeDocument, base: string): string {
  const stages = (doc.raw as { stages?: unknown[] } | undefined)?.stages ?? [];
  const names = new Set(stages.map((s) => (s as { name?: unknown } | null)?.name));
  let name = base;
  for (let k = 2; names.has(name); k++) name = `${base}_${k}`;
  return name;
}

function intermediateStageEdits(doc: RecipeDocument, d: Diagnostic): TextEdit[] | undefined {
  const src = doc.analysis.source;
  const stage = stageAt(src, offsetOfPosition(src, d.range.start));
  if (!stage) return undefined;
  const p = insertionPoint(src, stage.node);
  if (!p) return undefined;
  const name = uniqueName(doc, 'w1a2');
  const at = rangeOfOffsets(src, p.at, p.at);
  const edits: TextEdit[] = [{ range: at, newText: stageText(p, [['name', name], ['teacher', 'teacher'], ['bits', 'W1A2']]) }];
  const teacher = locate(src, ['stages', stage.index, 'teacher']);
  if (teacher.found === 3 && teacher.value?.range) edits.push({ range: rangeOfOffsets(src, teacher.value.range[0], teacher.value.range[1]), newText: name });
  return edits;
}

function createStageEdits(doc: RecipeDocument, d: Diagnostic, name: string): TextEdit[] | undefined {
  const src = doc.analysis.source;
  const stage = stageAt(src, offsetOfPosition(src, d.range.start));
  if (!stage) return undefined;
  const p = insertionPoint(src, stage.node);
  if (!p) return undefined;
  const stages = (doc.raw as { stages?: unknown[] } | undefined)?.stages ?? [];
  const prev = stage.index > 0 ? (stages[stage.index - 1] as { name?: unknown } | null)?.name : undefined;
  const teacher = typeof prev === 'string' ? prev : 'teacher';
  return [{ range: rangeOfOffsets(src, p.at, p.at), newText: stageText(p, [['name', name], ['teacher', teacher], ['bits', 'W1A2']]) }];
}

/** Delete the whole line(s) of a diagnostic's range (e.g. an `activationSet: signed` line). */
function deleteLinesEdit(doc: RecipeDocument, d: Diagnostic): TextEdit {
  const src = doc.analysis.source;
  const start = offsetOfPosition(src, { line: d.range.start.line, character: 0 });
  const nextLine = src.text.indexOf('\n', offsetOfPosition(src, d.range.end));
  const end = nextLine < 0 ? src.text.length : nextLine + 1;
  return { range: rangeOfOffsets(src, start, end), newText: '' };
}
