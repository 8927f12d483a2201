/**
 * The checks beyond parse + validation that need the model or the disk, in one place so that `bitkit check` and the
 * language server report exactly the same: files (load.ts BK5001-BK5003, file-rules.ts BK5004-BK5005), layer
 * overrides against the model (layer-rules.ts BK4003-BK4005) and advice (advice-rules.ts BK2014, BK3008).
 */
import { checkAdviceRules } from './advice-rules.js';
import { makeDiagnostic, sortDiagnostics, type RecipeDiagnostic } from './diagnostics.js';
import { checkFileContents } from './file-rules.js';
import { checkLayerRules } from './layer-rules.js';
import { checkRecipeFiles } from './load.js';
import { directFileIO, modelRefOf, readModelInfo, type ModelInfo, type RecipeFileIO } from './model-source.js';
import { analyzeRecipeText, recipeBaseDir, type ParseRecipeOptions, type RecipeAnalysis } from './parse.js';
import { parseRecipeSource, rangeAt } from './source.js';

export interface ExtraCheckOptions {
  /** File access (default: direct; the server passes its cache). */
  io?: RecipeFileIO;
  /** Check files on disk (default true). */
  files?: boolean;
  /** Show BK2014 hints (default true). */
  hints?: boolean;
  /** The plain data of the document when the caller has it already (recipeData). */
  data?: { raw: unknown } | { error: string } | undefined;
}

/**
 * analyzeRecipeText that never throws: a document whose aliases expand past the `yaml` package's maxAliasCount
 * (an alias bomb) gets one BK1004 on its first line instead of an exception.
 */
export function analyzeRecipeSafely(text: string, file: string, options: ParseRecipeOptions = {}): RecipeAnalysis {
  try {
    return analyzeRecipeText(text, file, options);
  } catch (e) {
    const source = parseRecipeSource(text, file);
    const eol = text.indexOf('\n');
    const d = makeDiagnostic('BK1004', file, rangeAt(source, 0, eol < 0 ? text.length : eol), { detail: (e as Error).message.split('\n')[0]! });
    return { recipe: null, diagnostics: [d], source, baseDir: options.baseDir ?? recipeBaseDir(file) };
  }
}

/** The plain data of an analysed recipe, or undefined where YAML errors (or an alias bomb) prevent it. */
export function recipeData(analysis: RecipeAnalysis): { raw: unknown } | { error: string } | undefined {
  if (analysis.source.doc.errors.length > 0) return undefined;
  try {
    return { raw: analysis.source.doc.toJS({ maxAliasCount: 1000 }) as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The model behind an analysed recipe (read through `io`), an error when its checkpoint is corrupt, or undefined. */
export function recipeModel(analysis: RecipeAnalysis, raw: unknown, io: RecipeFileIO = directFileIO): ModelInfo | { error: string } | undefined {
  const ref = modelRefOf(raw, analysis.baseDir);
  return ref ? readModelInfo(ref, io) : undefined;
}

export function extraDiagnostics(analysis: RecipeAnalysis, options: ExtraCheckOptions = {}): RecipeDiagnostic[] {
  const io = options.io ?? directFileIO;
  const data = 'data' in options ? options.data : recipeData(analysis);
  if (!data || 'error' in data) return []; // YAML errors, or an alias bomb (BK1004 from analyzeRecipeSafely)
  const src = analysis.source;
  const out: RecipeDiagnostic[] = [];
  const model = recipeModel(analysis, data.raw, io);
  checkLayerRules(src, data.raw, model && !('error' in model) ? model : undefined, out);
  checkAdviceRules(src, data.raw, out);
  if (options.files !== false) out.push(...checkRecipeFiles(analysis), ...checkFileContents(analysis, io, model));
  return sortDiagnostics(options.hints === false ? out.filter((d) => d.severity !== 'hint') : out);
}
