/**
 * PackedEngine: runs a PackedModel (packed-model.ts, read from a `.bitpack`) end to end, from raw text to labels and
 * scores, on any kernel set (reference, native, WASM: whatever selectKernels returns).
 *
 *   tokenizer (inside: the model's own vocabulary)        -> ids [B,T], types [B,T], mask [B,T]
 *   embeddings: sign bits x row scale + position + type    -> LayerNorm                      hidden 0 [B,T,C]
 *   L x  attention (engine-attention.ts), output dense + residual + LayerNorm,
 *        FFN-1 (binary GEMM), ReLU, FFN-2 (binary GEMM, {0,1} x {-1,+1}) + residual + LayerNorm
 *   pooler (binary GEMM) + tanh, classifier (FP)                                              logits [B,NL]
 *
 * Binary GEMMs for every binarized Linear with a 1-bit input and for both attention matmuls; FP only where the
 * algorithm keeps FP (embedding sums, LayerNorm, residuals, biases, the 1/sqrt(d) scale, mask, softmax, tanh,
 * classifier). Multi-bit stages run through FP GEMMs on dequantized values (engine-linear.ts says why that is exact).
 * Buffers are allocated once per (B, T) capacity and reused; a bigger batch grows them once.
 * With the same kernel set, the logits equal BertModel.forward(batch, { training: false }) to the bit, up to the
 * rounding note in engine-linear.ts.
 */
import { performance } from 'node:perf_hooks';
import { encodeDataset, makeBatches, type ExampleInput } from '../data/batches.js';
import { BertTokenizer } from '../data/tokenizer.js';
import { BitkitError } from '../errors.js';
import type { Kernels, PackTarget } from '../kernels/kernels.js';
import { packedLength } from '../kernels/kernels.js';
import type { Batch } from '../model/types.js';
import { attentionForward, takesInputBits, type AttentionBuffers, type AttentionInputBits } from './engine-attention.js';
import { binaryLinearBits, binaryLinearLayerNorm, inputPackTarget, isBinaryLinear, linearForward, packThreshold, reluFoldedLinear, shiftFor, TieCounter, type LinearScratch } from './engine-linear.js';
import type { PackedLinear, PackedModel } from './packed-model.js';

export interface Prediction {
  /** argmax class index (classification) or -1 (regression) */
  index: number;
  /** labelNames[index], or null for regression */
  label: string | null;
  /** softmax of the logits (classification); [] for regression */
  scores: number[];
  logits: number[];
  /** the predicted score of a regression task (the logit), else null */
  value: number | null;
}

export interface PackedEngineOptions {
  /** Record wall time per op and layer in `timings` (ms, summed over calls). */
  profile?: boolean;
  /**
   * Diagnostics: count per example the 1-bit quantizer inputs exactly on their threshold (`ties` after each
   * forward). Costs a scan of every packed input; off by default.
   */
  countTies?: boolean;
}

interface Buffers extends AttentionBuffers {
  capB: number;
  capT: number;
  positionIds: Int32Array; // [B,T]
  maskBias: Float32Array; // [B,T]
  hA: Float32Array; // [B,T,C] hidden state (ping)
  hB: Float32Array; // [B,T,C] hidden state (pong)
  sum: Float32Array; // [B,T,C] pre-LayerNorm sums
  attnOut: Float32Array; // [B,T,C]
  ff: Float32Array; // [B,T,F] FFN-1 output
  act: Float32Array; // [B,T,F] ReLU/GELU output
  lin: LinearScratch; // bits packedLength(B*T, max(C,F)), xq [B*T, max(C,F)]
  ffBits: Uint32Array; // packedLength(B*T, F): FFN-2's input bits straight from FFN-1's GEMM
  qIn: Uint32Array; // packedLength(B*T, C): the layer input packed for Q's quantizer (by the LayerNorm before)
  kIn: Uint32Array; // ... for K's
  vIn: Uint32Array; // ... for V's
  ffIn: Uint32Array; // packedLength(B*T, C): the attention output packed for FFN-1's quantizer
  pooledIn: Float32Array; // [B,C]
  poolPre: Float32Array; // [B,C]
  pooled: Float32Array; // [B,C]
  logits: Float32Array; // [B,NL]
}

