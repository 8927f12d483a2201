/**
 * The embedded example recipe (`bitkit distill --example`): a tiny teacher trained from scratch on the embedded
 * SpamAssassin ham/spam set, then W1A2 and W1A1 students. Sized to finish in minutes on a laptop CPU; tune the
 * numbers here.
 */

/** The name the example recipe goes by in diagnostics and in `ResolvedRecipe.file`. */
export const EXAMPLE_RECIPE_FILE = '<embedded example>';

export const EXAMPLE_RECIPE_YAML = `# The embedded example: SpamAssassin ham/spam, FP teacher -> W1A2 -> W1A1 (BiT multi-distillation).
version: 1
name: example
task: example
data:
  train: null          # null = the embedded dataset
  dev: null
  maxLength: 64
tokenizer:
  vocab: bert-base-uncased
teacher:
  architecture: { layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 128 }
  train: { epochs: 3, batchSize: 32, lr: 1e-3, seed: 42 }
defaults:
  batchSize: 32
  seed: 42
stages:
  - name: w1a2
    teacher: teacher
    bits: W1A2
    epochs: 3
    lr: 5e-4
  - name: w1a1
    teacher: w1a2
    bits: W1A1
    epochs: 3
    lr: 5e-4
output: runs/example
`;
