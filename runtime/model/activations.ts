/**
 * The activation table: every buffer a forward keeps for its backward, plus the shared scratch and gradient buffers,
 * laid out in ONE Float32Array from one table of (name, shape), sized for a capacity (B, T). The model allocates it
 * once and again only when a bigger batch arrives; a smaller batch uses the front of each slot (kernels take sizes,
 * and the views handed out in ForwardOutputs are trimmed to the batch's exact size).
 *
 * Shapes (alphabet of kernels.ts): B batch, T sequence, C hidden, NH heads, HS head size, F FFN width, NL labels.
 * Dropout masks (0 or 1/(1-p)) exist only when the config's probability is > 0.
 */
import type { BertConfig } from './types.js';

export interface ActEntry {
  name: string;
  shape: number[];
}

/** Per encoder layer, kept from forward to backward. */
export interface LayerActs {
  q: Float32Array;          // [B,T,C] query projection (input of the query_layer quantizer)
  k: Float32Array;          // [B,T,C]
  v: Float32Array;          // [B,T,C]
  qh: Float32Array;         // [B,NH,T,HS] quantized query, split into heads
  kh: Float32Array;         // [B,NH,T,HS]
  vh: Float32Array;         // [B,NH,T,HS]
  scores: Float32Array;     // [B,NH,T,T] Q·K^T / sqrt(HS) + mask bias (ForwardOutputs.attentionScores)
  probs: Float32Array;      // [B,NH,T,T] softmax
  probsDrop: Float32Array;  // [B,NH,T,T] after dropout (used only when dropout is active)
  probsQ: Float32Array;     // [B,NH,T,T] quantized probabilities (used only when quantized)
  probsMask: Float32Array | null;  // [B,NH,T,T] attention dropout mask
  ctx: Float32Array;        // [B,T,C] merged context (input of attention.output.dense)
  attnMask: Float32Array | null;   // [B,T,C] hidden dropout mask after attention.output.dense
  sum1: Float32Array;       // [B,T,C] dense + residual (LayerNorm input)
  ln1Mean: Float32Array;    // [B,T]
  ln1Rstd: Float32Array;    // [B,T]
  attnOut: Float32Array;    // [B,T,C] attention block output
  h: Float32Array;          // [B,T,F] intermediate.dense output (pre-activation)
  act: Float32Array;        // [B,T,F] GELU/ReLU output (input of output.dense)
  ffnMask: Float32Array | null;    // [B,T,C] hidden dropout mask after output.dense
  sum2: Float32Array;       // [B,T,C]
  ln2Mean: Float32Array;    // [B,T]
  ln2Rstd: Float32Array;    // [B,T]
  out: Float32Array;        // [B,T,C] layer output = hidden state l+1
}

export interface EmbActs {
  sum: Float32Array;        // [B,T,C] word + position + type (LayerNorm input)
  tmp: Float32Array;        // [B,T,C] one looked-up table at a time
  lnMean: Float32Array;     // [B,T]
  lnRstd: Float32Array;     // [B,T]
  ln: Float32Array;         // [B,T,C] LayerNorm output
  mask: Float32Array | null; // [B,T,C]
  out: Float32Array;        // [B,T,C] after dropout = hidden state 0 (used only when dropout is active)
  maskBias: Float32Array;   // [B,T] attention mask bias 0 / -10000
}

export interface HeadActs {
  pooledIn: Float32Array;   // [B,C] first token of the last hidden state
  poolPre: Float32Array;    // [B,C] pooler dense output
  pooled: Float32Array;     // [B,C] tanh
  mask: Float32Array | null; // [B,C]
  clsIn: Float32Array;      // [B,C] after dropout (used only when dropout is active)
  logits: Float32Array;     // [B,NL]
}

