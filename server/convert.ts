/**
 * Between the recipe runtime's positions (1-based line and column, 0-based offsets, UTF-16 units like JavaScript
 * strings) and LSP's (0-based line and character, UTF-16 by default): no other file converts positions.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic, type Position, type Range } from 'vscode-languageserver';
import type { RecipeDiagnostic, SourcePosition, SourceRange } from '../runtime/recipe/diagnostics.js';
import type { RecipeSource } from '../runtime/recipe/source.js';

export function toPosition(p: SourcePosition): Position {
  return { line: p.line - 1, character: p.column - 1 };
}

export function toRange(r: SourceRange): Range {
  return { start: toPosition(r.start), end: toPosition(r.end) };
}

/** LSP position of a text offset (through the document's line starts). */
export function positionOfOffset(src: RecipeSource, offset: number): Position {
  const { line, col } = src.lineCounter.linePos(Math.max(0, Math.min(offset, src.text.length)));
  return { line: line - 1, character: col - 1 };
}

export function rangeOfOffsets(src: RecipeSource, start: number, end: number): Range {
  return { start: positionOfOffset(src, start), end: positionOfOffset(src, end) };
}

/** `end` moved back over trailing whitespace (block nodes' ranges end after their last newline). */
export function trimEnd(text: string, start: number, end: number): number {
  let e = Math.min(end, text.length);
  while (e > start && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/** Text offset of an LSP position (clamped to the line's end and the text). */
export function offsetOfPosition(src: RecipeSource, p: Position): number {
  const starts = src.lineCounter.lineStarts;
  if (p.line < 0) return 0;
  if (p.line >= starts.length) return src.text.length;
  const start = starts[p.line]!;
  const next = p.line + 1 < starts.length ? starts[p.line + 1]! - 1 : src.text.length;
  return Math.min(start + Math.max(0, p.character), next);
}

const SEVERITY = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
} as const;

/** The LSP diagnostic of a recipe diagnostic: message, then the hint on its own line; `data` carries the fix data. */
export function toLspDiagnostic(d: RecipeDiagnostic): Diagnostic {
  const out: Diagnostic = {
    range: toRange(d.range),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'bitkit',
    message: d.hint ? `${d.message}\n${d.hint}` : d.message,
  };
  if (d.data !== undefined) out.data = d.data;
  return out;
}

/** File path of a document URI; a pseudo path in the working folder for untitled documents. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      /* fall through */
    }
  }
  return `<${uri}>`;
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}
