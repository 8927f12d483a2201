/**
 * Folding ranges: every block mapping or sequence that spans more than one line (a stage, `teacher:`, `overrides:`),
 * and runs of two or more comment lines.
 */
import { isMap, isSeq, type Node } from 'yaml';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import { deref } from '../../runtime/recipe/source.js';
import type { RecipeDocument } from '../document-cache.js';

export function computeFolding(doc: RecipeDocument): FoldingRange[] {
  if (!doc.isRecipe) return [];
  const src = doc.analysis.source;
  const out: FoldingRange[] = [];
  const lineOf = (offset: number) => src.lineCounter.linePos(offset).line - 1;
  const visit = (node: Node | null, startLine: number | undefined, depth: number) => {
    if (!node || depth > 32 || !(isMap(node) || isSeq(node)) || !node.range || node.flow) return;
    const first = startLine ?? lineOf(node.range[0]);
    // the range ends on the last line with content (range[1] may sit at the start of the next line)
    const last = lineOf(Math.max(node.range[0], trimEnd(src.text, node.range[1])));
    if (last > first) out.push({ startLine: first, endLine: last });
    if (isMap(node)) {
      for (const p of node.items) {
        const key = p.key as Node | null;
        visit(deref(src, p.value), key?.range ? lineOf(key.range[0]) : undefined, depth + 1);
      }
    } else {
      for (const item of node.items) visit(deref(src, item), undefined, depth + 1);
    }
  };
  const root = deref(src, src.doc.contents);
  if (isMap(root)) for (const p of root.items) visit(deref(src, p.value), (p.key as Node | null)?.range ? lineOf((p.key as Node).range![0]) : undefined, 1);
  // comment blocks
  let runStart = -1;
  doc.lines.lines.forEach((line, i) => {
    const isComment = /^\s*#/.test(line);
    if (isComment && runStart < 0) runStart = i;
    if (!isComment && runStart >= 0) {
      if (i - 1 > runStart) out.push({ startLine: runStart, endLine: i - 1, kind: FoldingRangeKind.Comment });
      runStart = -1;
    }
  });
  if (runStart >= 0 && doc.lines.lines.length - 1 > runStart) out.push({ startLine: runStart, endLine: doc.lines.lines.length - 1, kind: FoldingRangeKind.Comment });
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

function trimEnd(text: string, end: number): number {
  let e = Math.min(end, text.length);
  while (e > 0 && /\s/.test(text[e - 1]!)) e--;
  return Math.max(0, e - 1);
}
