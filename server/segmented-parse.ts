/**
 * Incremental parsing of recipes for the language server: the text is cut into segments at its top-level keys
 * (lines starting in column 0) and, inside a top-level block sequence (`stages:`, `overrides:`), at its items. Each
 * segment is parsed on its own and cached by its text, and the segments' AST nodes are put together into one
 * `RecipeSource` whose node ranges are those of the whole text. A keystroke in one stage of a 2,000-line recipe
 * re-parses that stage only.
 *
 * It is a fast path, never a second parser: whenever it could differ from a full parse it declines (returns
 * undefined) and the caller parses the whole text with parse.ts: anchors or aliases, directives or document markers,
 * a segment with any YAML error or warning, a top-level key written twice, a top level that is not a block mapping.
 */
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Pair, parseDocument, YAMLMap, YAMLSeq, type Node } from 'yaml';
import type { RecipeSource } from '../runtime/recipe/source.js';

interface ParsedSegment {
  /** The nodes of the segment: the top-level pairs, or the items of a sequence. */
  nodes: Node[] | Pair[];
  /** Offset the node ranges currently include (the segment's start in the text it was last used in). */
  shift: number;
}

/** Anchors, aliases, tags, directives, document markers: the full parser handles these. */
const UNSUPPORTED = /(?:^|[\s[{,])[&*!][^\s,[\]{}]|^(?:%|---|\.\.\.)/m;
const TOP_KEY = /^[^\s#\-?:[\]{},&*!|>'"%@`][^\n]*$/;
const MAX_CACHED = 20000;

export class SegmentedParser {
  private cache = new Map<string, ParsedSegment>();
  private inUse = new Set<string>();

  /** The parsed document, or undefined when the full parser must be used. */
  parse(text: string, file: string): RecipeSource | undefined {
    if (UNSUPPORTED.test(text) || text.includes('\t')) return undefined;
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    const lineAt = (n: number) => text.slice(lineStarts[n]!, n + 1 < lineStarts.length ? lineStarts[n + 1]! - 1 : text.length);

    // top-level segments: [startLine, endLine)
    const tops: number[] = [];
    for (let n = 0; n < lineStarts.length; n++) {
      const line = lineAt(n);
      if (TOP_KEY.test(line)) tops.push(n);
      else if (line !== '' && !/^[\s-#]/.test(line)) return undefined;
    }
    if (tops.length === 0) return undefined;
    if (this.cache.size > MAX_CACHED) this.cache.clear();
    this.inUse = new Set();
    const root = new YAMLMap();
    const keys = new Set<string>();
    for (let t = 0; t < tops.length; t++) {
      const first = t === 0 ? 0 : tops[t]!;
      const end = t + 1 < tops.length ? tops[t + 1]! : lineStarts.length;
      const pair = this.topSegment(text, lineStarts, lineAt, first, tops[t]!, end);
      if (!pair || !isScalar(pair.key) || typeof pair.key.value !== 'string' || keys.has(pair.key.value)) return undefined;
      keys.add(pair.key.value);
      root.items.push(pair);
    }
    const firstKey = root.items[0]!.key as Node;
    const lastPair = root.items[root.items.length - 1]!;
    const lastEnd = ((lastPair.value as Node | null)?.range ?? (lastPair.key as Node).range)![2];
    root.range = [firstKey.range![0], lastEnd, lastEnd];
    for (const k of this.cache.keys()) if (!this.inUse.has(k)) this.cache.delete(k); // keep this version's segments only
    const doc = new Document() as unknown as Document.Parsed;
    doc.contents = root as unknown as Document.Parsed['contents'];
    const lineCounter = new LineCounter();
    for (const s of lineStarts) lineCounter.addNewLine(s);
    return { file, text, doc, lineCounter };
  }

  /** One top-level pair from lines [first, end); `keyLine` holds its key. Block sequences are split into items. */
  private topSegment(text: string, starts: number[], lineAt: (n: number) => string, first: number, keyLine: number, end: number): Pair | undefined {
    const offset = (n: number) => (n < starts.length ? starts[n]! : text.length);
    const keyText = lineAt(keyLine);
    const seqIndent = /^[^:#]+:\s*(?:#.*)?$/.test(keyText) ? this.sequenceIndent(lineAt, keyLine + 1, end) : undefined;
    if (seqIndent === undefined) {
      const nodes = this.segment(text.slice(offset(first), offset(end)), offset(first), 'pairs');
      return nodes?.length === 1 && isPair(nodes[0]) ? (nodes[0] as Pair) : undefined;
    }
    const head = this.segment(text.slice(offset(first), offset(keyLine + 1)), offset(first), 'pairs');
    if (head?.length !== 1 || !isPair(head[0])) return undefined;
    const itemStarts: number[] = [];
    const dash = new RegExp(`^ {${seqIndent}}-(?: |$)`);
    for (let n = keyLine + 1; n < end; n++) if (dash.test(lineAt(n))) itemStarts.push(n);
    const seq = new YAMLSeq();
    for (let i = 0; i < itemStarts.length; i++) {
      const from = i === 0 ? keyLine + 1 : itemStarts[i]!;
      const to = i + 1 < itemStarts.length ? itemStarts[i + 1]! : end;
      const items = this.segment(text.slice(offset(from), offset(to)), offset(from), 'items');
      if (items?.length !== 1) return undefined;
      seq.items.push(items[0] as Node);
    }
    const firstItem = seq.items[0] as Node;
    const lastItem = seq.items[seq.items.length - 1] as Node;
    seq.range = [Math.min(firstItem.range![0], offset(itemStarts[0] ?? keyLine + 1) + seqIndent), lastItem.range![1], lastItem.range![2]];
    const pair = head[0] as Pair;
    return new Pair(pair.key, seq);
  }

  /** The indentation of the block sequence starting on the first content line in [from, end), if it is one. */
  private sequenceIndent(lineAt: (n: number) => string, from: number, end: number): number | undefined {
    for (let n = from; n < end; n++) {
      const line = lineAt(n);
      if (/^\s*(#|$)/.test(line)) continue;
      const m = /^( *)-(?: |$)/.exec(line);
      return m ? m[1]!.length : undefined;
    }
    return undefined;
  }

  /** Parse one segment (cached by text) and shift its ranges to `start`. */
  private segment(text: string, start: number, want: 'pairs' | 'items'): (Node | Pair)[] | undefined {
    const key = `${want}\u0000${text}`;
    let seg = this.cache.get(key);
    if (!seg) {
      const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
      if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
      const c = doc.contents;
      if (want === 'pairs' ? !isMap(c) : !isSeq(c)) return undefined;
      seg = { nodes: (c as YAMLMap | YAMLSeq).items as Node[] | Pair[], shift: 0 };
      this.cache.set(key, seg);
    } else if (this.inUse.has(key)) {
      return undefined; // the same text twice in one document: its nodes cannot sit at two places
    }
    this.inUse.add(key);
    if (seg.shift !== start) {
      for (const n of seg.nodes) shiftNode(n, start - seg.shift);
      seg.shift = start;
    }
    return seg.nodes;
  }
}

function shiftNode(n: unknown, delta: number): void {
  if (isPair(n)) {
    shiftNode(n.key, delta);
    shiftNode(n.value, delta);
    return;
  }
  const node = n as Node | null;
  if (!node || typeof node !== 'object') return;
  if (node.range) node.range = [node.range[0] + delta, node.range[1] + delta, node.range[2] + delta];
  if (isMap(node) || isSeq(node)) for (const item of node.items) shiftNode(item, delta);
}
