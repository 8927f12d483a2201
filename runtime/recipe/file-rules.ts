/**
 * What is inside the files a recipe names, read as little as possible (after load.ts found that they exist):
 *   BK5004  a data TSV whose first line does not fit the declared GLUE task (header columns, or the field count and
 *           label of a header-less task such as CoLA); only the first line is read;
 *   BK5005  a corrupt teacher checkpoint (the safetensors header, a bitkit checkpoint's metadata, a Hugging Face
 *           folder's config.json) or vocabulary (an empty vocab.txt, a tokenizer.json that is not JSON), with the reason.
 * All reads go through RecipeFileIO (model-source.ts), which the language server caches by (mtime, size).
 */
import { GLUE_TASKS, isGlueTask, type TaskSpec } from '../data/tasks.js';
import { BUILTIN_VOCAB } from './defaults.js';
import { makeDiagnostic, type RecipeDiagnostic } from './diagnostics.js';
import type { ModelInfo, RecipeFileIO } from './model-source.js';
import type { RecipeAnalysis } from './parse.js';
import { rangeOfPath, type KeyPath } from './source.js';

function layoutOf(spec: TaskSpec): string {
  const cols = [spec.textA, spec.textB, spec.label].filter((c) => c !== undefined);
  return spec.header
    ? `a header line naming the columns ${cols.map((c) => `'${c}'`).join(', ')} (GLUE ${spec.folder} layout)`
    : `${spec.columns} tab-separated fields per row and no header (GLUE ${spec.folder} layout)`;
}

/** Why the first line of a TSV does not fit a task, or undefined when it fits. */
export function tsvHeaderProblem(spec: TaskSpec, firstLine: string): string | undefined {
  const fields = firstLine.split('\t');
  if (spec.header) {
    const missing = [spec.textA, spec.textB, spec.label].filter((c): c is string => typeof c === 'string' && !fields.includes(c));
    if (missing.length === 0) return undefined;
    const found = fields.slice(0, 8).map((f) => `'${f.length > 24 ? f.slice(0, 24) + '...' : f}'`).join(', ');
    return `its header has no column ${missing.map((m) => `'${m}'`).join(', ')} (found ${found}${fields.length > 8 ? ', ...' : ''})`;
  }
  if (fields.length !== spec.columns) return `its first line has ${fields.length} tab-separated field(s), not ${spec.columns}`;
  const label = fields[spec.label as number]!;
  if (spec.labelNames && !spec.labelNames.includes(label)) {
    return `its first line has '${label}' where the label (${spec.labelNames.join(' or ')}) belongs; a header line is not expected`;
  }
  return undefined;
}

export function checkFileContents(analysis: RecipeAnalysis, io: RecipeFileIO, model: ModelInfo | { error: string } | undefined): RecipeDiagnostic[] {
  const recipe = analysis.recipe;
  if (!recipe) return [];
  const src = analysis.source;
  const out: RecipeDiagnostic[] = [];
  const isFile = (p: string) => {
    const st = io.stat(p);
    return !('error' in st) && !st.isDirectory;
  };
  const corrupt = (path: KeyPath, what: string, file: string, why: string, advice: string) =>
    out.push(makeDiagnostic('BK5005', src.file, rangeOfPath(src, path), { what, path: file, reason: why, advice }, { path: file, reason: why }));

  if (isGlueTask(recipe.task)) {
    const spec = GLUE_TASKS[recipe.task];
    const files: [KeyPath, string, string | null][] = [
      [['data', 'train'], 'The training file', recipe.data.train],
      [['data', 'dev'], 'The dev file', recipe.data.dev],
    ];
    for (const [path, what, file] of files) {
      if (file === null || !isFile(file)) continue;
      const line = io.firstLine(file);
      if (typeof line !== 'string') continue;
      const problem = tsvHeaderProblem(spec, line);
      if (problem) out.push(makeDiagnostic('BK5004', src.file, rangeOfPath(src, path), { what, task: recipe.task, problem, layout: layoutOf(spec) }, { path: file, task: recipe.task }));
    }
  }

  const vocab = recipe.tokenizer.vocab;
  if (vocab !== BUILTIN_VOCAB && isFile(vocab)) {
    const line = io.firstLine(vocab);
    if (typeof line === 'string') {
      if (/\.json$/i.test(vocab) && !line.trimStart().startsWith('{')) {
        corrupt(['tokenizer', 'vocab'], 'The vocabulary', vocab, 'a tokenizer.json must be a JSON object', 'Save the tokenizer again (tokenizer.save_pretrained) or point to its vocab.txt.');
      } else if (!/\.json$/i.test(vocab) && line.trim() === '') {
        corrupt(['tokenizer', 'vocab'], 'The vocabulary', vocab, 'its first line is empty; a vocab.txt has one token per line, [PAD] first', 'Point to the vocab.txt of the model.');
      }
    }
  }

  if (recipe.teacher.checkpoint !== null && model && 'error' in model) {
    corrupt(['teacher', 'checkpoint'], 'The teacher checkpoint', recipe.teacher.checkpoint, model.error, 'Re-export or re-download the checkpoint; a bitkit checkpoint is runs/<name>/<stage>/best.safetensors.');
  }
  return out;
}
