/**
 * The model's explicit forward/backward against an independent autodiff oracle: the same computation written in
 * @tensorflow/tfjs (cpu backend), with the BiT quantizers as tf.customGrad functions whose gradients are written
 * from bit-algorithm.md (§1 STE weights, §3 elastic 1-bit, §4 LSQ), not by calling runtime/quant/.
 * Same weights (copied from paramData), dropout probabilities 0, a loss that touches logits, every hidden state and
 * every attention score tensor with random upstream gradients. Every parameter gradient is compared, `a` and `b`
 * included. Error measure per tensor: max|ours - tf| / max(max|tf|, 1e-6), bar 1e-3.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BertModel } from '../../../runtime/model/bert.js';
import type { Batch } from '../../../runtime/model/types.js';
import { planFor } from '../../../runtime/quant/plan.js';
import { Rng } from '../../../runtime/util/rng.js';
import { maxRelErr, randomLike, tinyBatch, tinyModel } from './tiny-model.js';

const TOL = 1e-3;

before(async () => {
  await tf.setBackend('cpu');
});

type P = Map<string, tf.Tensor>;

const sgn = (x: tf.Tensor): tf.Tensor => tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg());

/** §1: W_b = mean|W| * sign(W - centre); gradient straight through. */
function binarizeTensor(w: tf.Tensor, centred: boolean): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([]);
    const centre = centred ? tf.mean(x) : tf.scalar(0);
    return { value: tf.mul(tf.mean(tf.abs(x)), sgn(tf.sub(x, centre))), gradFunc: (dy: tf.Tensor) => [dy] };
  });
  return f(w) as tf.Tensor;
}

/** §1: per-row table binarization, centred by the global mean; gradient straight through. */
function binarizeRowsTensor(e: tf.Tensor, centred: boolean): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([]);
    const centre = centred ? tf.mean(x) : tf.scalar(0);
    return { value: tf.mul(tf.mean(tf.abs(x), 1, true), sgn(tf.sub(x, centre))), gradFunc: (dy: tf.Tensor) => [dy] };
  });
  return f(e) as tf.Tensor;
}

interface QSpec { signed: boolean; bits: number; minOffset: boolean }

/**
 * §3/§4 on u (= x + b, the shift added outside so that autodiff carries its gradient), scale a (a scalar tensor):
 * 1-bit signed: a·sign(u); du = g·1{|u| <= a}; da = sum(sign(u)·g)/sqrt(N).
 * otherwise v = (u - o)/a: a·clip(round(v), Qn, Qp) + o; du = g·1{Qn <= v <= Qp};
 * da = sum(g·(Qn | Qp | round(v) - v))/sqrt(N·Qp); o = min(u) (unsigned multi-bit with the min offset) else 0.
 */
function quantize(u: tf.Tensor, a: tf.Tensor, spec: QSpec): tf.Tensor {
  const N = u.size;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, s, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    if (spec.signed && spec.bits === 1) {
      save([x, s]);
      return {
        value: tf.mul(s, sgn(x)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, ss] = saved as [tf.Tensor, tf.Tensor];
          const pass = tf.logicalAnd(tf.lessEqual(xs, ss), tf.greaterEqual(xs, tf.neg(ss)));
          const dx = tf.where(pass, dy, tf.zerosLike(dy));
          const da = tf.div(tf.sum(tf.mul(sgn(xs), dy)), Math.sqrt(N)).reshape(ss.shape);
          return [dx, da];
        },
      };
    }
    const qn = spec.signed ? -(2 ** (spec.bits - 1)) : 0;
    const qp = spec.signed ? 2 ** (spec.bits - 1) - 1 : 2 ** spec.bits - 1;
    const off = !spec.signed && spec.bits > 1 && spec.minOffset ? tf.min(x) : tf.scalar(0);
    save([x, s, off]);
    const q = tf.clipByValue(tf.round(tf.div(tf.sub(x, off), s)), qn, qp);
    return {
      value: tf.add(tf.mul(s, q), off),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ss, os] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const v = tf.div(tf.sub(xs, os), ss);
        const below = tf.less(v, qn);
        const above = tf.greater(v, qp);
        const inside = tf.logicalNot(tf.logicalOr(below, above));
        const dx = tf.where(inside, dy, tf.zerosLike(dy));
        const term = tf.where(below, tf.fill(v.shape, qn), tf.where(above, tf.fill(v.shape, qp), tf.sub(tf.round(v), v)));
        const da = tf.div(tf.sum(tf.mul(term, dy)), Math.sqrt(N * qp)).reshape(ss.shape);
        return [dx, da];
      },
    };
  });
  return f(u, a) as tf.Tensor;
}

interface Oracle {
  logits: tf.Tensor;
  hidden: tf.Tensor[];
  scores: tf.Tensor[];
}

