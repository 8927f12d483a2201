/**
 * What the trainer, the checkpoint code and the engine see of the model. Implemented by runtime/model/bert.ts.
 */
import type { ArchitectureSpec, ActivationSet, BitWidth, QuantizationOptions } from '../recipe/types.js';

/** Full model configuration: architecture plus classification head. */
export interface BertConfig extends ArchitectureSpec {
  vocabSize: number;
  /** 1 for regression (STS-B), otherwise the number of classes. */
  numLabels: number;
}

/** How one quantizable layer is quantized in a given stage (after the recipe's overrides are applied). */
export interface LayerQuantPlan {
  /** Hugging Face-style layer name without `.weight`, e.g. `bert.encoder.layer.0.attention.self.query`. */
  layer: string;
  weightBits: BitWidth;      // 32 = full precision, 1 = binarized (other widths: not for weights in BiT; rejected)
  activationBits: BitWidth;  // bits of this layer's input activation; 32 = full precision
  activationSet: ActivationSet;
  keepFullPrecision: boolean;
  /**
   * What the point quantizes (added by runtime/quant/plan.ts): 'linear' = binarized weight + quantized input,
   * 'activation' = an activation only (projected Q/K/V, attention probabilities; weightBits is 32 there),
   * 'embedding' = the word-embedding table only (activationBits is 32 there).
   */
  kind?: 'linear' | 'activation' | 'embedding';
}

/** Quantization of the whole model in one stage; `layers` lists every quantizable point. */
export interface QuantPlan {
  options: QuantizationOptions;
  layers: LayerQuantPlan[];
}

/** Role of a parameter for the optimiser. */
export type ParamGroup =
  | 'weight'  // matrices and embeddings: main lr, weight decay
  | 'noDecay' // biases, LayerNorm gamma/beta, shifts `b`: main lr, no weight decay
  | 'scale';  // elastic scales `a`: scale lr, no weight decay

/** One entry of the parameter table: parameters, gradients and optimiser state are all laid out from it. */
export interface ParamSpec {
  name: string;              // Hugging Face name, e.g. 'bert.encoder.layer.0.attention.self.query.weight'
  shape: number[];
  group: ParamGroup;
  offset: number;            // into the flat parameter buffer, in floats
  size: number;
  /**
   * true: kept as a parameter (saved, copied between stages) but never trained: the model adds no gradient to it and
   * the optimiser must skip it. Used for the scales `a` of non-elastic activation quantizers (elastic: false, §6).
   */
  frozen?: boolean;
}

/** One training/eval batch, already tokenized and padded to T. */
export interface Batch {
  B: number;
  T: number;
  inputIds: Int32Array;      // [B,T]
  tokenTypeIds: Int32Array;  // [B,T]
  attentionMask: Int32Array; // [B,T] 1 = token, 0 = padding
  /** [B] class index (classification) or target score (regression); absent at inference. */
  labels?: Float32Array;
}

/** What a forward pass exposes for the distillation losses; buffers are owned by the model (valid until the next forward). */
export interface ForwardOutputs {
  logits: Float32Array;          // [B,numLabels]
  /** L+1 hidden states: embedding output then each layer's output, each [B,T,C]. */
  hiddenStates: Float32Array[];
  /** L attention score tensors (pre-softmax, after scaling and mask), each [B,NH,T,T]. */
  attentionScores: Float32Array[];
}

/** Gradients flowing into a backward pass; any may be null (no loss on it). Same shapes as ForwardOutputs. */
export interface BackwardInputs {
  dLogits: Float32Array | null;
  dHiddenStates: (Float32Array | null)[] | null;
  dAttentionScores: (Float32Array | null)[] | null;
}
