/**
 * Document symbols (the outline): every top-level key; under `stages` one symbol per stage (its name, detail = bits
 * and teacher), under `overrides` one per override (its pattern).
 */
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { stageBits, stageTeacherName } from '../../runtime/recipe/defaults.js';
import { deref, nodeRange } from '../../runtime/recipe/source.js';
import { rangeOfOffsets, toRange, trimEnd } from '../convert.js';
import type { RecipeDocument } from '../document-cache.js';

export function computeSymbols(doc: RecipeDocument): DocumentSymbol[] {
  if (!doc.isRecipe) return [];
  const src = doc.analysis.source;
  const root = deref(src, src.doc.contents);
  if (!isMap(root)) return [];
  const raw = (doc.raw ?? {}) as { stages?: unknown[]; defaults?: unknown };
  const out: DocumentSymbol[] = [];
  for (const pair of root.items as Pair<Node, Node | null>[]) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'string') continue;
    const key = pair.key.value;
    const keyRange = nodeRange(src, pair.key);
    if (!keyRange) continue;
    const value = deref(src, pair.value);
    const end = value?.range ? value.range[1] : pair.key.range![1];
    const sym: DocumentSymbol = {
      name: key,
      kind: isMap(value) ? SymbolKind.Object : isSeq(value) ? SymbolKind.Array : SymbolKind.Property,
      range: rangeOfOffsets(src, pair.key.range![0], trimEnd(src.text, pair.key.range![0], end)),
      selectionRange: toRange(keyRange),
    };
    if (isScalar(value) && value.value !== null) sym.detail = String(value.value);
    if (isSeq(value) && (key === 'stages' || key === 'overrides')) {
      sym.children = [];
      value.items.forEach((item, i) => {
        const n = deref(src, item);
        if (!isMap(n) || !n.range) return;
        const field = key === 'stages' ? 'name' : 'match';
        const namePair = n.items.find((p) => isScalar(p.key) && p.key.value === field);
        const nameNode = namePair ? deref(src, namePair.value) : null;
        const label = isScalar(nameNode) && nameNode.value !== null ? String(nameNode.value) : `#${i + 1}`;
        const child: DocumentSymbol = {
          name: label,
          kind: key === 'stages' ? SymbolKind.Class : SymbolKind.Field,
          range: rangeOfOffsets(src, n.range[0], trimEnd(src.text, n.range[0], n.range[1])),
          selectionRange: toRange(nodeRange(src, nameNode) ?? nodeRange(src, n)!),
        };
        if (key === 'stages' && Array.isArray(raw.stages)) {
          const b = stageBits(raw.stages[i], raw.defaults);
          child.detail = `W${b.weightBits}A${b.activationBits} from ${stageTeacherName(raw.stages, i) ?? '?'}`;
        }
        sym.children!.push(child);
      });
    }
    out.push(sym);
  }
  return out;
}