/** The tfjs BERT: same computation as runtime/model/, written from the spec with tf ops. */
function tfForward(m: BertModel, p: P, batch: Batch): Oracle {
  const cfg = m.config;
  const plan = m.plan;
  const opts = plan?.options;
  const { B, T } = batch;
  const { hidden: C, heads: NH } = cfg;
  const HS = C / NH;
  const g = (n: string): tf.Tensor => p.get(n)!;
  const has = (n: string): boolean => p.has(n);
  const layerNorm = (x: tf.Tensor, prefix: string): tf.Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, cfg.layerNormEps))), g(`${prefix}.weight`)), g(`${prefix}.bias`));
  };
  const actQ = (x: tf.Tensor, point: string): tf.Tensor => {
    const lp = planFor(plan, point);
    if (!lp || lp.activationBits >= 32) return x;
    let u = x;
    if (has(`${point}.act_quant.shift`)) {
      const b = g(`${point}.act_quant.shift`);
      const last = x.shape[x.shape.length - 1]!;
      u = tf.add(x, b.shape[0] === last ? b : tf.slice(b, [0], [last]));
    }
    return quantize(u, g(`${point}.act_quant.scale`), { signed: lp.activationSet === 'signed', bits: lp.activationBits, minOffset: opts!.unsignedMinOffset });
  };
  const weight = (point: string): tf.Tensor => {
    const lp = planFor(plan, point);
    const w = g(`${point}.weight`);
    return lp && lp.weightBits === 1 ? binarizeTensor(w, opts!.weightCentering) : w;
  };
  const linear = (x: tf.Tensor, point: string): tf.Tensor =>
    tf.add(tf.matMul(actQ(x, point), weight(point), false, true), g(`${point}.bias`));

  const ids = tf.tensor1d(batch.inputIds, 'int32');
  const types = tf.tensor1d(batch.tokenTypeIds, 'int32');
  const pos = tf.tensor1d(Int32Array.from({ length: B * T }, (_, i) => i % T), 'int32');
  const wordPlan = planFor(plan, 'bert.embeddings.word_embeddings');
  let word = g('bert.embeddings.word_embeddings.weight');
  if (wordPlan && wordPlan.weightBits === 1) word = binarizeRowsTensor(word, opts!.weightCentering);
  const embSum = tf.addN([tf.gather(word, ids), tf.gather(g('bert.embeddings.position_embeddings.weight'), pos),
    tf.gather(g('bert.embeddings.token_type_embeddings.weight'), types)]);
  let x = layerNorm(embSum, 'bert.embeddings.LayerNorm'); // [B*T, C]
  const hidden = [x];
  const scores: tf.Tensor[] = [];
  const maskBias = tf.tensor4d(Float32Array.from(batch.attentionMask, (v) => (v ? 0 : -10000)), [B, 1, 1, T]);
  const quantizes = plan !== null && plan.layers.some((l) => l.weightBits < 32 || l.activationBits < 32);
  const act = quantizes ? opts!.ffnActivation : cfg.hiddenAct;
  for (let l = 0; l < cfg.layers; l++) {
    const pre = `bert.encoder.layer.${l}`;
    const heads = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [B, T, NH, HS]), [0, 2, 1, 3]);
    const qh = heads(actQ(linear(x, `${pre}.attention.self.query`), `${pre}.attention.self.query_layer`));
    const kh = heads(actQ(linear(x, `${pre}.attention.self.key`), `${pre}.attention.self.key_layer`));
    const vh = heads(actQ(linear(x, `${pre}.attention.self.value`), `${pre}.attention.self.value_layer`));
    const s = tf.add(tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(HS)), maskBias); // [B,NH,T,T]
    scores.push(s);
    const probs = actQ(tf.softmax(s, -1), `${pre}.attention.self.attention_probs`);
    const ctx = tf.reshape(tf.transpose(tf.matMul(probs, vh), [0, 2, 1, 3]), [B * T, C]);
    const attnOut = layerNorm(tf.add(linear(ctx, `${pre}.attention.output.dense`), x), `${pre}.attention.output.LayerNorm`);
    const h = linear(attnOut, `${pre}.intermediate.dense`);
    const a = act === 'gelu' ? tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2)))) : tf.relu(h);
    x = layerNorm(tf.add(linear(a, `${pre}.output.dense`), attnOut), `${pre}.output.LayerNorm`);
    hidden.push(x);
  }
  const first = tf.reshape(tf.slice(tf.reshape(x, [B, T, C]), [0, 0, 0], [B, 1, C]), [B, C]);
  const pooled = tf.tanh(linear(first, 'bert.pooler.dense'));
  const logits = tf.add(tf.matMul(pooled, g('classifier.weight'), false, true), g('classifier.bias'));
  return { logits, hidden, scores };
}

