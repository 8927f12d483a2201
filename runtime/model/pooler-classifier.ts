/**
 * Pooler and classification head, as Hugging Face's BertForSequenceClassification:
 *   pooled = tanh(Lin_p(h_L[:, 0, :]))     `bert.pooler.dense`: quantized input (signed), binarized weight
 *   logits = Lin_c(dropout(pooled))        `classifier`: always full precision
 */
import type { Kernels } from '../kernels/kernels.js';
import type { HeadActs, Scratch } from './activations.js';
import { applyMask, dropoutMask, type DropoutCtx } from './dropout.js';
import { QuantLinear, type ParamStore } from './linear.js';
import type { BertConfig, QuantPlan } from './types.js';

export class PoolerClassifier {
  readonly pooler: QuantLinear;
  readonly classifier: QuantLinear;
  private dropped = false;

  constructor(store: ParamStore, private readonly k: Kernels, private readonly config: BertConfig, plan: QuantPlan | null) {
    const C = config.hidden;
    this.pooler = new QuantLinear(store, k, plan, 'bert.pooler.dense', C, C);
    this.classifier = new QuantLinear(store, k, null, 'classifier', C, config.numLabels);
  }

  prepare(): void {
    this.pooler.prepare();
  }

  /** hidden [B,T,C] (last hidden state) -> a.logits [B,NL] */
  forward(a: HeadActs, s: Scratch, hidden: Float32Array, B: number, T: number, training: boolean, drop: DropoutCtx | null): Float32Array {
    const k = this.k;
    const C = this.config.hidden;
    for (let b = 0; b < B; b++) a.pooledIn.set(hidden.subarray(b * T * C, b * T * C + C), b * C);
    this.pooler.forward(a.poolPre, a.pooledIn, s.xq, B, training);
    k.tanhForward(a.pooled, a.poolPre, B * C);
    this.dropped = drop !== null && a.mask !== null;
    let clsIn = a.pooled;
    if (this.dropped) {
      dropoutMask(a.mask!, B * C, this.config.hiddenDropout, drop!.rng);
      applyMask(a.clsIn, a.pooled, a.mask!, B * C);
      clsIn = a.clsIn;
    }
    this.classifier.forward(a.logits, clsIn, s.xq, B, training);
    return a.logits;
  }

  /** dLogits[B,NL] -> dHidden[B,T,C] += gradient at the first token of each sequence. */
  backward(a: HeadActs, s: Scratch, dLogits: Float32Array, dHidden: Float32Array, B: number, T: number): void {
    const k = this.k;
    const C = this.config.hidden;
    // classifier
    const dClsIn = s.dHead1;
    dClsIn.fill(0, 0, B * C);
    this.classifier.backward(dClsIn, dLogits, this.dropped ? a.clsIn : a.pooled, s.xq, s.dXq, B);
    // dropout
    if (this.dropped) applyMask(dClsIn, dClsIn, a.mask!, B * C);
    // tanh
    const dPre = s.dHead2;
    dPre.fill(0, 0, B * C);
    k.tanhBackward(dPre, dClsIn, a.pooled, B * C);
    // pooler dense
    const dIn = s.dHead1;
    dIn.fill(0, 0, B * C);
    this.pooler.backward(dIn, dPre, a.pooledIn, s.xq, s.dXq, B);
    // first-token gather
    for (let b = 0; b < B; b++) {
      const row = dHidden.subarray(b * T * C, b * T * C + C);
      k.add(row, row, dIn.subarray(b * C, (b + 1) * C), C);
    }
  }
}
