/**
 * Recipes as the CLI takes them: a file given on the command line, or the embedded example. Recipe warnings
 * (e.g. a direct FP -> W1A1 jump) are shown, errors are thrown as BitkitErrors with their place.
 */
import { resolve } from 'node:path';
import type { RecipeDiagnostic } from '../recipe/diagnostics.js';
import { loadExampleRecipe as loadEmbeddedExample, loadRecipe } from '../recipe/load.js';
import type { ResolvedRecipe } from '../recipe/types.js';
import type { EventSink } from '../train/events.js';

export function formatDiagnostic(d: RecipeDiagnostic): string {
  const place = d.file.startsWith('<') ? d.file : `${d.file}:${d.range.start.line}:${d.range.start.column}`;
  return `${place}: ${d.severity} ${d.code}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`;
}

export function loadRecipeForCli(file: string, onWarning?: (d: RecipeDiagnostic) => void): ResolvedRecipe {
  return loadRecipe(resolve(file), { onWarning: onWarning ?? ((d) => d.severity === 'warning' && process.stderr.write(formatDiagnostic(d) + '\n')) });
}

/** The embedded example; its relative paths (the run folder runs/example) start from the working folder. */
export function loadExampleRecipe(): ResolvedRecipe {
  return loadEmbeddedExample();
}

/** A warning for the user: an event in JSON-lines mode, a line on stderr otherwise. */
export function warn(sink: EventSink, message: string, jsonl: boolean): void {
  if (jsonl) sink.emit({ type: 'warning', message });
  else process.stderr.write(`${message}\n`);
}
