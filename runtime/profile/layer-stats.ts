/**
 * The per-layer rows of `bitkit inspect` for a BERT-style model described by (config, plan): one row per weight
 * tensor group or attention matmul, with its quantization, parameter count, MACs per sequence by precision, and the
 * bytes the artifact spends on it (given by the caller: latent FP32 in a checkpoint, constants in an ONNX graph,
 * packed bits in a .bitpack).
 *
 * MACs are for one sequence of `seq` tokens: a Linear [out, in] costs seq * out * in (pooler and classifier: one
 * token), each attention matmul seq * seq * hidden. Precision of a product: 'binary' when both operands are 1 bit
 * (XNOR/popcount-able), 'lowbit' when one is 1 bit and the other 2-8 bits, or both 2-8 bits, 'fp' otherwise.
 */
import type { BertConfig, QuantPlan } from '../model/types.js';
import { planFor } from '../quant/plan.js';

export type Precision = 'binary' | 'lowbit' | 'fp';

export interface MacsByPrecision {
  binary: number;
  lowbit: number;
  fp: number;
}

export interface LayerRow {
  layer: string;
  /** What the row is: a Linear, an embedding table, an attention matmul, a LayerNorm, or any tensor group. */
  kind: 'linear' | 'embedding' | 'matmul' | 'layernorm' | 'classifier' | 'tensor';
  shape: number[];
  /** 32 = full precision; null when the row has no weight (attention matmuls). */
  weightBits: number | null;
  /** bits of the row's input activation; null when not known (generic files). */
  activationBits: number | null;
  activationSet: 'signed' | 'unsigned' | null;
  params: number;
  /** Bytes the artifact spends on the row (weights, biases, scales, shifts). */
  bytes: number;
  macs: MacsByPrecision;
  /** Share of the artifact's tensor bytes. */
  share: number;
}

export interface Totals {
  params: number;
  /** Size of the artifact on disk. */
  fileBytes: number;
  /** Bytes the same parameters take in FP32. */
  fp32Bytes: number;
  /** fp32Bytes / fileBytes */
  compression: number;
  /** Bytes of a packed deployment: 1-bit weights as bits (+ one FP32 scale per tensor / row), the rest FP32. */
  packedBytes: number;
  macs: MacsByPrecision;
  /** binary MACs / all MACs */
  binarizedMacShare: number;
}

/** Bytes of named tensors in the artifact; rows sum the tensors whose names start with the row's layer. */
export type TensorBytes = Map<string, number>;

function precisionOf(a: number | null, b: number | null): Precision {
  const x = a ?? 32;
  const y = b ?? 32;
  if (x === 1 && y === 1) return 'binary';
  if (x < 32 && y < 32) return 'lowbit';
  return 'fp';
}

function macs(p: Precision, n: number): MacsByPrecision {
  return { binary: p === 'binary' ? n : 0, lowbit: p === 'lowbit' ? n : 0, fp: p === 'fp' ? n : 0 };
}