export class PackedEngine {
  readonly tokenizer: BertTokenizer;
  /** ms per op label ('embeddings', 'L3.attention', 'L3.ffn1', ...), summed over forwards (profile option). */
  readonly timings = new Map<string, number>();
  private buf: Buffers | null = null;
  private readonly profile: boolean;
  private readonly countTies: boolean;
  /** Per layer: FFN-2 taking the pre-ReLU activations (reluFoldedLinear), or null where the ReLU pass runs. */
  private readonly reluFolded: (PackedLinear | null)[];
  /** Per layer: whether its Q, K and V inputs arrive packed from the LayerNorm before (takesInputBits). */
  private readonly inputBits: boolean[];

  constructor(readonly model: PackedModel, readonly kernels: Kernels, options: PackedEngineOptions = {}) {
    const tk = model.header.tokenizer;
    this.tokenizer = BertTokenizer.fromVocab(tk.vocab, { lowercase: tk.lowercase, source: '<bitpack vocabulary>' });
    this.profile = options.profile === true;
    this.countTies = options.countTies === true;
    // (tie counting looks at the quantizer's own input, so it keeps the ReLU pass)
    this.reluFolded = model.layers.map((l) => (model.ffnActivation === 'relu' && !this.countTies ? reluFoldedLinear(l.output) : null));
    this.inputBits = model.layers.map((l) => !this.countTies && takesInputBits(l));
  }

  /** Per example of the last forward: 1-bit quantizer inputs exactly on a threshold (countTies option), else null. */
  get ties(): Int32Array | null {
    return this.buf?.lin.ties?.perExample ?? null;
  }

  get labelNames(): string[] {
    return this.model.header.labelNames;
  }

  private ensure(B: number, T: number): Buffers {
    if (this.buf !== null && B <= this.buf.capB && T <= this.buf.capT) return this.buf;
    const capB = Math.max(B, this.buf?.capB ?? 0);
    const capT = Math.max(T, this.buf?.capT ?? 0);
    const { hidden: C, heads: NH, intermediate: F, numLabels: NL } = this.model.config;
    const HS = C / NH;
    const R = capB * capT;
    const BNH = capB * NH;
    const KW = Math.max(C, F);
    const f = (n: number): Float32Array => new Float32Array(n);
    this.buf = {
      capB, capT,
      positionIds: new Int32Array(R), maskBias: f(R),
      hA: f(R * C), hB: f(R * C), sum: f(R * C), attnOut: f(R * C), ff: f(R * F), act: f(R * F),
      lin: { bits: new Uint32Array(packedLength(R, KW)), xq: f(R * KW), ties: this.countTies ? new TieCounter(capB) : null, tokenOf: (r) => r },
      ffBits: new Uint32Array(packedLength(R, F)),
      qIn: new Uint32Array(packedLength(R, C)), kIn: new Uint32Array(packedLength(R, C)), vIn: new Uint32Array(packedLength(R, C)),
      ffIn: new Uint32Array(packedLength(R, C)),
      q: f(R * C), k: f(R * C), v: f(R * C), tmp: f(R * C),
      qBits: new Uint32Array(packedLength(R * NH, HS)), kBits: new Uint32Array(packedLength(R * NH, HS)), rowBits: new Uint32Array(packedLength(R * NH, HS)),
      qh: f(R * C), kh: f(R * C), vh: f(R * C), vBits: new Uint32Array(packedLength(BNH * HS, capT)),
      scores: f(BNH * capT * capT), probs: f(BNH * capT * capT), probsQ: f(BNH * capT * capT), pBits: new Uint32Array(packedLength(BNH * capT, capT)),
      ctxh: f(R * C), ctx: f(R * C), ctxBits: new Uint32Array(packedLength(R, C)),
      pooledIn: f(capB * C), poolPre: f(capB * C), pooled: f(capB * C), logits: f(capB * NL),
    };
    return this.buf;
  }

  private checkBatch(batch: Batch): void {
    const { B, T } = batch;
    const cfg = this.model.config;
    const bad = (msg: string): never => {
      throw new BitkitError('BK7102', `packed engine: ${msg}`, { hint: 'the batch does not fit the model configuration' });
    };
    if (!(Number.isSafeInteger(B) && B > 0 && Number.isSafeInteger(T) && T > 0)) bad(`batch shape B=${B}, T=${T}`);
    if (T > cfg.maxPositions) bad(`sequence length ${T} exceeds maxPositions ${cfg.maxPositions}`);
    const n = B * T;
    if (batch.inputIds.length < n || batch.tokenTypeIds.length < n || batch.attentionMask.length < n) bad(`id arrays shorter than B*T = ${n}`);
    for (let i = 0; i < n; i++) {
      const id = batch.inputIds[i]!;
      if (id < 0 || id >= cfg.vocabSize) bad(`token id ${id} at ${i} is outside the vocabulary (${cfg.vocabSize})`);
      const tt = batch.tokenTypeIds[i]!;
      if (tt < 0 || tt >= cfg.typeVocabSize) bad(`token type ${tt} at ${i} is outside 0..${cfg.typeVocabSize - 1}`);
    }
  }

