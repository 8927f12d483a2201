/**
 * Snippet bodies (LSP snippet syntax): a whole recipe for an empty file (the examples' shape: a small teacher trained
 * from scratch, then W1A2, then W1A1), a stage and a layer override. `col` is the column the item's content starts at.
 */

export const RECIPE_SNIPPET = [
  '# BiT multi-distillation: full-precision teacher -> W1A2 -> W1A1',
  'version: 1',
  'name: ${1:my-recipe}',
  'task: ${2|sst2,cola,stsb,mrpc,rte,qnli,qqp,mnli,wnli,example,custom|}',
  'data:',
  '  train: ${3:train.tsv}',
  '  dev: ${4:dev.tsv}',
  '  maxLength: 64',
  'teacher:',
  '  architecture: { layers: 4, hidden: 256, heads: 4, intermediate: 1024, maxPositions: 128 }',
  '  train: { epochs: 3, batchSize: 32, lr: 1e-3 }',
  'defaults:',
  '  batchSize: 32',
  '  lr: 5e-4',
  'stages:',
  '  - name: w1a2',
  '    teacher: teacher',
  '    bits: W1A2',
  '    epochs: 3',
  '  - name: w1a1',
  '    teacher: w1a2',
  '    bits: W1A1',
  '    epochs: 3',
  '$0',
].join('\n');

/** A stage after `count` existing stages (the dash is already typed; continuation lines are indented to `col`). */
export function stageSnippet(col: number, count: number): string {
  const pad = ' '.repeat(col);
  const bits = count === 0 ? 'W1A2' : 'W1A1';
  return [`name: \${1:${bits.toLowerCase()}}`, `${pad}bits: \${2|${bits},W1A1,W1A2,W1A4,W1A8|}`, `${pad}epochs: \${3:3}$0`].join('\n');
}

export function overrideSnippet(col: number): string {
  const pad = ' '.repeat(col);
  return [`match: \${1:bert.encoder.layer.*.attention.self.query}`, `${pad}\${2|weightBits,activationBits|}: \${3|1,2,4,8,32|}$0`].join('\n');
}
