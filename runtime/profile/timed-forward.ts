/**
 * A forward pass of a BertModel timed block by block, without touching runtime/model: the model's own block classes
 * (embeddings, self-attention, attention output, feed-forward, pooler/classifier) are built again over the model's
 * parameter buffer (they hold views, no copies; binarized weights are refreshed by `prepare`) and run in the order
 * of BertModel.forward in inference mode, with performance.now() around each. The logits are those of
 * model.forward (a test checks it); only the timing is added.
 */
import { performance } from 'node:perf_hooks';
import { Activations } from '../model/activations.js';
import { AttentionOutput } from '../model/attention-output.js';
import type { BertModel } from '../model/bert.js';
import { Embeddings } from '../model/embeddings.js';
import { FeedForward } from '../model/ffn.js';
import { PoolerClassifier } from '../model/pooler-classifier.js';
import { SelfAttention } from '../model/self-attention.js';
import type { Batch } from '../model/types.js';

export interface BlockTimes {
  /** block name -> milliseconds of this forward */
  blocks: Map<string, number>;
  logits: Float32Array;
  totalMs: number;
}

export class TimedForward {
  private readonly emb: Embeddings;
  private readonly att: SelfAttention[] = [];
  private readonly attOut: AttentionOutput[] = [];
  private readonly ffn: FeedForward[] = [];
  private readonly head: PoolerClassifier;
  private acts: Activations | null = null;

  constructor(private readonly model: BertModel) {
    const { config, plan, kernels: k } = model;
    this.emb = new Embeddings(model, k, config, plan);
    for (let l = 0; l < config.layers; l++) {
      this.att.push(new SelfAttention(model, k, config, plan, l));
      this.attOut.push(new AttentionOutput(model, k, config, plan, l));
      this.ffn.push(new FeedForward(model, k, config, plan, l, model.ffnActivation));
    }
    this.head = new PoolerClassifier(model, k, config, plan);
  }

  /** Refresh the binarized weights from the latent ones (once; the model's forward does it every call). */
  prepare(): number {
    const t0 = performance.now();
    this.emb.prepare();
    for (let l = 0; l < this.att.length; l++) {
      this.att[l]!.prepare();
      this.attOut[l]!.prepare();
      this.ffn[l]!.prepare();
    }
    this.head.prepare();
    return performance.now() - t0;
  }

  forward(batch: Batch): BlockTimes {
    const { B, T } = batch;
    const R = B * T;
    const config = this.model.config;
    if (this.acts === null || !this.acts.fits(B, T)) this.acts = new Activations(config, B, T);
    const acts = this.acts;
    const blocks = new Map<string, number>();
    const start = performance.now();
    let t = start;
    const lap = (name: string): void => {
      const now = performance.now();
      blocks.set(name, (blocks.get(name) ?? 0) + now - t);
      t = now;
    };
    for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) acts.positionIds[b * T + i] = i;
    const maskBias = acts.emb.maskBias;
    for (let i = 0; i < R; i++) maskBias[i] = batch.attentionMask[i] ? 0 : -10000;
    let x = this.emb.forward(acts.emb, batch.inputIds, batch.tokenTypeIds, acts.positionIds, R, null);
    lap('bert.embeddings');
    for (let l = 0; l < config.layers; l++) {
      const a = acts.layers[l]!;
      const p = `bert.encoder.layer.${l}`;
      this.att[l]!.forward(a, acts.scratch, x, maskBias, B, T, false, null);
      lap(`${p}.attention.self`);
      this.attOut[l]!.forward(a, acts.scratch, x, R, false, null);
      lap(`${p}.attention.output`);
      this.ffn[l]!.forward(a, acts.scratch, R, false, null);
      lap(`${p}.ffn`);
      x = a.out;
    }
    const logits = this.head.forward(acts.head, acts.scratch, x, B, T, false, null);
    lap('bert.pooler+classifier');
    return { blocks, logits: logits.subarray(0, B * config.numLabels), totalMs: performance.now() - start };
  }
}