  private tick(label: string, since: number): number {
    const now = performance.now();
    this.timings.set(label, (this.timings.get(label) ?? 0) + now - since);
    return now;
  }

  /** Logits [B, numLabels] of one batch (a view valid until the next call). */
  forward(batch: Batch): Float32Array {
    this.checkBatch(batch);
    const k = this.kernels;
    const m = this.model;
    const { B, T } = batch;
    const { hidden: C, heads: NH, intermediate: F, numLabels: NL, layerNormEps: eps } = m.config;
    const HS = C / NH;
    const R = B * T;
    const buf = this.ensure(B, T);
    const prof = this.profile;
    let t0 = prof ? performance.now() : 0;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) buf.positionIds[b * T + t] = t;
    for (let i = 0; i < R; i++) buf.maskBias[i] = batch.attentionMask[i] ? 0 : -10000;
    buf.lin.ties?.reset(batch.attentionMask, B, T);
    buf.lin.tokenOf = (r) => r;

    // The LayerNorm before each layer also packs its output for that layer's Q, K and V quantizers (takesInputBits),
    // and the attention-output LayerNorm for FFN-1's: each row packed while in cache, no separate pass over x.
    const inBits: AttentionInputBits = { q: buf.qIn, k: buf.kIn, v: buf.vIn };
    const packsFor = (l: number): PackTarget[] => {
      const layer = m.layers[l];
      if (layer === undefined || !this.inputBits[l]) return [];
      return [inputPackTarget(layer.query, buf.qIn), inputPackTarget(layer.key, buf.kIn), inputPackTarget(layer.value, buf.vIn)];
    };

    // embeddings: sum = E_b[id] + P[t] + TT[type] (float32 after each add, as the trainer's add kernels), LayerNorm
    this.embed(buf.sum, batch.inputIds, batch.tokenTypeIds, R, C);
    let x = buf.hA;
    k.residualLayerNorm(x, buf.sum, null, m.embeddings.ln.gamma, m.embeddings.ln.beta, R, C, eps, packsFor(0));
    if (prof) t0 = this.tick('embeddings', t0);

    const dims = { B, T, NH, HS };
    for (let l = 0; l < m.layers.length; l++) {
      const layer = m.layers[l]!;
      const ctxLinear = !this.countTies && isBinaryLinear(layer.attnOut) ? layer.attnOut : null;
      const ctxPacked = attentionForward(k, layer, buf, buf.lin, x, buf.maskBias, dims, this.inputBits[l] ? inBits : null, ctxLinear);
      if (prof) t0 = this.tick(`L${l}.attention`, t0);
      // FFN-1's GEMM emits FFN-2's input bits (ReLU and FFN-2's quantizer folded into its output stage)
      const folded = this.reluFolded[l]!;
      const ffnBits = folded !== null && isBinaryLinear(layer.intermediate);
      const ffnPacks = ffnBits ? [inputPackTarget(layer.intermediate, buf.ffIn)] : [];
      // the output Linear and the LayerNorm after it in one kernel when its input came as bits
      if (ctxPacked) binaryLinearLayerNorm(k, buf.attnOut, buf.ctxBits, layer.attnOut, R, x, layer.attnLn, eps, ffnPacks);
      else {
        linearForward(k, buf.sum, buf.ctx, layer.attnOut, R, buf.lin);
        k.residualLayerNorm(buf.attnOut, buf.sum, x, layer.attnLn.gamma, layer.attnLn.beta, R, C, eps, ffnPacks);
      }
      if (prof) t0 = this.tick(`L${l}.attn-output`, t0);
      const out = x === buf.hA ? buf.hB : buf.hA;
      if (ffnBits) {
        const q = folded.input!;
        binaryLinearBits(k, buf.ffBits, buf.ffIn, layer.intermediate, R, shiftFor(q, F), packThreshold(q));
        if (prof) t0 = this.tick(`L${l}.ffn1`, t0);
        // FFN-2 and the LayerNorm after it in one kernel (which also packs the next layer's Q, K and V inputs)
        binaryLinearLayerNorm(k, out, buf.ffBits, folded, R, buf.attnOut, layer.outLn, eps, packsFor(l + 1));
      } else {
        linearForward(k, buf.ff, buf.attnOut, layer.intermediate, R, buf.lin);
        if (folded !== null) {
          if (prof) t0 = this.tick(`L${l}.ffn1`, t0);
          linearForward(k, buf.sum, buf.ff, folded, R, buf.lin);
        } else {
          if (m.ffnActivation === 'gelu') k.geluForward(buf.act, buf.ff, R * F);
          else k.reluForward(buf.act, buf.ff, R * F);
          if (prof) t0 = this.tick(`L${l}.ffn1`, t0);
          linearForward(k, buf.sum, buf.act, layer.output, R, buf.lin);
        }
        k.residualLayerNorm(out, buf.sum, buf.attnOut, layer.outLn.gamma, layer.outLn.beta, R, C, eps, packsFor(l + 1));
      }
      x = out;
      if (prof) t0 = this.tick(`L${l}.ffn2`, t0);
    }

