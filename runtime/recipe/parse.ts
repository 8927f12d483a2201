/**
 * Text -> ResolvedRecipe + diagnostics, without touching the file system (pure apart from path arithmetic): the
 * language server calls this on every keystroke; the CLI goes through load.ts, which adds the file checks.
 */
import { dirname, resolve } from 'node:path';
import type { YAMLError } from 'yaml';
import { makeDiagnostic, sortDiagnostics, type RecipeDiagnostic } from './diagnostics.js';
import { resolveRecipe } from './defaults.js';
import { parseRecipeSource, rangeAt, type RecipeSource } from './source.js';
import type { ResolvedRecipe } from './types.js';
import { validateRecipeSource } from './validate.js';

export interface ParseRecipeOptions {
  /** Folder relative paths are resolved against. Default: the recipe's folder (the working folder for `<...>` names). */
  baseDir?: string;
}

export interface ParsedRecipe {
  /** The resolved recipe, or null when there is any error (warnings do not block it). */
  recipe: ResolvedRecipe | null;
  /** Every diagnostic, in text order. */
  diagnostics: RecipeDiagnostic[];
}

/** ParsedRecipe plus the parsed document, for callers that need positions afterwards (file checks, the server). */
export interface RecipeAnalysis extends ParsedRecipe {
  source: RecipeSource;
  baseDir: string;
}

/** The folder a recipe's relative paths start from: its own folder; the working folder for `<embedded example>`. */
export function recipeBaseDir(file: string): string {
  return file.startsWith('<') ? process.cwd() : dirname(resolve(file));
}

export function parseRecipeText(text: string, file: string, options: ParseRecipeOptions = {}): ParsedRecipe {
  const { recipe, diagnostics } = analyzeRecipeText(text, file, options);
  return { recipe, diagnostics };
}

export function analyzeRecipeText(text: string, file: string, options: ParseRecipeOptions = {}): RecipeAnalysis {
  const source = parseRecipeSource(text, file);
  const baseDir = options.baseDir ?? recipeBaseDir(file);
  const syntax = syntaxDiagnostics(source);
  if (syntax.some((d) => d.severity === 'error')) return { recipe: null, diagnostics: syntax, source, baseDir };
  const diagnostics = sortDiagnostics([...syntax, ...validateRecipeSource(source)]);
  const ok = !diagnostics.some((d) => d.severity === 'error');
  const recipe = ok ? resolveRecipe(source.doc.toJS({ maxAliasCount: 1000 }), file, baseDir) : null;
  return { recipe, diagnostics, source, baseDir };
}

function syntaxDiagnostics(src: RecipeSource): RecipeDiagnostic[] {
  const one = (e: YAMLError, warning: boolean): RecipeDiagnostic => {
    const [start, end] = e.pos;
    const range = rangeAt(src, start, end);
    const detail = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (e.code === 'DUPLICATE_KEY') {
      // the parser marks the key's first character; widen the range to the whole key
      const m = /^(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^:,{}[\]\n]*?)(?=\s*:)/.exec(src.text.slice(start));
      const keyText = m && m[0].length > 0 ? m[0] : src.text.slice(start, end);
      const key = keyText.replace(/^["']|["']$/g, '');
      return makeDiagnostic('BK1002', src.file, rangeAt(src, start, start + keyText.length), { key }, { key, yamlCode: e.code });
    }
    return makeDiagnostic(warning ? 'BK1003' : 'BK1001', src.file, range, { detail }, { yamlCode: e.code });
  };
  return sortDiagnostics([...src.doc.errors.map((e) => one(e, false)), ...src.doc.warnings.map((e) => one(e, true))]);
}
