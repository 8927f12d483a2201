/**
 * The distillation step of bench/train.ts written in @tensorflow/tfjs on the WASM backend (XNNPACK, 1 thread): the
 * peer that bitkit's own training must beat. Same computation as runtime/model/ + runtime/train/stage-loop.ts:
 *
 *   teacher forward (FP, GELU, no dropout, outside the tape)
 *   student forward: per-row binarized word table, per-tensor binarized Linear weights (centred), elastic 1-bit
 *     activation quantizers (signed {-a,a} / unsigned {0,a}, shift b on Linear inputs) as tf.customGrad functions
 *     with the straight-through / elastic gradients of runtime/quant/, ReLU FFN, inverted dropout at the model's sites
 *   loss = soft cross-entropy on the logits (temperature T) * pred + sum over the L+1 hidden states of MSE * rep
 *   tf.variableGrads, per-tensor gradient clipping, AdamW (decoupled weight decay, bias correction, scale lr for `a`)
 *
 * Written after test/runtime/model/gradients-tfjs.test.ts (the autodiff oracle, which checks the gradients of this
 * formulation against the model's on the cpu backend). The WASM backend lacks UnsortedSegmentSum, the gradient of
 * gather (the embedding lookups); registerUnsortedSegmentSum() adds it in plain JavaScript over the WASM heap.
 */
import type * as TF from '@tensorflow/tfjs';
import type { BertModel } from '../runtime/model/bert.js';
import type { Batch } from '../runtime/model/types.js';
import { planFor, planQuantizes } from '../runtime/quant/plan.js';
import type { LossWeights, OptimizerSpec } from '../runtime/recipe/types.js';

type Tf = typeof TF;
type T = TF.Tensor;

/** @tensorflow/tfjs on the WASM backend at one thread, with UnsortedSegmentSum registered. */
export async function loadTfjsWasm(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  const tfw = await import('@tensorflow/tfjs-backend-wasm');
  tfw.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  registerUnsortedSegmentSum(tf);
  return tf;
}

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: TF.DataType): TF.TensorInfo;
  typedArrayFromHeap(t: TF.TensorInfo): Float32Array;
}

/** out[numSegments, ...] = sum of x rows by segment id (ids outside 0..numSegments-1 dropped, as TensorFlow). */
export function registerUnsortedSegmentSum(tf: Tf): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: TF.TensorInfo; segmentIds: TF.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmBackendLike;
      const xv = b.readSync(x.dataId);
      const ids = b.readSync(segmentIds.dataId);
      const rest = x.shape.slice(segmentIds.shape.length);
      const inner = rest.reduce((p, d) => p * d, 1);
      const out = b.makeOutput([numSegments, ...rest], x.dtype);
      const ov = b.typedArrayFromHeap(out);
      ov.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i]!;
        if (s < 0 || s >= numSegments) continue;
        const o = s * inner;
        const xi = i * inner;
        for (let c = 0; c < inner; c++) ov[o + c] += xv[xi + c]!;
      }
      return out;
    },
  });
}

/** sign with sign(0) = +1 */
const sgn = (tf: Tf, x: T): T => tf.where(tf.greaterEqual(x, 0), tf.onesLike(x), tf.onesLike(x).neg());

/** W_b = mean|W| * sign(W - centre); gradient straight through. */
function binarize(tf: Tf, w: T, centred: boolean, perRow: boolean): T {
  const f = tf.customGrad((...args: (T | TF.GradSaveFunc)[]) => {
    const x = args[0] as T;
    // tidy: the temporaries of the value are not needed by the gradient (WASM heap: ~2 GiB usable)
    const value = tf.tidy(() => {
      const centre = centred ? tf.mean(x) : tf.scalar(0);
      const scale = perRow ? tf.mean(tf.abs(x), 1, true) : tf.mean(tf.abs(x));
      return tf.mul(scale, sgn(tf, tf.sub(x, centre)));
    });
    return { value, gradFunc: (dy: T) => [dy] };
  });
  return f(w) as T;
}

/**
 * 1-bit elastic quantizer on u = x + b, scale a (a [1] tensor).
 * signed: a*sign(u); du = g*1{|u| <= a}; da = sum(sign(u) g)/sqrt(N).
 * unsigned: a*clip(round(u/a), 0, 1); v = u/a; du = g*1{0 <= v <= 1}; da = sum(g*(0 | 1 | round(v) - v))/sqrt(N).
 */
