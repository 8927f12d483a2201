/**
 * Where the cursor is in a recipe, found from the text's indentation (so that it works on the half-written lines
 * completion sees, which the YAML parser cannot place): the key path of the mapping around the cursor, whether the
 * cursor is on a key or a value, the word being typed and its range. Block style and one-line flow mappings
 * (`architecture: { layers: 4, hid| }`) are understood.
 */
import type { KeyPath } from '../../runtime/recipe/source.js';

export interface LineTokens {
  blank: boolean;
  /** Columns of the `- ` item markers at the start of the line. */
  dashCols: number[];
  /** Column of the first content after indentation and dashes. */
  contentCol: number;
  key?: string;
  keyCol?: number;
  /** Column right after the key's `:`. */
  colonEnd?: number;
  inlineValue: boolean;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#:'"{}[\],][^:#]*?)\s*:(?=\s|$)/;

export function lineTokens(line: string): LineTokens {
  let pos = 0;
  while (line[pos] === ' ') pos++;
  const dashCols: number[] = [];
  while (line[pos] === '-' && (line[pos + 1] === ' ' || pos + 1 === line.length)) {
    dashCols.push(pos);
    pos++;
    while (line[pos] === ' ') pos++;
  }
  const rest = line.slice(pos);
  const blank = dashCols.length === 0 && (rest === '' || rest.startsWith('#'));
  const out: LineTokens = { blank, dashCols, contentCol: pos, inlineValue: false };
  const m = KEY.exec(rest);
  if (m) {
    out.key = m[1]!.replace(/^["']|["']$/g, '');
    out.keyCol = pos;
    out.colonEnd = pos + m[0].length;
    out.inlineValue = !/^\s*(#.*)?$/.test(line.slice(out.colonEnd));
  }
  return out;
}

export class LineIndex {
  private tokens: (LineTokens | undefined)[];
  constructor(readonly lines: string[]) {
    this.tokens = new Array(lines.length);
  }
  at(n: number): LineTokens {
    return (this.tokens[n] ??= lineTokens(this.lines[n] ?? ''));
  }

  /** Path of the key on line `n` (which must have one). */
  keyPath(n: number): KeyPath {
    const t = this.at(n);
    return [...this.mapPathAt(n, t.keyCol!), t.key!];
  }

  /** Path of the block mapping whose keys sit at column `col` and which includes line `n`. */
  mapPathAt(n: number, col: number, depth = 0): KeyPath {
    if (depth > 64) return [];
    const own = this.at(n);
    const ownDash = own.dashCols.length > 0 && own.contentCol === col ? own.dashCols[own.dashCols.length - 1]! : undefined;
    if (ownDash !== undefined) return this.seqItemPath(n, ownDash, depth + 1);
    for (let j = n - 1; j >= 0; j--) {
      const t = this.at(j);
      if (t.blank) continue;
      const first = t.dashCols[0] ?? t.contentCol;
      if (t.dashCols.length > 0 && t.contentCol === col) return this.seqItemPath(j, t.dashCols[t.dashCols.length - 1]!, depth + 1);
      if (first >= col) continue;
      if (t.keyCol !== undefined && t.keyCol < col && !t.inlineValue) return [...this.mapPathAt(j, t.keyCol, depth + 1), t.key!];
      return [];
    }
    return [];
  }

  /** Keys already written in the block mapping whose keys sit at column `col` around line `n` (line n excluded). */
  siblingKeys(n: number, col: number): Set<string> {
    const keys = new Set<string>();
    const own = this.at(n);
    if (own.dashCols.length > 0 && own.contentCol === col) {
      // line n starts the item: only the lines below belong to it
    } else {
      for (let j = n - 1; j >= 0; j--) {
        const t = this.at(j);
        if (t.blank) continue;
        const first = t.dashCols[0] ?? t.contentCol;
        if (t.dashCols.length > 0 && t.contentCol === col) {
          if (t.key !== undefined) keys.add(t.key);
          break;
        }
        if (first < col) break;
        if (t.keyCol === col && t.key !== undefined) keys.add(t.key);
      }
    }
    for (let j = n + 1; j < this.lines.length; j++) {
      const t = this.at(j);
      if (t.blank) continue;
      const first = t.dashCols[0] ?? t.contentCol;
      if (first < col || (t.dashCols.length > 0 && t.contentCol <= col)) break;
      if (t.keyCol === col && t.key !== undefined) keys.add(t.key);
    }
    return keys;
  }

  /** Path of the item (with its index) of the block sequence whose dashes sit at column `d`, on line `n`. */
  seqItemPath(n: number, d: number, depth = 0): KeyPath {
    let index = 0;
    for (let j = n - 1; j >= 0; j--) {
      const t = this.at(j);
      if (t.blank) continue;
      const first = t.dashCols[0] ?? t.contentCol;
      if (first > d) continue;
      if (first === d && t.dashCols[0] === d) {
        index++;
        continue;
      }
      if (t.keyCol !== undefined && t.keyCol <= d && !t.inlineValue) return [...this.mapPathAt(j, t.keyCol, depth + 1), t.key!, index];
      return [index];
    }
    return [index];
  }
}

export interface CursorContext {
  /** Path of the mapping (or sequence item) the cursor is in. */
  path: KeyPath;
  /** 'key': typing a key of the mapping at `path`; 'value': the value of `key`; 'item': a scalar item of the list at `path`. */
  kind: 'key' | 'value' | 'item';
  key?: string;
  /** The word under / before the cursor and its character range on the line. */
  prefix: string;
  word: string;
  start: number;
  end: number;
  /** The whole value after `key:` on the line (block style; comment and quotes removed), for kind 'value'. */
  valueText?: string;
  /** true when the cursor is inside a flow collection ({ } or [ ]). */
  inFlow: boolean;
  /** Indentation of the content at the cursor's line (for snippets). */
  contentCol: number;
  line: number;
}

const WORD = /[^\s:,[\]{}#'"]/;

export function cursorContext(index: LineIndex, line: number, character: number): CursorContext | undefined {
  const text = index.lines[line];
  if (text === undefined) return undefined;
  const c = Math.min(character, text.length);
  let start = c;
  while (start > 0 && WORD.test(text[start - 1]!)) start--;
  let end = c;
  while (end < text.length && WORD.test(text[end]!)) end++;
  const prefix = text.slice(start, c);
  const word = text.slice(start, end);
  const t = index.at(line);
  const before = text.slice(0, c);
  if (/^\s*#/.test(before) || /\s#/.test(before.replace(/"[^"]*"|'[^']*'/g, ''))) return undefined; // in a comment

  // flow collection opened on this line and not closed before the cursor
  const open = Math.max(before.lastIndexOf('{'), before.lastIndexOf('['));
  if (open >= 0 && t.key !== undefined && open > t.colonEnd! - 1 && !/[}\]]/.test(before.slice(open))) {
    const owner = index.keyPath(line);
    const seg = before.slice(Math.max(before.lastIndexOf(','), open) + 1);
    if (text[open] === '[') return { path: owner, kind: 'item', prefix, word, start, end, inFlow: true, contentCol: t.contentCol, line };
    const km = /^\s*([^\s:]+)\s*:\s*/.exec(seg);
    if (km) return { path: owner, kind: 'value', key: km[1]!, prefix, word, start, end, inFlow: true, contentCol: t.contentCol, line };
    return { path: owner, kind: 'key', prefix, word, start, end, inFlow: true, contentCol: t.contentCol, line };
  }

  if (t.key !== undefined && c >= t.colonEnd!) {
    const valueText = text.slice(t.colonEnd!).replace(/\s+#.*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2');
    return { path: index.mapPathAt(line, t.keyCol!), kind: 'value', key: t.key, prefix, word, start, end, inFlow: false, contentCol: t.contentCol, line, valueText };
  }
  if (c < t.contentCol && t.dashCols.length === 0 && text.trim() !== '') return undefined; // in the indentation of a line
  const col = t.blank || text.trim() === '' ? c : t.contentCol;
  if (t.dashCols.length > 0 && t.key === undefined && !/:\s*$/.test(before)) {
    // `- word`: an item of a list of scalars, or the first key of a new mapping item
    const d = t.dashCols[t.dashCols.length - 1]!;
    const itemPath = index.seqItemPath(line, d);
    return { path: itemPath.slice(0, -1), kind: 'item', prefix, word, start, end, inFlow: false, contentCol: t.contentCol, line };
  }
  return { path: index.mapPathAt(line, col), kind: 'key', prefix, word, start, end, inFlow: false, contentCol: col, line };
}