/** Shared buffers, reused by every layer (forward scratch and backward gradients). */
export interface Scratch {
  xq: Float32Array;         // [B,T,max(C,F)] quantized input of the Linear being run
  dXq: Float32Array;        // [B,T,max(C,F)] its gradient
  qq: Float32Array;         // [B,T,C] quantized Q/K/V before the head split; dQ/dK/dV after the merge
  ctxh: Float32Array;       // [B,NH,T,HS] context per head; dContext per head
  dH0: Float32Array;        // [B,T,C] gradient of a hidden state (ping)
  dH1: Float32Array;        // [B,T,C] (pong)
  dSum: Float32Array;       // [B,T,C] gradient at a LayerNorm input
  dAttnOut: Float32Array;   // [B,T,C]
  dCtx: Float32Array;       // [B,T,C]
  dProj: Float32Array;      // [B,T,C] gradient of q, k or v (before its quantizer)
  dQh: Float32Array;        // [B,NH,T,HS]
  dKh: Float32Array;        // [B,NH,T,HS]
  dVh: Float32Array;        // [B,NH,T,HS]
  dF1: Float32Array;        // [B,T,F]
  dF2: Float32Array;        // [B,T,F]
  dAtt1: Float32Array;      // [B,NH,T,T]
  dAtt2: Float32Array;      // [B,NH,T,T]
  dHead1: Float32Array;     // [B,C]
  dHead2: Float32Array;     // [B,C]
}

export function activationTable(config: BertConfig, B: number, T: number): ActEntry[] {
  const { hidden: C, heads: NH, intermediate: F, numLabels: NL } = config;
  const HS = C / NH;
  const hid = config.hiddenDropout > 0;
  const att = config.attentionDropout > 0;
  const e: ActEntry[] = [];
  const add = (name: string, ...shape: number[]): void => {
    e.push({ name, shape });
  };
  add('emb.sum', B, T, C);
  add('emb.tmp', B, T, C);
  add('emb.lnMean', B, T);
  add('emb.lnRstd', B, T);
  add('emb.ln', B, T, C);
  if (hid) add('emb.mask', B, T, C);
  add('emb.out', B, T, C);
  add('emb.maskBias', B, T);
  for (let l = 0; l < config.layers; l++) {
    const p = `layer.${l}.`;
    add(p + 'q', B, T, C);
    add(p + 'k', B, T, C);
    add(p + 'v', B, T, C);
    add(p + 'qh', B, NH, T, HS);
    add(p + 'kh', B, NH, T, HS);
    add(p + 'vh', B, NH, T, HS);
    add(p + 'scores', B, NH, T, T);
    add(p + 'probs', B, NH, T, T);
    add(p + 'probsDrop', B, NH, T, T);
    add(p + 'probsQ', B, NH, T, T);
    if (att) add(p + 'probsMask', B, NH, T, T);
    add(p + 'ctx', B, T, C);
    if (hid) add(p + 'attnMask', B, T, C);
    add(p + 'sum1', B, T, C);
    add(p + 'ln1Mean', B, T);
    add(p + 'ln1Rstd', B, T);
    add(p + 'attnOut', B, T, C);
    add(p + 'h', B, T, F);
    add(p + 'act', B, T, F);
    if (hid) add(p + 'ffnMask', B, T, C);
    add(p + 'sum2', B, T, C);
    add(p + 'ln2Mean', B, T);
    add(p + 'ln2Rstd', B, T);
    add(p + 'out', B, T, C);
  }
  add('head.pooledIn', B, C);
  add('head.poolPre', B, C);
  add('head.pooled', B, C);
  if (hid) add('head.mask', B, C);
  add('head.clsIn', B, C);
  add('head.logits', B, NL);
  const W = Math.max(C, F);
  add('scratch.xq', B, T, W);
  add('scratch.dXq', B, T, W);
  add('scratch.qq', B, T, C);
  add('scratch.ctxh', B, NH, T, HS);
  for (const n of ['dH0', 'dH1', 'dSum', 'dAttnOut', 'dCtx', 'dProj']) add('scratch.' + n, B, T, C);
  for (const n of ['dQh', 'dKh', 'dVh']) add('scratch.' + n, B, NH, T, HS);
  add('scratch.dF1', B, T, F);
  add('scratch.dF2', B, T, F);
  add('scratch.dAtt1', B, NH, T, T);
  add('scratch.dAtt2', B, NH, T, T);
  add('scratch.dHead1', B, C);
  add('scratch.dHead2', B, C);
  return e;
}

/** One Float32Array laid out from the table; `view(name)` is the slot of that entry. */
export class ActivationSlab {
  readonly data: Float32Array;
  private readonly slots = new Map<string, Float32Array>();

