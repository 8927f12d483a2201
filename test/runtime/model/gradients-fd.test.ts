/**
 * Central finite differences against the model's backward, on the tiny model. Float32 only, so the steps are large
 * (h = 2e-2 and 1e-2, combined by Richardson extrapolation so that the h^2 truncation error cancels); the loss is
 * summed in double from the float32 outputs; per-tensor error max|analytic - fd| / max|fd| below 2e-3.
 *
 * Full precision: every parameter, for a loss on logits, every hidden state and every attention score tensor.
 *
 * W1A1: under straight-through estimation the backward deliberately is NOT the derivative of the forward wherever a
 * quantizer sits on the path (sign/round are locally constant, so finite differences see 0 there, or only the
 * a_W = mean|W| part of a binarized weight). Finite differences are therefore checked only for parameters all of
 * whose paths to the chosen loss avoid every quantizer and binarized weight:
 *   loss on logits only        -> classifier.weight, classifier.bias, bert.pooler.dense.bias
 *   loss on the last hidden     -> last layer's output.LayerNorm.{weight,bias} and output.dense.bias
 *   loss on hidden state 0      -> embeddings LayerNorm, position and token-type embeddings (not the binarized
 *                                  word table)
 * plus the one quantizer gradient that is a true derivative up to its documented scale: the 1-bit signed scale of
 * the pooler's input, Q = a·sign(u), dQ/da = sign(u) exactly, and the model reports that sum divided by sqrt(N).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BertModel } from '../../../runtime/model/bert.js';
import type { BackwardInputs, ForwardOutputs } from '../../../runtime/model/types.js';
import { Rng } from '../../../runtime/util/rng.js';
import { maxRelErr, randomLike, tinyBatch, tinyModel } from './tiny-model.js';

const EPS = 2e-2;

interface Upstream {
  gLogits: Float32Array | null;
  gHidden: (Float32Array | null)[];
  gScores: (Float32Array | null)[];
}

function dot(a: Float32Array, b: Float32Array | null): number {
  if (b === null) return 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) s += a[i]! * b[i]!;
  return s;
}

function lossOf(out: ForwardOutputs, u: Upstream): number {
  let s = dot(out.logits, u.gLogits);
  out.hiddenStates.forEach((h, i) => (s += dot(h, u.gHidden[i] ?? null)));
  out.attentionScores.forEach((h, i) => (s += dot(h, u.gScores[i] ?? null)));
  return s;
}

/** Finite-difference gradient of each named parameter; returns [name, fd, analytic] triples. */
function fdCheck(m: BertModel, names: string[], u: Upstream): { name: string; fd: Float32Array; an: Float32Array }[] {
  const batch = tinyBatch();
  m.forward(batch, { training: true });
  m.zeroGrad();
  const bi: BackwardInputs = { dLogits: u.gLogits, dHiddenStates: u.gHidden, dAttentionScores: u.gScores };
  m.backward(bi);
  const res = [];
  for (const name of names) {
    const p = m.param(name);
    const fd = new Float32Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const keep = p[i]!;
      const central = (h: number): number => {
        p[i] = keep + h;
        const lp = lossOf(m.forward(batch, { training: false }), u);
        p[i] = keep - h;
        const lm = lossOf(m.forward(batch, { training: false }), u);
        p[i] = keep;
        return (lp - lm) / (2 * h);
      };
      // Richardson extrapolation of two central differences: the h^2 error terms cancel
      fd[i] = (4 * central(EPS / 2) - central(EPS)) / 3;
    }
    res.push({ name, fd, an: Float32Array.from(m.grad(name)) });
  }
  return res;
}

function upstream(m: BertModel, which: { logits?: boolean; hidden?: number[]; scores?: boolean }, seed: number): Upstream {
  const rng = new Rng(seed);
  const out = m.forward(tinyBatch(), { training: false });
  const L = m.config.layers;
  return {
    gLogits: which.logits ? randomLike(out.logits.length, rng) : null,
    gHidden: out.hiddenStates.map((h, i) => (which.hidden?.includes(i) ? randomLike(h.length, rng) : null)),
    gScores: out.attentionScores.map((s) => (which.scores ? maskedOff(randomLike(s.length, rng), m) : null)).slice(0, L),
  };
}

/**
 * Zero the upstream gradient of the scores at padded key positions: there the score is raw - 10000 in float32, whose
 * resolution (about 1e-3) would drown any finite difference; the mask is a constant, so nothing is lost.
 */
function maskedOff(g: Float32Array, m: BertModel): Float32Array {
  const { B, T, attentionMask } = tinyBatch();
  const NH = m.config.heads;
  for (let b = 0; b < B; b++)
    for (let j = 0; j < T; j++)
      if (!attentionMask[b * T + j]) for (let r = 0; r < NH * T; r++) g[(b * NH * T + r) * T + j] = 0;
  return g;
}

test('FP model: every parameter gradient matches central finite differences', () => {
  const m = tinyModel(null, 32);
  const L = m.config.layers;
  const u = upstream(m, { logits: true, hidden: [...Array(L + 1).keys()], scores: true }, 5);
  let worst = 0;
  let where = '';
  for (const r of fdCheck(m, m.params.map((s) => s.name), u)) {
    const e = maxRelErr(r.an, r.fd);
    if (e > worst) [worst, where] = [e, r.name];
    assert.ok(e < 2e-3, `${r.name}: rel err ${e}`);
  }
  console.log(`FP finite differences: max rel err ${worst.toExponential(2)} (${where})`);
});

test('W1A1: gradients on quantizer-free paths match finite differences', () => {
  const m = tinyModel(1, 1);
  const L = m.config.layers;
  const last = `bert.encoder.layer.${L - 1}`;
  const cases: [Parameters<typeof upstream>[1], string[]][] = [
    [{ logits: true }, ['classifier.weight', 'classifier.bias', 'bert.pooler.dense.bias']],
    [{ hidden: [L] }, [`${last}.output.LayerNorm.weight`, `${last}.output.LayerNorm.bias`, `${last}.output.dense.bias`]],
    [{ hidden: [0] }, ['bert.embeddings.LayerNorm.weight', 'bert.embeddings.LayerNorm.bias',
      'bert.embeddings.position_embeddings.weight', 'bert.embeddings.token_type_embeddings.weight']],
  ];
  let worst = 0;
  let where = '';
  cases.forEach(([which, names], k) => {
    for (const r of fdCheck(m, names, upstream(m, which, 10 + k))) {
      const e = maxRelErr(r.an, r.fd);
      if (e > worst) [worst, where] = [e, r.name];
      assert.ok(e < 2e-3, `${r.name}: rel err ${e}`);
    }
  });
  // the pooler's 1-bit signed input scale: model gradient = exact derivative / sqrt(N), N = B * C
  const [r] = fdCheck(m, ['bert.pooler.dense.act_quant.scale'], upstream(m, { logits: true }, 20));
  const N = tinyBatch().B * m.config.hidden;
  const e = maxRelErr(r!.an, [r!.fd[0]! / Math.sqrt(N)]);
  assert.ok(e < 2e-3, `pooler scale: rel err ${e}`);
  console.log(`W1A1 finite differences: max rel err ${Math.max(worst, e).toExponential(2)} (${e > worst ? 'pooler scale' : where})`);
  // and the STE really differs from finite differences on a quantized path (why the list above is restricted)
  const [q] = fdCheck(m, [`${last}.intermediate.dense.bias`], upstream(m, { logits: true }, 21));
  assert.ok(maxRelErr(q!.an, q!.fd) > 0.1, 'STE gradient unexpectedly equals finite differences on a quantized path');
});