function quantize1(tf: Tf, u: T, a: T, signed: boolean): T {
  const N = u.size;
  const f = tf.customGrad((...args: (T | TF.GradSaveFunc)[]) => {
    const [x, s, save] = args as [T, T, TF.GradSaveFunc];
    save([x, s]);
    if (signed) {
      return {
        value: tf.tidy(() => tf.mul(s, sgn(tf, x))),
        gradFunc: (dy: T, saved: T[]) => {
          const [xs, ss] = saved as [T, T];
          const pass = tf.logicalAnd(tf.lessEqual(xs, ss), tf.greaterEqual(xs, tf.neg(ss)));
          return [tf.where(pass, dy, tf.zerosLike(dy)), tf.div(tf.sum(tf.mul(sgn(tf, xs), dy)), Math.sqrt(N)).reshape(ss.shape)];
        },
      };
    }
    return {
      value: tf.tidy(() => tf.mul(s, tf.clipByValue(tf.round(tf.div(x, s)), 0, 1))),
      gradFunc: (dy: T, saved: T[]) => {
        const [xs, ss] = saved as [T, T];
        const v = tf.div(xs, ss);
        const below = tf.less(v, 0);
        const above = tf.greater(v, 1);
        const inside = tf.logicalNot(tf.logicalOr(below, above));
        const term = tf.where(below, tf.zerosLike(v), tf.where(above, tf.onesLike(v), tf.sub(tf.round(v), v)));
        return [tf.where(inside, dy, tf.zerosLike(dy)), tf.div(tf.sum(tf.mul(term, dy)), Math.sqrt(N)).reshape(ss.shape)];
      },
    };
  });
  return f(u, a) as T;
}

/** How the tfjs model multiplies: 'nn' = every product and gradient as a non-transposed matMul (explicit transposes),
 * 'plain' = tf.matMul with transpose flags and its own gradients. */
export type TfMatMul = 'nn' | 'plain';

/** Swap the last two axes. */
const swapLast = (tf: Tf, x: T): T => {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
};

/**
 * a[..., M, K] · b[..., K, N] whose gradients are non-transposed products too: dA = dY · b^T, dB = a^T · dY with the
 * transposes done by the Transpose kernel. tfjs-wasm's BatchMatMul takes XNNPACK only without transpose flags; with
 * them (what tf.matMul's own gradient uses) it ran 15x slower here (1 vs 15 GFLOP/s on 1024x768x3072).
 */
function matMulNN(tf: Tf, a: T, b: T): T {
  const f = tf.customGrad((...args: (T | TF.GradSaveFunc)[]) => {
    const [x, y, save] = args as [T, T, TF.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: T, saved: T[]) => {
        const [xs, ys] = saved as [T, T];
        return [tf.matMul(dy, swapLast(tf, ys)), tf.matMul(swapLast(tf, xs), dy)];
      },
    };
  });
  return f(a, b) as T;
}

interface Outputs {
  logits: T;
  hidden: T[];
}