  constructor(entries: ActEntry[]) {
    let total = 0;
    for (const en of entries) total += en.shape.reduce((a, b) => a * b, 1);
    this.data = new Float32Array(total);
    let off = 0;
    for (const en of entries) {
      const size = en.shape.reduce((a, b) => a * b, 1);
      this.slots.set(en.name, this.data.subarray(off, off + size));
      off += size;
    }
  }

  view(name: string): Float32Array {
    const v = this.slots.get(name);
    if (v === undefined) throw new Error(`activation table has no entry ${name}`);
    return v;
  }

  maybe(name: string): Float32Array | null {
    return this.slots.get(name) ?? null;
  }
}

/** Every activation of the model for one capacity (B, T). */
export class Activations {
  readonly slab: ActivationSlab;
  readonly emb: EmbActs;
  readonly layers: LayerActs[];
  readonly head: HeadActs;
  readonly scratch: Scratch;
  /** [B*T] position ids 0..T-1 per sequence (refilled per forward). */
  readonly positionIds: Int32Array;

  constructor(config: BertConfig, readonly capB: number, readonly capT: number) {
    const s = (this.slab = new ActivationSlab(activationTable(config, capB, capT)));
    const v = (n: string): Float32Array => s.view(n);
    this.emb = {
      sum: v('emb.sum'), tmp: v('emb.tmp'), lnMean: v('emb.lnMean'), lnRstd: v('emb.lnRstd'), ln: v('emb.ln'),
      mask: s.maybe('emb.mask'), out: v('emb.out'), maskBias: v('emb.maskBias'),
    };
    this.layers = [];
    for (let l = 0; l < config.layers; l++) {
      const p = `layer.${l}.`;
      this.layers.push({
        q: v(p + 'q'), k: v(p + 'k'), v: v(p + 'v'), qh: v(p + 'qh'), kh: v(p + 'kh'), vh: v(p + 'vh'),
        scores: v(p + 'scores'), probs: v(p + 'probs'), probsDrop: v(p + 'probsDrop'), probsQ: v(p + 'probsQ'),
        probsMask: s.maybe(p + 'probsMask'), ctx: v(p + 'ctx'), attnMask: s.maybe(p + 'attnMask'), sum1: v(p + 'sum1'),
        ln1Mean: v(p + 'ln1Mean'), ln1Rstd: v(p + 'ln1Rstd'), attnOut: v(p + 'attnOut'), h: v(p + 'h'), act: v(p + 'act'),
        ffnMask: s.maybe(p + 'ffnMask'), sum2: v(p + 'sum2'), ln2Mean: v(p + 'ln2Mean'), ln2Rstd: v(p + 'ln2Rstd'),
        out: v(p + 'out'),
      });
    }
    this.head = {
      pooledIn: v('head.pooledIn'), poolPre: v('head.poolPre'), pooled: v('head.pooled'), mask: s.maybe('head.mask'),
      clsIn: v('head.clsIn'), logits: v('head.logits'),
    };
    this.scratch = {
      xq: v('scratch.xq'), dXq: v('scratch.dXq'), qq: v('scratch.qq'), ctxh: v('scratch.ctxh'),
      dH0: v('scratch.dH0'), dH1: v('scratch.dH1'), dSum: v('scratch.dSum'), dAttnOut: v('scratch.dAttnOut'),
      dCtx: v('scratch.dCtx'), dProj: v('scratch.dProj'), dQh: v('scratch.dQh'), dKh: v('scratch.dKh'),
      dVh: v('scratch.dVh'), dF1: v('scratch.dF1'), dF2: v('scratch.dF2'), dAtt1: v('scratch.dAtt1'),
      dAtt2: v('scratch.dAtt2'), dHead1: v('scratch.dHead1'), dHead2: v('scratch.dHead2'),
    };
    this.positionIds = new Int32Array(capB * capT);
  }

  fits(B: number, T: number): boolean {
    // Per-example buffers ([B,C] pooler and logits) need B itself to fit, not only B*T and B*T*T.
    return B <= this.capB && B * T <= this.capB * this.capT && B * T * T <= this.capB * this.capT * this.capT;
  }
}
