/**
 * Embeddings block: word (binarized per row when planned, §1) + position + token type, LayerNorm, dropout.
 * Position and token-type embeddings and the LayerNorm are always full precision.
 */
import type { Kernels } from '../kernels/kernels.js';
import { planFor } from '../quant/plan.js';
import { BinarizedEmbedding } from '../quant/weight-binarizer.js';
import type { EmbActs } from './activations.js';
import { applyMask, dropoutMask, type DropoutCtx } from './dropout.js';
import type { ParamStore } from './linear.js';
import type { BertConfig, QuantPlan } from './types.js';

export class Embeddings {
  private readonly word: Float32Array;       // [V,C]
  private readonly position: Float32Array;   // [P,C]
  private readonly type: Float32Array;       // [TV,C]
  private readonly gamma: Float32Array;      // [C]
  private readonly beta: Float32Array;       // [C]
  private readonly dWord: Float32Array;
  private readonly dPosition: Float32Array;
  private readonly dType: Float32Array;
  private readonly dGamma: Float32Array;
  private readonly dBeta: Float32Array;
  readonly binarized: BinarizedEmbedding | null;
  /** Whether the last forward applied dropout. */
  private dropped = false;

  constructor(store: ParamStore, private readonly k: Kernels, private readonly config: BertConfig, plan: QuantPlan | null) {
    const p = 'bert.embeddings.';
    this.word = store.param(p + 'word_embeddings.weight');
    this.position = store.param(p + 'position_embeddings.weight');
    this.type = store.param(p + 'token_type_embeddings.weight');
    this.gamma = store.param(p + 'LayerNorm.weight');
    this.beta = store.param(p + 'LayerNorm.bias');
    this.dWord = store.grad(p + 'word_embeddings.weight');
    this.dPosition = store.grad(p + 'position_embeddings.weight');
    this.dType = store.grad(p + 'token_type_embeddings.weight');
    this.dGamma = store.grad(p + 'LayerNorm.weight');
    this.dBeta = store.grad(p + 'LayerNorm.bias');
    const q = planFor(plan, 'bert.embeddings.word_embeddings');
    this.binarized = plan !== null && q !== undefined && q.weightBits === 1
      ? new BinarizedEmbedding(k, this.word, config.vocabSize, config.hidden, plan.options.weightCentering)
      : null;
  }

  /** Refresh E_b from the latent table; once per model forward. */
  prepare(): void {
    this.binarized?.forward();
  }

  /** Returns hidden state 0, [B,T,C] (a, the activations, owns it). */
  forward(a: EmbActs, inputIds: Int32Array, typeIds: Int32Array, positionIds: Int32Array, R: number, drop: DropoutCtx | null): Float32Array {
    const k = this.k;
    const C = this.config.hidden;
    const table = this.binarized === null ? this.word : this.binarized.eb;
    k.embeddingForward(a.sum, inputIds, table, R, C);
    k.embeddingForward(a.tmp, positionIds, this.position, R, C);
    k.add(a.sum, a.sum, a.tmp, R * C);
    k.embeddingForward(a.tmp, typeIds, this.type, R, C);
    k.add(a.sum, a.sum, a.tmp, R * C);
    k.layerNormForward(a.ln, a.lnMean, a.lnRstd, a.sum, this.gamma, this.beta, R, C, this.config.layerNormEps);
    this.dropped = drop !== null && a.mask !== null;
    if (!this.dropped) return a.ln;
    dropoutMask(a.mask!, R * C, this.config.hiddenDropout, drop!.rng);
    applyMask(a.out, a.ln, a.mask!, R * C);
    return a.out;
  }

  /** dOut[R,C]: gradient of hidden state 0 (clobbered). dSum[R,C]: scratch. */
  backward(a: EmbActs, dOut: Float32Array, dSum: Float32Array, inputIds: Int32Array, typeIds: Int32Array, positionIds: Int32Array, R: number): void {
    const k = this.k;
    const C = this.config.hidden;
    // dropout
    if (this.dropped) applyMask(dOut, dOut, a.mask!, R * C);
    // LayerNorm
    dSum.fill(0, 0, R * C);
    k.layerNormBackward(dSum, this.dGamma, this.dBeta, dOut, a.sum, a.lnMean, a.lnRstd, this.gamma, R, C);
    // the three lookups (straight-through for the binarized word table: dE += dE_b)
    k.embeddingBackward(this.dType, dSum, typeIds, R, C);
    k.embeddingBackward(this.dPosition, dSum, positionIds, R, C);
    k.embeddingBackward(this.dWord, dSum, inputIds, R, C);
  }
}