/** The BERT forward of runtime/model/ in tf ops; `dropout` 0 = off (the teacher, or no dropout). */
function forward(tf: Tf, m: BertModel, get: (name: string) => T, ids: { word: T; type: T; pos: T; maskBias: T }, B: number, Tn: number,
  dropout: { hidden: number; attention: number }, how: TfMatMul): Outputs {
  const cfg = m.config;
  /** a · b, or a · b^T when transposeB */
  const mm = (a: T, b: T, transposeB: boolean): T =>
    how === 'plain' ? tf.matMul(a, b, false, transposeB) : matMulNN(tf, a, transposeB ? swapLast(tf, b) : b);
  const plan = m.plan;
  const opts = plan?.options;
  const { hidden: C, heads: NH } = cfg;
  const HS = C / NH;
  const drop = (x: T, p: number): T => (p > 0 ? tf.dropout(x, p) : x);
  const layerNorm = (x: T, prefix: string): T => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, cfg.layerNormEps))), get(`${prefix}.weight`)), get(`${prefix}.bias`));
  };
  const actQ = (x: T, point: string): T => {
    const lp = planFor(plan, point);
    if (!lp || lp.activationBits >= 32) return x;
    if (lp.activationBits !== 1) throw new Error(`bench/train-tfjs: only 1-bit activations are written here (${point})`);
    let u = x;
    if (m.hasParam(`${point}.act_quant.shift`)) {
      const b = get(`${point}.act_quant.shift`);
      const last = x.shape[x.shape.length - 1]!;
      u = tf.add(x, b.shape[0] === last ? b : tf.slice(b, [0], [last]));
    }
    return quantize1(tf, u, get(`${point}.act_quant.scale`), lp.activationSet === 'signed');
  };
  const weight = (point: string): T => {
    const lp = planFor(plan, point);
    const w = get(`${point}.weight`);
    return lp && lp.weightBits === 1 ? binarize(tf, w, opts!.weightCentering, false) : w;
  };
  const linear = (x: T, point: string): T => tf.add(mm(actQ(x, point), weight(point), true), get(`${point}.bias`));

  const wordPlan = planFor(plan, 'bert.embeddings.word_embeddings');
  let word = get('bert.embeddings.word_embeddings.weight');
  if (wordPlan && wordPlan.weightBits === 1) word = binarize(tf, word, opts!.weightCentering, true);
  const embSum = tf.addN([tf.gather(word, ids.word), tf.gather(get('bert.embeddings.position_embeddings.weight'), ids.pos),
    tf.gather(get('bert.embeddings.token_type_embeddings.weight'), ids.type)]);
  let x = drop(layerNorm(embSum, 'bert.embeddings.LayerNorm'), dropout.hidden); // [B*T, C]
  const hidden = [x];
  const act = planQuantizes(plan) ? opts!.ffnActivation : cfg.hiddenAct;
  for (let l = 0; l < cfg.layers; l++) {
    const pre = `bert.encoder.layer.${l}`;
    const heads = (t: T): T => tf.transpose(tf.reshape(t, [B, Tn, NH, HS]), [0, 2, 1, 3]);
    const qh = heads(actQ(linear(x, `${pre}.attention.self.query`), `${pre}.attention.self.query_layer`));
    const kh = heads(actQ(linear(x, `${pre}.attention.self.key`), `${pre}.attention.self.key_layer`));
    const vh = heads(actQ(linear(x, `${pre}.attention.self.value`), `${pre}.attention.self.value_layer`));
    const s = tf.add(tf.div(mm(qh, kh, true), Math.sqrt(HS)), ids.maskBias); // [B,NH,T,T]
    const probs = actQ(drop(tf.softmax(s, -1), dropout.attention), `${pre}.attention.self.attention_probs`);
    const ctx = tf.reshape(tf.transpose(mm(probs, vh, false), [0, 2, 1, 3]), [B * Tn, C]);
    const attnOut = layerNorm(tf.add(drop(linear(ctx, `${pre}.attention.output.dense`), dropout.hidden), x), `${pre}.attention.output.LayerNorm`);
    const h = linear(attnOut, `${pre}.intermediate.dense`);
    const a = act === 'gelu' ? tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2)))) : tf.relu(h);
    x = layerNorm(tf.add(drop(linear(a, `${pre}.output.dense`), dropout.hidden), attnOut), `${pre}.output.LayerNorm`);
    hidden.push(x);
  }
  const first = tf.reshape(tf.slice(tf.reshape(x, [B, Tn, C]), [0, 0, 0], [B, 1, C]), [B, C]);
  const pooled = drop(tf.tanh(linear(first, 'bert.pooler.dense')), dropout.hidden);
  const logits = tf.add(mm(pooled, get('classifier.weight'), true), get('classifier.bias'));
  return { logits, hidden };
}

export interface TfjsDistill {
  /** One distillation step (forward, loss, gradients, AdamW); returns the loss. */
  step(): number;
  dispose(): void;
}

/**
 * The tfjs twin of a (teacher, student) pair: parameters copied from the models' paramData (scales `a` already
 * initialised), trained on one fixed batch. `dropout` is the student's hidden/attention dropout probability.
 */
