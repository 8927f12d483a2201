/**
 * The CLI's `--events jsonl` stream, read back: bytes arrive in chunks, lines are split, and each line is either a
 * RunEvent (runtime/train/events.ts) or plain text (a stray log line, a partial write) that goes to the log as it is.
 * No 'vscode' import: unit-tested in test/extension/event-parser.test.ts.
 */
import type { RunEvent } from '../../runtime/train/events.js';

export type { RunEvent, StageSummary } from '../../runtime/train/events.js';

const EVENT_TYPES: ReadonlySet<string> = new Set<RunEvent['type']>([
  'run-start', 'stage-start', 'progress', 'eval', 'checkpoint', 'stage-end', 'warning', 'cancelled', 'run-end', 'error',
]);

export type ParsedLine = { kind: 'event'; event: RunEvent } | { kind: 'text'; text: string };

/** One line of the stream: an event when it is a JSON object with a known `type`, text otherwise. */
export function parseEventLine(line: string): ParsedLine {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value !== null && typeof value === 'object' && EVENT_TYPES.has((value as { type?: unknown }).type as string)) {
        return { kind: 'event', event: value as RunEvent };
      }
    } catch {
      // not JSON: falls through to text
    }
  }
  return { kind: 'text', text: line };
}

/** Splits a byte/character stream into lines; `flush` returns the last unterminated line. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.length > 0);
  }

  flush(): string[] {
    const last = this.rest;
    this.rest = '';
    return last.length > 0 ? [last] : [];
  }
}
