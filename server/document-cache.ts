/**
 * One parse per document version, read by every feature: the text, the recipe analysis (runtime/recipe/parse.ts,
 * through the incremental fast path of segmented-parse.ts when it applies), the plain data and a line index for
 * cursor contexts. Documents that are not recipes (another YAML file) are marked and get no features.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { resolveRecipe } from '../runtime/recipe/defaults.js';
import { sortDiagnostics } from '../runtime/recipe/diagnostics.js';
import { analyzeRecipeSafely, recipeData } from '../runtime/recipe/extra-checks.js';
import { recipeBaseDir, type RecipeAnalysis } from '../runtime/recipe/parse.js';
import { validateRecipeSource } from '../runtime/recipe/validate.js';
import { uriToPath } from './convert.js';
import { LineIndex } from './features/cursor-context.js';
import { SegmentedParser } from './segmented-parse.js';

export interface RecipeDocument {
  uri: string;
  version: number;
  text: string;
  /** File path of the document (`<uri>` for untitled documents). */
  path: string;
  isRecipe: boolean;
  analysis: AnalyzedText;
  /** Plain data of the YAML (undefined with YAML errors or an alias bomb). */
  raw: unknown;
  lines: LineIndex;
}

const RECIPE_NAME = /\.bitkit\.ya?ml$/i;

/** Whether a document is a recipe: by name or language id, else by its top-level keys `teacher:` and `stages:`. */
export function looksLikeRecipe(uri: string, languageId: string, text: string): boolean {
  if (RECIPE_NAME.test(uri.replace(/[?#].*$/, '')) || languageId === 'bitkit-recipe') return true;
  return /^teacher\s*:/m.test(text) && /^stages\s*:/m.test(text);
}

/**
 * Parse and validate a recipe text; the segmented fast path when it applies, else the full parser. The `yaml`
 * package makes one Error per problem, and capturing their stack traces dominated the time on garbage text: none
 * are captured while parsing.
 */
export function analyzeText(text: string, path: string, parser: SegmentedParser): AnalyzedText {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return analyzeUnlimited(text, path, parser);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A recipe analysis and the plain data of its YAML (recipeData), computed once. */
export interface AnalyzedText extends RecipeAnalysis {
  data: { raw: unknown } | { error: string } | undefined;
}

function analyzeUnlimited(text: string, path: string, parser: SegmentedParser): AnalyzedText {
  const baseDir = recipeBaseDir(path);
  const source = parser.parse(text, path);
  if (source) {
    try {
      const diagnostics = sortDiagnostics(validateRecipeSource(source));
      const raw: unknown = source.doc.toJS({ maxAliasCount: 1000 });
      const ok = !diagnostics.some((d) => d.severity === 'error');
      const recipe = ok ? resolveRecipe(raw, path, baseDir) : null;
      return { recipe, diagnostics, source, baseDir, data: { raw } };
    } catch {
      /* the full parser reports it */
    }
  }
  const analysis = analyzeRecipeSafely(text, path);
  return { ...analysis, data: recipeData(analysis) };
}

export class DocumentCache {
  private parsers = new Map<string, SegmentedParser>();
  private current = new Map<string, RecipeDocument>();

  /** The parsed state of a document at its current version (parsed once per version). */
  get(doc: TextDocument): RecipeDocument {
    const hit = this.current.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    let parser = this.parsers.get(doc.uri);
    if (!parser) this.parsers.set(doc.uri, (parser = new SegmentedParser()));
    const text = doc.getText();
    const path = uriToPath(doc.uri);
    const isRecipe = looksLikeRecipe(doc.uri, doc.languageId, text);
    const analysis = analyzeText(isRecipe ? text : '', path, parser);
    const data = isRecipe ? analysis.data : undefined;
    const entry: RecipeDocument = {
      uri: doc.uri,
      version: doc.version,
      text,
      path,
      isRecipe,
      analysis,
      raw: data && 'raw' in data ? data.raw : undefined,
      lines: new LineIndex(text.split(/\r?\n/)),
    };
    this.current.set(doc.uri, entry);
    return entry;
  }

  close(uri: string): void {
    this.current.delete(uri);
    this.parsers.delete(uri);
  }

  get size(): number {
    return this.current.size;
  }
}