export function makeTfjsDistill(tf: Tf, teacher: BertModel, student: BertModel, batch: Batch, optimizer: OptimizerSpec, loss: LossWeights, dropout: number,
  how: TfMatMul = 'nn'): TfjsDistill {
  const { B, T: Tn } = batch;
  const tParams = new Map<string, T>();
  for (const s of teacher.params) tParams.set(s.name, tf.tensor(teacher.param(s.name), s.shape));
  const vars = new Map<string, TF.Variable>();
  const m = new Map<string, TF.Variable>();
  const v = new Map<string, TF.Variable>();
  const variable = (init: T, trainable: boolean): TF.Variable => {
    const x = tf.variable(init, trainable);
    init.dispose();
    return x;
  };
  for (const s of student.params) {
    vars.set(s.name, variable(tf.tensor(student.param(s.name), s.shape), !s.frozen));
    if (!s.frozen) {
      m.set(s.name, variable(tf.zeros(s.shape), false));
      v.set(s.name, variable(tf.zeros(s.shape), false));
    }
  }
  const ids = {
    word: tf.tensor1d(batch.inputIds.subarray(0, B * Tn), 'int32'),
    type: tf.tensor1d(batch.tokenTypeIds.subarray(0, B * Tn), 'int32'),
    pos: tf.tensor1d(Int32Array.from({ length: B * Tn }, (_, i) => i % Tn), 'int32'),
    maskBias: tf.tensor4d(Float32Array.from(batch.attentionMask.subarray(0, B * Tn), (x) => (x ? 0 : -10000)), [B, 1, 1, Tn]),
  };
  const trainable = student.params.filter((s) => !s.frozen);
  const varList = trainable.map((s) => vars.get(s.name)!);
  const temp = loss.temperature;
  let stepCount = 0;

  return {
    step(): number {
      stepCount++;
      // memory: the WASM heap is 4 GiB at most, so every temporary is freed as soon as it is used
      const t = tf.tidy(() => forward(tf, teacher, (n) => tParams.get(n)!, ids, B, Tn, { hidden: 0, attention: 0 }, how) as unknown as TF.TensorContainer) as unknown as Outputs;
      const { value, grads } = tf.variableGrads(() => {
        const s = forward(tf, student, (n) => vars.get(n)!, ids, B, Tn, { hidden: dropout, attention: dropout }, how);
        let total: T = tf.scalar(0);
        if (loss.pred > 0) {
          const pt = tf.softmax(tf.div(t.logits, temp), -1);
          const ce = tf.mean(tf.sum(tf.mul(tf.neg(pt), tf.logSoftmax(tf.div(s.logits, temp), -1)), -1));
          total = tf.add(total, tf.mul(ce, loss.pred));
        }
        if (loss.rep > 0) {
          for (let i = 0; i < s.hidden.length; i++) total = tf.add(total, tf.mul(tf.mean(tf.squaredDifference(s.hidden[i]!, t.hidden[i]!)), loss.rep));
        }
        return total as TF.Scalar;
      }, varList);
      tf.dispose(t as unknown as TF.TensorContainer);
      // AdamW, per parameter tensor, after per-tensor clipping (runtime/train/optimizer.ts)
      const bc1 = optimizer.biasCorrection ? 1 - optimizer.beta1 ** stepCount : 1;
      const bc2 = optimizer.biasCorrection ? 1 - optimizer.beta2 ** stepCount : 1;
      for (const s of trainable) {
        const p = vars.get(s.name)!;
        const g0 = grads[p.name]!;
        tf.tidy(() => {
          let g = g0;
          if (optimizer.clipNorm > 0) {
            const norm = tf.sqrt(tf.sum(tf.square(g)));
            g = tf.mul(g, tf.minimum(1, tf.div(optimizer.clipNorm, norm)));
          }
          const mm = m.get(s.name)!;
          const vv = v.get(s.name)!;
          mm.assign(tf.add(tf.mul(mm, optimizer.beta1), tf.mul(g, 1 - optimizer.beta1)));
          vv.assign(tf.add(tf.mul(vv, optimizer.beta2), tf.mul(tf.square(g), 1 - optimizer.beta2)));
          const lr = s.group === 'scale' ? optimizer.scaleLr : optimizer.lr;
          const wd = s.group === 'weight' ? optimizer.weightDecay : 0;
          let upd = tf.div(tf.div(mm, bc1), tf.add(tf.sqrt(tf.div(vv, bc2)), optimizer.eps));
          if (wd > 0) upd = tf.add(upd, tf.mul(p, wd));
          p.assign(tf.sub(p, tf.mul(upd, lr)));
        });
        g0.dispose();
      }
      const out = value.dataSync()[0]!;
      value.dispose();
      return out;
    },
    dispose(): void {
      for (const t of tParams.values()) t.dispose();
      for (const map of [vars, m, v]) for (const t of map.values()) t.dispose();
      for (const t of Object.values(ids)) t.dispose();
    },
  };
}
