// Shared by the recipe tests: ranges written as line:column (1-based) and turned into offsets of the fixture text.
import type { SourceRange } from '../../../runtime/recipe/diagnostics.js';

export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i]!.length + 1;
  return offset + column - 1;
}

/** The range from line:column spanning `length` characters on that line. */
export function span(text: string, line: number, column: number, length: number): SourceRange {
  const offset = offsetOf(text, line, column);
  return { start: { line, column, offset }, end: { line, column: column + length, offset: offset + length } };
}