    // pooler on the first token, tanh, classifier (FP)
    for (let b = 0; b < B; b++) buf.pooledIn.set(x.subarray(b * T * C, b * T * C + C), b * C);
    buf.lin.tokenOf = (r) => r * T;
    linearForward(k, buf.poolPre, buf.pooledIn, m.pooler, B, buf.lin);
    k.tanhForward(buf.pooled, buf.poolPre, B * C);
    k.gemmNT(buf.logits, buf.pooled, m.classifier.weight, B, C, NL, false);
    k.addBias(buf.logits, buf.logits, m.classifier.bias, B, NL);
    if (prof) this.tick('head', t0);
    return buf.logits.subarray(0, B * NL);
  }

  /** sum[R,C] = E_b[ids] + position[t] + type[types]: two float32 adds, the trainer's order. */
  private embed(sum: Float32Array, ids: Int32Array, types: Int32Array, R: number, C: number): void {
    const { word, position, type } = this.model.embeddings;
    const positionIds = this.buf!.positionIds;
    if (word.kind === 'binary') {
      this.kernels.embeddingSumBinary(sum, ids, word.bits, word.rowScale, positionIds, position, types, type, R, C);
      return;
    }
    // (Math.fround: the first sum rounded to float32 as the trainer's add stores it, without a store and reload)
    for (let r = 0; r < R; r++) {
      const eOff = ids[r]! * C;
      const pOff = positionIds[r]! * C;
      const tOff = types[r]! * C;
      for (let c = 0; c < C; c++) sum[r * C + c] = Math.fround(word.table[eOff + c]! + position[pOff + c]!) + type[tOff + c]!;
    }
  }

  /** Tokenize texts (single or pairs) with the model's tokenizer, its maxLength and truncation. */
  encode(inputs: readonly ExampleInput[]) {
    const tk = this.model.header.tokenizer;
    return encodeDataset(inputs, this.tokenizer, { maxLength: tk.maxLength, truncation: tk.truncation });
  }

  /** Predictions for raw texts, in order, `batchSize` at a time (each batch padded to its longest row). */
  predict(inputs: readonly ExampleInput[], batchSize = 8): Prediction[] {
    const data = this.encode(inputs);
    const out: Prediction[] = [];
    const NL = this.model.config.numLabels;
    const reg = this.model.header.isRegression;
    for (const batch of makeBatches(data, batchSize, null)) {
      const logits = this.forward(batch);
      for (let b = 0; b < batch.B; b++) {
        const row = Array.from(logits.subarray(b * NL, (b + 1) * NL));
        if (reg) {
          out.push({ index: -1, label: null, scores: [], logits: row, value: row[0]! });
          continue;
        }
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(v - max));
        const z = e.reduce((a, v) => a + v, 0);
        let best = 0;
        for (let c = 1; c < NL; c++) if (row[c]! > row[best]!) best = c;
        out.push({ index: best, label: this.labelNames[best] ?? String(best), scores: e.map((v) => v / z), logits: row, value: null });
      }
    }
    return out;
  }
}