/** The rows of a BERT model; `bytesOf(prefix)` = bytes the artifact holds for tensors named prefix + '.*'. */
export function bertLayerRows(config: BertConfig, plan: QuantPlan | null, seq: number, bytesOf: (prefix: string) => number): LayerRow[] {
  const { hidden: C, intermediate: F, vocabSize: V, maxPositions: P, typeVocabSize: TV, numLabels: NL } = config;
  const rows: LayerRow[] = [];
  const q = (point: string) => {
    const p = planFor(plan, point);
    return { w: p?.weightBits ?? 32, a: p?.activationBits ?? 32, set: p && p.activationBits < 32 ? p.activationSet : null };
  };
  const row = (r: Omit<LayerRow, 'share' | 'bytes' | 'params'> & { params?: number }, bytesPrefix: string | null): void => {
    const params = r.params ?? r.shape.reduce((s, d) => s * d, 1);
    rows.push({ ...r, params, bytes: bytesPrefix === null ? 0 : bytesOf(bytesPrefix), share: 0 });
  };
  const linear = (name: string, outF: number, inF: number, tokens: number): void => {
    const s = q(name);
    row({ layer: name, kind: 'linear', shape: [outF, inF], weightBits: s.w, activationBits: s.a, activationSet: s.set, params: outF * inF + outF,
      macs: macs(precisionOf(s.w, s.a), tokens * outF * inF) }, name);
  };
  const ln = (name: string): void => {
    row({ layer: name, kind: 'layernorm', shape: [C], weightBits: 32, activationBits: null, activationSet: null, params: 2 * C, macs: macs('fp', 0) }, name);
  };
  const we = q('bert.embeddings.word_embeddings');
  row({ layer: 'bert.embeddings.word_embeddings', kind: 'embedding', shape: [V, C], weightBits: we.w, activationBits: null, activationSet: null, macs: macs('fp', 0) }, 'bert.embeddings.word_embeddings');
  row({ layer: 'bert.embeddings.position_embeddings', kind: 'embedding', shape: [P, C], weightBits: 32, activationBits: null, activationSet: null, macs: macs('fp', 0) }, 'bert.embeddings.position_embeddings');
  row({ layer: 'bert.embeddings.token_type_embeddings', kind: 'embedding', shape: [TV, C], weightBits: 32, activationBits: null, activationSet: null, macs: macs('fp', 0) }, 'bert.embeddings.token_type_embeddings');
  ln('bert.embeddings.LayerNorm');
  for (let l = 0; l < config.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const S = `${p}.attention.self`;
    linear(`${S}.query`, C, C, seq);
    linear(`${S}.key`, C, C, seq);
    linear(`${S}.value`, C, C, seq);
    const qa = q(`${S}.query_layer`), ka = q(`${S}.key_layer`), va = q(`${S}.value_layer`), pa = q(`${S}.attention_probs`);
    row({ layer: `${S}.scores (Q·K^T)`, kind: 'matmul', shape: [seq, seq], weightBits: null, activationBits: Math.max(qa.a, ka.a), activationSet: qa.set,
      params: 0, macs: macs(precisionOf(qa.a, ka.a), seq * seq * C) }, `${S}.query_layer`);
    row({ layer: `${S}.context (P·V)`, kind: 'matmul', shape: [seq, seq], weightBits: null, activationBits: Math.max(pa.a, va.a), activationSet: pa.set,
      params: 0, macs: macs(precisionOf(pa.a, va.a), seq * seq * C) }, `${S}.attention_probs`);
    linear(`${p}.attention.output.dense`, C, C, seq);
    ln(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, F, C, seq);
    linear(`${p}.output.dense`, C, F, seq);
    ln(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', C, C, 1);
  row({ layer: 'classifier', kind: 'classifier', shape: [NL, C], weightBits: 32, activationBits: 32, activationSet: null, params: NL * C + NL, macs: macs('fp', NL * C) }, 'classifier');
  return rows;
}

/** Packed size of a BERT model under its plan: 1-bit matrices as bits + scale, everything else FP32. */
export function packedBytes(config: BertConfig, plan: QuantPlan | null, rows: LayerRow[]): number {
  let total = 0;
  for (const r of rows) {
    if (r.params === 0) continue;
    if (r.weightBits === 1 && r.kind === 'linear') {
      const [o, i] = r.shape as [number, number];
      total += Math.ceil(i / 64) * 8 * o + 4 + 4 * o; // bits (rows padded to 64), alpha, bias
    } else if (r.weightBits === 1 && r.kind === 'embedding') {
      const [v, c] = r.shape as [number, number];
      total += Math.ceil(c / 64) * 8 * v + 4 * v;
    } else {
      total += 4 * r.params;
    }
  }
  // quantizer scales and shifts
  if (plan !== null) for (const p of plan.layers) if (p.activationBits < 32) total += 4 + (p.kind === 'linear' ? 4 * (p.layer.endsWith('output.dense') ? config.intermediate : config.hidden) : 0);
  return total;
}

/** Fill `share` and compute the totals. */
export function finishRows(rows: LayerRow[], fileBytes: number, packed: number | null): Totals {
  const tensorBytes = rows.reduce((s, r) => s + r.bytes, 0);
  for (const r of rows) r.share = tensorBytes > 0 ? r.bytes / tensorBytes : 0;
  const m: MacsByPrecision = { binary: 0, lowbit: 0, fp: 0 };
  let params = 0;
  for (const r of rows) {
    m.binary += r.macs.binary;
    m.lowbit += r.macs.lowbit;
    m.fp += r.macs.fp;
    params += r.params;
  }
  const all = m.binary + m.lowbit + m.fp;
  return {
    params,
    fileBytes,
    fp32Bytes: 4 * params,
    compression: fileBytes > 0 ? (4 * params) / fileBytes : 0,
    packedBytes: packed ?? 4 * params,
    macs: m,
    binarizedMacShare: all > 0 ? m.binary / all : 0,
  };
}

/** Rows for tensors without a known architecture: grouped by name without .weight/.bias; 2-D weights cost seq * out * in FP MACs. */
export function genericRows(tensors: { name: string; shape: number[]; bytes: number; bits?: number }[], seq: number): LayerRow[] {
  const groups = new Map<string, LayerRow>();
  for (const t of tensors) {
    const layer = t.name.replace(/\.(weight|bias|gamma|beta)(\.binarized)?(\.T)?$/, '');
    let r = groups.get(layer);
    if (r === undefined) {
      r = { layer, kind: 'tensor', shape: t.shape, weightBits: t.bits ?? 32, activationBits: null, activationSet: null, params: 0, bytes: 0, macs: { binary: 0, lowbit: 0, fp: 0 }, share: 0 };
      groups.set(layer, r);
    }
    const n = t.shape.reduce((s, d) => s * d, 1);
    r.params += n;
    r.bytes += t.bytes;
    if (t.shape.length === 2 && /\.weight/.test(t.name) && !/embeddings/.test(t.name)) {
      r.shape = t.shape;
      r.kind = 'linear';
      r.macs.fp += seq * n;
      if (t.bits !== undefined) r.weightBits = t.bits;
    }
  }
  return [...groups.values()];
}
