/**
 * The formula each recipe key controls, quoted from the algorithm doc (../shared/docs/bit-algorithm.md, "BiT,
 * precisely"), for hovers. Keyed by the last key of the path; the schema's own description comes first.
 */
export const FORMULAS: Record<string, string> = {
  bits:
    '§1 weights: `W_b = a_W · sign(W - mean(W))`, `a_W = mean(|W|)` per tensor, straight-through gradient.\n\n' +
    '§3 1-bit activations: signed `Q(x) = a · sign(x)`; unsigned `Q(x) = a · clip(round(x / a), 0, 1)` with `x = X + b`.\n\n' +
    '§4 2-8 bits (LSQ): `a · clip(round(x/a), -2^(b-1), 2^(b-1) - 1)` (signed), levels `{0 .. 2^b - 1}` (unsigned).',
  weightBits: '§1 `W_b = a_W · sign(W - mean(W))`, `a_W = mean(|W|)` over the whole matrix; backward `dL/dW = dL/dW_b`.',
  activationBits:
    '§3 1 bit: signed `a · sign(x)`, unsigned `a · clip(round(x / a), 0, 1)`; §4 b bits: `a · clip(round(x/a), Qn, Qp)`, gradient scale `1/sqrt(N · Qp)`.',
  activationSet:
    '§2 two-set scheme: non-negative activations (attention probabilities, the input of FFN-2 after ReLU) go to `{0, a}`, all others to `{-a, +a}`.',
  pred: '§5 `L_pred`: soft cross-entropy between teacher and student logits at temperature T; MSE on the logit for regression (STS-B).',
  rep: '§5 `L_rep`: sum over all hidden states (embedding output + every layer output) of the element-wise MSE.',
  temperature: '§5 `L_pred = CE(softmax(z_T / T), softmax(z_S / T))`; the reference uses T = 1.',
  label: '§5 no label loss by default (reference); a weighted option.',
  attention: '§5 no attention-score loss by default (reference); a weighted option.',
  lr: '§5 Adam(0.9, 0.999, eps 1e-6), linear warm-up 10 % then linear decay; `b` uses this rate, no weight decay.',
  scaleLr: '§3 the scales `a` use their own learning rate (1e-4 in the reference) and no weight decay.',
  weightDecay: '§5 weight decay 0.01 except biases, LayerNorm and shifts.',
  warmup: '§5 linear warm-up over this fraction of the steps, then linear decay to 0.',
  clipNorm: '§5 per-parameter gradient-norm clip 1.0.',
  weightCentering: '§1 the centring by `mean(W)` is a detail of the reference code (BinaryBERT did not centre).',
  binarizeEmbeddings: '§1 `E_b[r] = mean_j |E[r,j]| · sign(E[r] - mean(E))`, one scale per row; position and token-type embeddings stay FP.',
  elastic: '§3 learned `a > 0` per tensor and per-input-channel shift `b`: `x = X + b`; `dL/da` signed `sum(sign(x) · g) / sqrt(N)`.',
  twoSet: '§2 `{0, a}` for attention probabilities and the FFN-2 input, `{-a, +a}` elsewhere; both attention matmuls become binary x binary.',
  scaleInit: '§3 reference: signed `2 · mean|x|`, unsigned `4 · mean|x|`; paper: signed `mean|x|`, unsigned the mean of the entries >= 0.5.',
  attentionShifts: '§3 the reference creates shifts for projected Q, K, V and the attention probabilities but never uses them.',
  ffnActivation: '§2 the student switches the FFN non-linearity from GELU to ReLU so that the input of FFN-2 is non-negative.',
  unsignedMinOffset: '§4 the reference subtracts the tensor minimum first (as a constant) and adds it back.',
  teacherDropout: '§5 the teacher runs in inference mode by default (the reference leaves GLUE teachers\' dropout on).',
  teacher: '§5 multi-distillation: each stage is a student distilled from the previous stage, e.g. `W32A32 -> W1A2 -> W1A1`.',
  init: '§5 the student of stage k is initialised from stage k-1 (latent weights, `a`, `b` carry over).',
  evalEvery: '§5 keep the best dev checkpoint of each stage (the reference evaluates every 100 steps).',
};
