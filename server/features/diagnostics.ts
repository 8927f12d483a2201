/**
 * Diagnostics of a recipe document: parse + validation from the document cache, then the checks that need the
 * model or the disk (runtime/recipe/extra-checks.ts, the same as `bitkit check`), converted to LSP. Documents that are
 * not recipes get none.
 */
import type { Diagnostic } from 'vscode-languageserver';
import { sortDiagnostics } from '../../runtime/recipe/diagnostics.js';
import { extraDiagnostics } from '../../runtime/recipe/extra-checks.js';
import type { RecipeFileIO } from '../../runtime/recipe/model-source.js';
import { toLspDiagnostic } from '../convert.js';
import type { RecipeDocument } from '../document-cache.js';
import type { ServerSettings } from '../settings.js';

export function computeDiagnostics(doc: RecipeDocument, settings: ServerSettings, io: RecipeFileIO): Diagnostic[] {
  if (!doc.isRecipe) return [];
  const extra = extraDiagnostics(doc.analysis, { io, files: settings.checkFiles, hints: settings.hints, data: doc.analysis.data });
  const base = settings.hints ? doc.analysis.diagnostics : doc.analysis.diagnostics.filter((d) => d.severity !== 'hint');
  return sortDiagnostics([...base, ...extra]).map(toLspDiagnostic);
}
