/**
 * A parsed recipe document with source positions: the YAML AST of the `yaml` package plus its LineCounter, and the
 * helpers that turn AST nodes and key paths into diagnostic ranges. Parsed once per text (the language server keeps
 * one per document version); validation, hover and completion all read it.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourcePosition, SourceRange } from './diagnostics.js';

export type KeyPath = (string | number)[];

export interface RecipeSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export function parseRecipeSource(text: string, file: string): RecipeSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  return { file, text, doc, lineCounter };
}

export function positionAt(src: RecipeSource, offset: number): SourcePosition {
  const { line, col } = src.lineCounter.linePos(offset);
  return { line, column: col, offset };
}

export function rangeAt(src: RecipeSource, start: number, end: number): SourceRange {
  return { start: positionAt(src, start), end: positionAt(src, Math.max(start, end)) };
}

/** The range of a node's value (without trailing comments); undefined for a node without text (an empty value). */
export function nodeRange(src: RecipeSource, node: Node | null | undefined): SourceRange | undefined {
  const r = node?.range;
  if (!r || r[1] <= r[0]) return undefined;
  return rangeAt(src, r[0], r[1]);
}

/** Follow `*alias` nodes to the node they name. */
export function deref(src: RecipeSource, node: unknown): Node | null {
  let n = node as Node | null;
  for (let i = 0; i < 16 && isAlias(n); i++) n = (n.resolve(src.doc) as Node | undefined) ?? null;
  return n ?? null;
}

export interface Located {
  /** The key node of the last path element (null for list items and the root). */
  key: Node | null;
  /** The value node (null where the key has no value or the path does not exist). */
  value: Node | null;
  /** How much of the path exists. */
  found: number;
}

/** Walk a key path through the AST; stops at the deepest existing node. */
export function locate(src: RecipeSource, path: KeyPath): Located {
  let key: Node | null = null;
  let value: Node | null = deref(src, src.doc.contents);
  let found = 0;
  for (const part of path) {
    if (typeof part === 'number') {
      if (!isSeq(value) || part >= value.items.length) break;
      key = null;
      value = deref(src, value.items[part]);
    } else {
      if (!isMap(value)) break;
      const pair = value.items.find((p) => isScalar(p.key) && p.key.value === part);
      if (!pair) break;
      key = pair.key as Node;
      value = deref(src, pair.value);
    }
    found++;
  }
  return { key, value, found };
}

/**
 * The narrowest range for a diagnostic about `path`: its value ('value') or its key ('key'); falls back to the key
 * when the value is empty, and to the deepest existing ancestor when the path is missing (the document start at worst).
 */
export function rangeOfPath(src: RecipeSource, path: KeyPath, which: 'key' | 'value' = 'value'): SourceRange {
  const loc = locate(src, path);
  if (loc.found === path.length) {
    const primary = which === 'value' ? nodeRange(src, loc.value) ?? nodeRange(src, loc.key) : nodeRange(src, loc.key) ?? nodeRange(src, loc.value);
    if (primary) return primary;
  }
  return headRange(src, path.slice(0, loc.found));
}

/** Where to report something about the container at `path` as a whole: its key, or its first key, or line 1. */
export function headRange(src: RecipeSource, path: KeyPath): SourceRange {
  for (let n = path.length; n >= 0; n--) {
    const loc = locate(src, path.slice(0, n));
    if (loc.found < n) continue;
    const k = nodeRange(src, loc.key);
    if (k) return k;
    if (isMap(loc.value) && loc.value.items.length > 0) {
      const first = nodeRange(src, loc.value.items[0]!.key as Node);
      if (first) return first;
    }
    const v = nodeRange(src, loc.value);
    if (v && n > 0) return v;
  }
  return rangeAt(src, 0, 0);
}

/** `stages[0].loss.pred`; `recipe` for the root. */
export function formatPath(path: KeyPath): string {
  if (path.length === 0) return 'recipe';
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
