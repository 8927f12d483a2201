/**
 * BertModel: a BERT-style encoder for sequence classification/regression with every BiT quantizer, written out as an
 * explicit forward and backward, block by block (llm.c style; each block's backward sits beside its forward):
 *
 *   embeddings.ts        word (binarized per row) + position + type, LayerNorm, dropout   -> hidden state 0
 *   L x self-attention.ts   Q/K/V QuantLinears, Q/K/V/probs quantizers, softmax, P·V
 *       attention-output.ts dense, dropout, residual, LayerNorm
 *       ffn.ts              intermediate dense, GELU/ReLU, output dense, dropout, residual, LayerNorm -> hidden l+1
 *   pooler-classifier.ts pooler (quantized) + tanh, dropout, FP classifier                -> logits
 *
 * Parameters and gradients are one flat buffer each, laid out from the parameter table (param-table.ts, Hugging Face
 * names); activations are one slab laid out from the activation table (activations.ts), grown only when a bigger
 * batch arrives. All numeric loops go through the Kernels given to the constructor.
 */
import { BitkitError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { planQuantizes } from '../quant/plan.js';
import type { Rng } from '../util/rng.js';
import { Activations } from './activations.js';
import { AttentionOutput } from './attention-output.js';
import type { DropoutCtx } from './dropout.js';
import { Embeddings } from './embeddings.js';
import { FeedForward } from './ffn.js';
import type { ParamStore } from './linear.js';
import { buildParamTable } from './param-table.js';
import { PoolerClassifier } from './pooler-classifier.js';
import { SelfAttention } from './self-attention.js';
import type { BackwardInputs, Batch, BertConfig, ForwardOutputs, ParamSpec, QuantPlan } from './types.js';

export interface ForwardOptions {
  /** Training: dropout on (needs rng when a dropout probability is > 0) and uninitialised scales `a` get stored. */
  training: boolean;
  /** Source of the dropout masks. */
  rng?: Rng;
  /** Allocate the activations for at least this batch shape up front (avoids a regrow later). */
  allocateFor?: { B: number; T: number };
}

export interface CopyReport {
  /** Parameters of this model taken from the other one. */
  copied: string[];
  /** Parameters of this model left as they were: absent from the other model, or of another shape (named with why). */
  notCopied: { name: string; reason: 'missing' | 'shape' }[];
  /** Parameters of the other model this one does not have. */
  unused: string[];
}

interface LastForward {
  B: number;
  T: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  hidden: Float32Array[]; // L+1 views used as layer inputs/outputs
}

export class BertModel implements ParamStore {
  readonly params: ParamSpec[];
  readonly paramData: Float32Array;
  readonly gradData: Float32Array;
  /** FFN non-linearity: config.hiddenAct for a full-precision plan, options.ffnActivation when the plan quantizes. */
  readonly ffnActivation: 'gelu' | 'relu';
  private readonly byName = new Map<string, ParamSpec>();
  private readonly embeddings: Embeddings;
  private readonly attention: SelfAttention[] = [];
  private readonly attentionOutput: AttentionOutput[] = [];
  private readonly ffn: FeedForward[] = [];
  private readonly head: PoolerClassifier;
  private acts: Activations | null = null;
  private last: LastForward | null = null;

  constructor(readonly config: BertConfig, readonly plan: QuantPlan | null, readonly kernels: Kernels) {
    if (!(config.hidden > 0 && config.heads > 0 && config.hidden % config.heads === 0)) {
      throw new BitkitError('BK7105', `model config: hidden ${config.hidden} is not a multiple of heads ${config.heads}`, {
        hint: 'hidden_size must be divisible by num_attention_heads',
      });
    }
    const { specs, total } = buildParamTable(config, plan);
    this.params = specs;
    for (const s of specs) this.byName.set(s.name, s);
    this.paramData = new Float32Array(total);
    this.gradData = new Float32Array(total);
    this.ffnActivation = planQuantizes(plan) ? plan!.options.ffnActivation : config.hiddenAct;
    this.embeddings = new Embeddings(this, kernels, config, plan);
    for (let l = 0; l < config.layers; l++) {
      this.attention.push(new SelfAttention(this, kernels, config, plan, l));
      this.attentionOutput.push(new AttentionOutput(this, kernels, config, plan, l));
      this.ffn.push(new FeedForward(this, kernels, config, plan, l, this.ffnActivation));
    }
    this.head = new PoolerClassifier(this, kernels, config, plan);
  }

  get numLabels(): number {
    return this.config.numLabels;
  }

  /** Number of floats in the parameter buffer (weights, biases, LayerNorms, scales and shifts). */
  get paramCount(): number {
    return this.paramData.length;
  }

  hasParam(name: string): boolean {
    return this.byName.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.byName.get(name);
    if (s === undefined) {
      throw new BitkitError('BK7106', `the model has no parameter ${name}`, { hint: 'parameter names follow Hugging Face BERT; see model.params' });
    }
    return s;
  }

  isFrozen(name: string): boolean {
    return this.spec(name).frozen === true;
  }

  /** View of one parameter inside paramData. */
  param(name: string): Float32Array {
    const s = this.spec(name);
    return this.paramData.subarray(s.offset, s.offset + s.size);
  }

  /** View of one gradient inside gradData. */
  grad(name: string): Float32Array {
    const s = this.spec(name);
    return this.gradData.subarray(s.offset, s.offset + s.size);
  }

  zeroGrad(): void {
    this.gradData.fill(0);
  }

  /**
   * BERT initialisation: matrices and embeddings ~ normal(0, initializerRange); biases 0; LayerNorm gamma 1, beta 0;
   * shifts `b` 0; scales `a` 0 = "not initialised": the first training forward sets them from its input (scale-init.ts).
   */
  initWeights(rng: Rng): void {
    const std = this.config.initializerRange;
    for (const s of this.params) {
      const v = this.paramData.subarray(s.offset, s.offset + s.size);
      if (s.group === 'weight') for (let i = 0; i < s.size; i++) v[i] = rng.normal() * std;
      else v.fill(s.name.endsWith('LayerNorm.weight') ? 1 : 0);
    }
  }

  /** Stage init: copy every parameter present in both models with the same shape; report the rest. */
  copyFrom(other: BertModel): CopyReport {
    const report: CopyReport = { copied: [], notCopied: [], unused: [] };
    for (const s of this.params) {
      const o = other.byName.get(s.name);
      if (o === undefined) {
        report.notCopied.push({ name: s.name, reason: 'missing' });
      } else if (o.shape.length !== s.shape.length || o.shape.some((d, i) => d !== s.shape[i])) {
        report.notCopied.push({ name: s.name, reason: 'shape' });
      } else {
        this.paramData.set(other.paramData.subarray(o.offset, o.offset + o.size), s.offset);
        report.copied.push(s.name);
      }
    }
    for (const o of other.params) if (!this.byName.has(o.name)) report.unused.push(o.name);
    return report;
  }

  private checkBatch(batch: Batch): void {
    const { B, T } = batch;
    const bad = (msg: string): never => {
      throw new BitkitError('BK7102', `model forward: ${msg}`, { hint: 'the batch does not fit the model configuration' });
    };
    if (!(Number.isSafeInteger(B) && B > 0 && Number.isSafeInteger(T) && T > 0)) bad(`batch shape B=${B}, T=${T}`);
    if (T > this.config.maxPositions) bad(`sequence length ${T} exceeds maxPositions ${this.config.maxPositions}`);
    const n = B * T;
    if (batch.inputIds.length < n || batch.tokenTypeIds.length < n || batch.attentionMask.length < n) bad(`id arrays shorter than B*T = ${n}`);
    for (let i = 0; i < n; i++) {
      const id = batch.inputIds[i]!;
      if (id < 0 || id >= this.config.vocabSize) bad(`token id ${id} at ${i} is outside the vocabulary (${this.config.vocabSize})`);
      const tt = batch.tokenTypeIds[i]!;
      if (tt < 0 || tt >= this.config.typeVocabSize) bad(`token type ${tt} at ${i} is outside 0..${this.config.typeVocabSize - 1}`);
    }
  }

  private ensureActivations(B: number, T: number): Activations {
    if (this.acts === null || !this.acts.fits(B, T)) {
      const capB = Math.max(B, this.acts?.capB ?? 0);
      const capT = Math.max(T, this.acts?.capT ?? 0);
      this.acts = new Activations(this.config, capB, capT);
    }
    return this.acts;
  }

  forward(batch: Batch, opts: ForwardOptions): ForwardOutputs {
    this.checkBatch(batch);
    const { B, T } = batch;
    const { hidden: C, heads: NH, layers: L } = this.config;
    if (opts.allocateFor !== undefined) this.ensureActivations(opts.allocateFor.B, opts.allocateFor.T);
    const acts = this.ensureActivations(B, T);
    const R = B * T;
    const hasDropout = this.config.hiddenDropout > 0 || this.config.attentionDropout > 0;
    let drop: DropoutCtx | null = null;
    if (opts.training && hasDropout) {
      if (opts.rng === undefined) {
        throw new BitkitError('BK7103', 'model forward: training with dropout needs an Rng (opts.rng)', { hint: 'pass the run\'s dropout Rng' });
      }
      drop = { rng: opts.rng };
    }
    // position ids and the attention mask bias [B,T]: 0 for tokens, -10000 for padding (as Hugging Face BERT)
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) acts.positionIds[b * T + t] = t;
    const maskBias = acts.emb.maskBias;
    for (let i = 0; i < R; i++) maskBias[i] = batch.attentionMask[i] ? 0 : -10000;
    // binarized weights from the current latent weights
    this.embeddings.prepare();
    for (let l = 0; l < L; l++) {
      this.attention[l]!.prepare();
      this.attentionOutput[l]!.prepare();
      this.ffn[l]!.prepare();
    }
    this.head.prepare();
    // embeddings -> L layers -> pooler/classifier
    let x = this.embeddings.forward(acts.emb, batch.inputIds, batch.tokenTypeIds, acts.positionIds, R, drop);
    const hidden = [x];
    for (let l = 0; l < L; l++) {
      const a = acts.layers[l]!;
      this.attention[l]!.forward(a, acts.scratch, x, maskBias, B, T, opts.training, drop);
      this.attentionOutput[l]!.forward(a, acts.scratch, x, R, opts.training, drop);
      this.ffn[l]!.forward(a, acts.scratch, R, opts.training, drop);
      x = a.out;
      hidden.push(x);
    }
    const logits = this.head.forward(acts.head, acts.scratch, x, B, T, opts.training, drop);
    this.last = { B, T, inputIds: batch.inputIds, tokenTypeIds: batch.tokenTypeIds, hidden };
    return {
      logits: logits.subarray(0, B * this.config.numLabels),
      hiddenStates: hidden.map((h) => h.subarray(0, R * C)),
      attentionScores: acts.layers.map((a) => a.scores.subarray(0, B * NH * T * T)),
    };
  }

  /** Reverse of the last forward; accumulates into gradData (the caller zeroes it, e.g. zeroGrad()). */
  backward(d: BackwardInputs): void {
    const last = this.last;
    const acts = this.acts;
    if (last === null || acts === null) {
      throw new BitkitError('BK7104', 'model backward without a forward', { hint: 'call forward on the batch first' });
    }
    const { B, T, hidden } = last;
    const { hidden: C, layers: L } = this.config;
    const R = B * T;
    const s = acts.scratch;
    const setOrZero = (dst: Float32Array, src: Float32Array | null | undefined, n: number): void => {
      if (src) dst.set(src.subarray(0, n));
      else dst.fill(0, 0, n);
    };
    // classifier and pooler into the gradient of the last hidden state
    let dH = s.dH0;
    let dIn = s.dH1;
    setOrZero(dH, d.dHiddenStates?.[L], R * C);
    if (d.dLogits) this.head.backward(acts.head, s, d.dLogits, dH, B, T);
    // layers, last to first: dH = gradient of layer l's output -> dIn = gradient of its input
    for (let l = L - 1; l >= 0; l--) {
      const a = acts.layers[l]!;
      setOrZero(dIn, d.dHiddenStates?.[l], R * C);
      s.dAttnOut.fill(0, 0, R * C);
      this.ffn[l]!.backward(a, s, dH, s.dAttnOut, R);
      this.attentionOutput[l]!.backward(a, s, s.dAttnOut, dIn, s.dCtx, R);
      this.attention[l]!.backward(a, s, hidden[l]!, s.dCtx, d.dAttentionScores?.[l] ?? null, dIn, B, T);
      const t = dH;
      dH = dIn;
      dIn = t;
    }
    // embeddings
    this.embeddings.backward(acts.emb, dH, s.dSum, last.inputIds, last.tokenTypeIds, acts.positionIds, R);
  }
}
