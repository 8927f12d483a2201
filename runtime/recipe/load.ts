/**
 * Loading a recipe for the CLI and the trainer: read the file, parse and validate it (parse.ts), check that the
 * files it names exist (BK5xxx, the only step that touches the disk), and throw the first error as a BitkitError
 * with its place and hint. Warnings go to a callback.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { BitkitError } from '../errors.js';
import { BUILTIN_VOCAB } from './defaults.js';
import { makeDiagnostic, sortDiagnostics, type RecipeDiagnostic } from './diagnostics.js';
import { EXAMPLE_RECIPE_FILE, EXAMPLE_RECIPE_YAML } from './example.js';
import { analyzeRecipeText, type ParseRecipeOptions, type RecipeAnalysis } from './parse.js';
import { rangeAt, rangeOfPath, type KeyPath } from './source.js';
import type { ResolvedRecipe } from './types.js';

export interface LoadRecipeOptions extends ParseRecipeOptions {
  /** Check that data, vocabulary and checkpoint files exist (default true). */
  checkFiles?: boolean;
  /** Receives every warning, info and hint (errors are thrown). */
  onWarning?: (diagnostic: RecipeDiagnostic) => void;
}

/** Read, validate and resolve a `*.bitkit.yaml`; throws a BitkitError for the first error. */
export function loadRecipe(file: string, options: LoadRecipeOptions = {}): ResolvedRecipe {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const d =
      code === 'ENOENT'
        ? makeDiagnostic('BK5001', file, zero, { what: 'Recipe', path: file, base: process.cwd() })
        : code === 'EISDIR'
          ? makeDiagnostic('BK5003', file, zero, { what: 'Recipe', path: file })
          : makeDiagnostic('BK5002', file, zero, { what: 'Recipe', path: file, reason: code ?? String(e) });
    throw new BitkitError(d.code, d.message, { hint: d.hint, place: { file }, cause: e });
  }
  return loadRecipeText(text, file, options);
}

/** The same as loadRecipe for a recipe already in memory (an editor buffer, the embedded example). */
export function loadRecipeText(text: string, file: string, options: LoadRecipeOptions = {}): ResolvedRecipe {
  const analysis = analyzeRecipeText(text, file, options);
  const diagnostics = analysis.recipe && options.checkFiles !== false ? sortDiagnostics([...analysis.diagnostics, ...checkRecipeFiles(analysis)]) : analysis.diagnostics;
  const error = diagnostics.find((d) => d.severity === 'error');
  if (error || !analysis.recipe) throw toBitkitError(error ?? diagnostics[0]!);
  for (const d of diagnostics) options.onWarning?.(d);
  return analysis.recipe;
}

/** The embedded example recipe (task `example`; its output folder is relative to the working folder). */
export function loadExampleRecipe(options: LoadRecipeOptions = {}): ResolvedRecipe {
  return loadRecipeText(EXAMPLE_RECIPE_YAML, EXAMPLE_RECIPE_FILE, options);
}

export function toBitkitError(d: RecipeDiagnostic): BitkitError {
  const place = d.file.startsWith('<') ? {} : { file: d.file, line: d.range.start.line, column: d.range.start.column };
  return new BitkitError(d.code, d.message, { hint: d.hint, place });
}

const zero = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/** BK5xxx: the files a resolved recipe names, checked on disk; each diagnostic points at the path in the recipe. */
export function checkRecipeFiles(analysis: RecipeAnalysis): RecipeDiagnostic[] {
  const recipe = analysis.recipe;
  if (!recipe) return [];
  const out: RecipeDiagnostic[] = [];
  const check = (path: KeyPath, what: string, resolved: string, folderOk: boolean) => {
    const src = analysis.source;
    const range = src.text ? rangeOfPath(src, path) : rangeAt(src, 0, 0);
    const args = { what, path: resolved, base: analysis.baseDir };
    try {
      const st = statSync(resolved);
      if (st.isDirectory() && !folderOk) {
        out.push(makeDiagnostic('BK5003', src.file, range, args, { path: resolved }));
        return;
      }
      accessSync(resolved, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') out.push(makeDiagnostic('BK5001', src.file, range, args, { path: resolved }));
      else out.push(makeDiagnostic('BK5002', src.file, range, { ...args, reason: code ?? String(e) }, { path: resolved }));
    }
  };
  if (recipe.data.train !== null) check(['data', 'train'], 'Training data', recipe.data.train, false);
  if (recipe.data.dev !== null) check(['data', 'dev'], 'Dev data', recipe.data.dev, false);
  if (recipe.tokenizer.vocab !== BUILTIN_VOCAB) check(['tokenizer', 'vocab'], 'Vocabulary', recipe.tokenizer.vocab, false);
  if (recipe.teacher.checkpoint !== null) check(['teacher', 'checkpoint'], 'Teacher checkpoint', recipe.teacher.checkpoint, true);
  return out;
}