function check(label: string, m: BertModel, tamper?: (m: BertModel) => void): { worst: number; where: string } {
  const batch = tinyBatch();
  const rng = new Rng(99);
  const out = m.forward(batch, { training: true });
  const gLogits = randomLike(out.logits.length, rng);
  const gHidden = out.hiddenStates.map((h) => randomLike(h.length, rng));
  const gScores = out.attentionScores.map((s) => randomLike(s.length, rng));
  // copy outputs before backward (buffers stay valid, but be explicit)
  const logits = Float32Array.from(out.logits);
  const hidden = out.hiddenStates.map((h) => Float32Array.from(h));
  const scores = out.attentionScores.map((s) => Float32Array.from(s));
  m.zeroGrad();
  m.backward({ dLogits: gLogits, dHiddenStates: gHidden, dAttentionScores: gScores });
  tamper?.(m);

  const names = m.params.map((s) => s.name);
  const tensors = m.params.map((s) => tf.tensor(Float32Array.from(m.param(s.name)), s.shape));
  const mapOf = (ts: tf.Tensor[]): P => new Map(names.map((n, i) => [n, ts[i]!]));
  const o = tfForward(m, mapOf(tensors), batch);
  let worst = 0;
  let where = '';
  const cmp = (what: string, got: Float32Array, want: tf.Tensor): void => {
    const e = maxRelErr(got, want.dataSync());
    if (e > worst || !Number.isFinite(e)) {
      worst = Number.isFinite(e) ? e : Infinity;
      where = what;
    }
    assert.ok(e <= TOL, `${label}: ${what} rel err ${e}`);
  };
  cmp('logits', logits, o.logits);
  hidden.forEach((h, i) => cmp(`hidden ${i}`, h, o.hidden[i]!));
  scores.forEach((s, i) => cmp(`scores ${i}`, s, o.scores[i]!));
  const lossFn = (...ts: tf.Tensor[]): tf.Scalar => {
    const r = tfForward(m, mapOf(ts), batch);
    let loss = tf.sum(tf.mul(r.logits, tf.tensor(gLogits, r.logits.shape)));
    r.hidden.forEach((h, i) => (loss = tf.add(loss, tf.sum(tf.mul(h, tf.tensor(gHidden[i]!, h.shape))))));
    r.scores.forEach((s, i) => (loss = tf.add(loss, tf.sum(tf.mul(s, tf.tensor(gScores[i]!, s.shape))))));
    return loss as tf.Scalar;
  };
  const grads = tf.grads(lossFn)(tensors);
  let gradWorst = 0;
  let gradWhere = '';
  m.params.forEach((s, i) => {
    const e = maxRelErr(m.grad(s.name), grads[i]!.dataSync());
    if (e > gradWorst || !Number.isFinite(e)) {
      gradWorst = Number.isFinite(e) ? e : Infinity;
      gradWhere = s.name;
    }
    assert.ok(e <= TOL, `${label}: gradient of ${s.name} rel err ${e}`);
  });
  // every parameter must get a non-trivial gradient from this loss (else the comparison proves nothing)
  for (const s of m.params) {
    if (s.name.includes('word_embeddings') || s.name.includes('position_embeddings') || s.name.includes('token_type')) continue;
    assert.ok(m.grad(s.name).some((v) => v !== 0), `${label}: ${s.name} got no gradient`);
  }
  console.log(`${label}: outputs max rel err ${worst.toExponential(2)} (${where}); gradients max rel err ${gradWorst.toExponential(2)} (${gradWhere})`);
  tf.disposeVariables();
  return { worst: Math.max(worst, gradWorst), where };
}

test('FP model (GELU): logits, hidden states, scores and all gradients match tfjs', () => {
  check('FP', tinyModel(null, 32));
});

test('W1A1, every quantizer on, attention shifts on: matches tfjs', () => {
  const m = tinyModel(1, 1, { attentionShifts: true });
  // shifts start at random values (tinyModel), so every `b` is on the path; all scales initialised by a forward
  for (const s of m.params) if (s.group === 'scale') assert.ok(m.param(s.name)[0]! > 0, s.name);
  assert.ok(m.params.some((s) => s.name.endsWith('attention_probs.act_quant.shift')));
  check('W1A1', m);
});

test('W1A2 (LSQ, unsigned min offset), attention shifts on: matches tfjs', () => {
  check('W1A2', tinyModel(1, 2, { attentionShifts: true }));
});

test('W1A4 without min offset and without centring: matches tfjs', () => {
  check('W1A4', tinyModel(1, 4, { unsignedMinOffset: false, weightCentering: false }));
});

test('the comparison can fail: a 1 % error in one scale gradient, or one dropped shift entry, is caught', () => {
  assert.throws(() => check('tampered a', tinyModel(1, 1, { attentionShifts: true }), (m) => {
    m.grad('bert.encoder.layer.1.intermediate.dense.act_quant.scale')[0]! *= 1.01;
  }), /intermediate\.dense\.act_quant\.scale rel err/);
  assert.throws(() => check('tampered b', tinyModel(1, 1, { attentionShifts: true }), (m) => {
    const g = m.grad('bert.encoder.layer.0.attention.self.attention_probs.act_quant.shift');
    let k = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[k]!)) k = i;
    g[k] = 0;
  }), /attention_probs\.act_quant\.shift rel err/);
});
