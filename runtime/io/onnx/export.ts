/**
 * ONNX export of a bitkit BertModel (the FP teacher or any stage's student) as a fake-quantized graph that ONNX
 * Runtime runs with the same predictions as bitkit's own forward (inference mode: no dropout).
 *
 * Inputs  input_ids, token_type_ids, attention_mask: int64 [batch, sequence].  Output  logits: float [batch, labels].
 * Opset 17 (LayerNormalization), IR version 8. Nodes are named `<bitkit layer>/<Op>_<n>`, so per-layer tools
 * (inspect, ONNX Runtime profiling) group them by layer. `metadata_props` carries `bitkit.meta` (config, plan and the
 * checkpoint's metadata) so that `bitkit inspect` shows the exact bit widths.
 *
 * How each piece of runtime/model maps to standard ops:
 *   binarized weight     W_b = a_W * sign(W - mean W) computed by the model's own kernels, stored as a constant,
 *                        transposed to [in, out] for MatMul; the word-embedding table per row likewise (Gather)
 *   1-bit signed act     Where(GreaterOrEqual(x + b, 0), a, -a): bitkit's sign(0) = +1 (ONNX Sign(0) = 0 is not used)
 *   other act quantizer  y = Mul(Clip(Round(Div(x + b - o, a)), Qn, Qp), a) + o; ONNX Round is half-to-even like
 *                        roundHalfEven; o = ReduceMin over the whole tensor for unsigned multi-bit with
 *                        unsignedMinOffset (as the reference: the batch's minimum), else no offset
 *   attention            Reshape/Transpose into heads, MatMul, Mul 1/sqrt(HS), Add mask bias (Where(mask, 0, -10000)),
 *                        Softmax(axis -1), probability quantizer (its shift sliced to the sequence length), MatMul
 *   LayerNorm / GELU     LayerNormalization(axis -1, epsilon); GELU exact 0.5 x (1 + Erf(x / sqrt 2)); ReLU
 *   pooler / classifier  Gather(index 0, axis 1), quantized dense, Tanh; classifier MatMul + Add
 * Results differ from bitkit's only by float32 rounding (bitkit accumulates in double): a prediction can change only
 * where a quantizer input sits within rounding distance of its threshold. `exposeQuantInputs` adds, per quantizer,
 * an output `quant_in.<point>` = (x + b - o) / a so that tests can count such threshold ties.
 */
import { BitkitError } from '../../errors.js';
import type { BertModel } from '../../model/bert.js';
import { SCALE_SUFFIX, SHIFT_SUFFIX } from '../../model/param-table.js';
import { planFor } from '../../quant/plan.js';
import { writeFileAtomic } from '../atomic-write.js';
import { GraphBuilder } from './graph-builder.js';
import { ONNX_DTYPE } from './schema.js';

export const ONNX_OPSET = 17;
export const ONNX_EXPORT_FORMAT = 'bitkit-onnx';
export const ONNX_EXPORT_VERSION = 1;

export interface OnnxExportOptions {
  /** Checkpoint metadata to embed (stage, task, labels, tokenizer, provenance); config and plan are always stored. */
  meta?: Record<string, unknown>;
  /** Add one output per activation quantizer: its normalised input (x + b - o) / a, for counting threshold ties. */
  exposeQuantInputs?: boolean;
}

export interface OnnxExportResult {
  bytes: number;
  nodes: number;
  initializers: number;
  /** Names of the extra outputs (exposeQuantInputs), in graph order. */
  quantOutputs: string[];
}

/** The .onnx bytes of the model. */
export function encodeOnnx(model: BertModel, options: OnnxExportOptions = {}): { bytes: Uint8Array; result: OnnxExportResult } {
  const g = new GraphBuilder();
  const { config, plan } = model;
  const { hidden: C, heads: NH, layers: L, numLabels: NL } = config;
  const HS = C / NH;
  const k = model.kernels;
  const quantOutputs: string[] = [];

  const ids = g.input('input_ids', ONNX_DTYPE.INT64, ['batch', 'sequence']);
  const types = g.input('token_type_ids', ONNX_DTYPE.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', ONNX_DTYPE.INT64, ['batch', 'sequence']);
  const seqLen = g.op1('inputs', 'Shape', [ids], { start: 1, end: 2 }); // [1] = T

  /** Activation quantizer of a point on x (identity when the plan keeps it FP). */
  const actQuant = (point: string, x: string, sliceShiftToT: boolean): string => {
    const p = planFor(plan, point);
    if (plan === null || p === undefined || p.activationBits >= 32) return x;
    const a = model.param(point + SCALE_SUFFIX)[0]!;
    if (!(a > 0) || !Number.isFinite(a)) {
      throw new BitkitError('BK6601', `cannot export ${point}: its activation scale a is ${a} (not initialised)`, {
        hint: 'export a trained checkpoint (a stage\'s best.safetensors): the scales are set by the first training batch',
      });
    }
    let u = x;
    if (model.hasParam(point + SHIFT_SUFFIX)) {
      const shiftData = model.param(point + SHIFT_SUFFIX);
      let shift = g.float(`${point}${SHIFT_SUFFIX}`, [shiftData.length], shiftData);
      if (sliceShiftToT) shift = g.op1(point, 'Slice', [shift, g.ints([0]), seqLen, g.ints([0])]);
      u = g.op1(point, 'Add', [x, shift]);
    }
    const signed = p.activationSet === 'signed';
    const bits = p.activationBits;
    const aC = g.scalar(a);
    if (signed && bits === 1) {
      if (options.exposeQuantInputs) quantOutputs.push(expose(g, point, g.op1(point, 'Div', [u, aC])));
      const ge = g.op1(point, 'GreaterOrEqual', [u, g.scalar(0)]);
      return g.op1(point, 'Where', [ge, aC, g.scalar(-a)]);
    }
    const qn = signed ? -(2 ** (bits - 1)) : 0;
    const qp = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const minOffset = !signed && bits > 1 && plan.options.unsignedMinOffset;
    let off: string | null = null;
    if (minOffset) {
      off = g.op1(point, 'ReduceMin', [u], { keepdims: 1 });
      u = g.op1(point, 'Sub', [u, off]);
    }
    const v = g.op1(point, 'Div', [u, aC]);
    if (options.exposeQuantInputs) quantOutputs.push(expose(g, point, v));
    const q = g.op1(point, 'Clip', [g.op1(point, 'Round', [v]), g.scalar(qn), g.scalar(qp)]);
    const y = g.op1(point, 'Mul', [q, aC]);
    return off === null ? y : g.op1(point, 'Add', [y, off]);
  };

  /** QuantLinear: y = Q(x) · W_b^T + bias. */
  const linear = (name: string, x: string, inF: number, outF: number): string => {
    const w = model.param(`${name}.weight`);
    const p = planFor(plan, name);
    let eff = w;
    if (plan !== null && p !== undefined && p.weightBits === 1) {
      eff = new Float32Array(w.length);
      k.binarizeWeight(eff, w, w.length, plan.options.weightCentering);
    }
    const wt = new Float32Array(inF * outF); // [in, out]
    for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) wt[i * outF + o] = eff[o * inF + i]!;
    const xq = name === 'classifier' ? x : actQuant(name, x, false);
    const mm = g.op1(name, 'MatMul', [xq, g.float(`${name}.weight${eff === w ? '' : '.binarized'}.T`, [inF, outF], wt)]);
    return g.op1(name, 'Add', [mm, g.float(`${name}.bias`, [outF], model.param(`${name}.bias`))]);
  };

  const layerNorm = (prefix: string, x: string): string =>
    g.op1(prefix, 'LayerNormalization', [x, g.float(`${prefix}.weight`, [C], model.param(`${prefix}.weight`)), g.float(`${prefix}.bias`, [C], model.param(`${prefix}.bias`))],
      { axis: -1, epsilon: { float: config.layerNormEps } });

  // embeddings
  const E = 'bert.embeddings';
  const word = model.param(`${E}.word_embeddings.weight`);
  const pe = planFor(plan, `${E}.word_embeddings`);
  let table = word;
  if (plan !== null && pe !== undefined && pe.weightBits === 1) {
    table = new Float32Array(word.length);
    k.binarizeRows(table, new Float32Array(config.vocabSize), word, config.vocabSize, C, plan.options.weightCentering);
  }
  const wordT = g.float(`${E}.word_embeddings.weight${table === word ? '' : '.binarized'}`, [config.vocabSize, C], table);
  const posT = g.float(`${E}.position_embeddings.weight`, [config.maxPositions, C], model.param(`${E}.position_embeddings.weight`));
  const typeT = g.float(`${E}.token_type_embeddings.weight`, [config.typeVocabSize, C], model.param(`${E}.token_type_embeddings.weight`));
  const wEmb = g.op1(`${E}.word_embeddings`, 'Gather', [wordT, ids], { axis: 0 });
  const pEmb = g.op1(`${E}.position_embeddings`, 'Slice', [posT, g.ints([0]), seqLen, g.ints([0])]);
  const tEmb = g.op1(`${E}.token_type_embeddings`, 'Gather', [typeT, types], { axis: 0 });
  const sum = g.op1(E, 'Add', [g.op1(E, 'Add', [wEmb, pEmb]), tEmb]);
  let h = layerNorm(`${E}.LayerNorm`, sum);

  // attention mask bias [B,1,1,T]: 0 for tokens, -10000 for padding
  const maskBool = g.op1('mask', 'Cast', [mask], { to: ONNX_DTYPE.BOOL });
  const maskBias = g.op1('mask', 'Unsqueeze', [g.op1('mask', 'Where', [maskBool, g.scalar(0), g.scalar(-10000)]), g.ints([1, 2])]);
  const headShape = g.ints([0, 0, NH, HS]);
  const mergedShape = g.ints([0, 0, C]);

  for (let l = 0; l < L; l++) {
    const p = `bert.encoder.layer.${l}`;
    const S = `${p}.attention.self`;
    const heads = (name: string, y: string, perm: number[]): string =>
      g.op1(`${S}.${name}`, 'Transpose', [g.op1(`${S}.${name}`, 'Reshape', [actQuant(`${S}.${name}`, y, false), headShape])], { perm });
    const qh = heads('query_layer', linear(`${S}.query`, h, C, C), [0, 2, 1, 3]); // [B,NH,T,HS]
    const khT = heads('key_layer', linear(`${S}.key`, h, C, C), [0, 2, 3, 1]); // [B,NH,HS,T]
    const vh = heads('value_layer', linear(`${S}.value`, h, C, C), [0, 2, 1, 3]); // [B,NH,T,HS]
    const scores = g.op1(`${S}.scores`, 'Add', [g.op1(`${S}.scores`, 'Mul', [g.op1(`${S}.scores`, 'MatMul', [qh, khT]), g.scalar(1 / Math.sqrt(HS))]), maskBias]);
    const probs = g.op1(`${S}.attention_probs`, 'Softmax', [scores], { axis: -1 });
    const pq = actQuant(`${S}.attention_probs`, probs, true);
    const ctxh = g.op1(`${S}.context`, 'MatMul', [pq, vh]); // [B,NH,T,HS]
    const ctx = g.op1(`${S}.context`, 'Reshape', [g.op1(`${S}.context`, 'Transpose', [ctxh], { perm: [0, 2, 1, 3] }), mergedShape]);
    const attnOut = layerNorm(`${p}.attention.output.LayerNorm`, g.op1(`${p}.attention.output`, 'Add', [linear(`${p}.attention.output.dense`, ctx, C, C), h]));
    const inter = linear(`${p}.intermediate.dense`, attnOut, C, config.intermediate);
    let act: string;
    if (model.ffnActivation === 'relu') {
      act = g.op1(`${p}.intermediate.act`, 'Relu', [inter]);
    } else {
      const erf = g.op1(`${p}.intermediate.act`, 'Erf', [g.op1(`${p}.intermediate.act`, 'Mul', [inter, g.scalar(Math.SQRT1_2)])]);
      act = g.op1(`${p}.intermediate.act`, 'Mul', [g.op1(`${p}.intermediate.act`, 'Mul', [inter, g.scalar(0.5)]), g.op1(`${p}.intermediate.act`, 'Add', [erf, g.scalar(1)])]);
    }
    h = layerNorm(`${p}.output.LayerNorm`, g.op1(`${p}.output`, 'Add', [linear(`${p}.output.dense`, act, config.intermediate, C), attnOut]));
  }

  // pooler and classifier
  const first = g.op1('bert.pooler', 'Gather', [h, g.int64('const.index0', [], [0])], { axis: 1 }); // [B,C]
  const pooled = g.op1('bert.pooler', 'Tanh', [linear('bert.pooler.dense', first, C, C)]);
  const logits = linear('classifier', pooled, C, NL);
  g.output('logits', logits, ONNX_DTYPE.FLOAT, ['batch', NL]);
  for (let i = 0; i < quantOutputs.length; i++) {
    // expose() put the value on a placeholder output name; declare it
    g.outputs.push({ name: quantOutputs[i]!, type: { tensor_type: { elem_type: ONNX_DTYPE.FLOAT } } });
  }

  const props: Record<string, string> = {
    format: ONNX_EXPORT_FORMAT,
    format_version: String(ONNX_EXPORT_VERSION),
    'bitkit.meta': JSON.stringify({ ...(options.meta ?? {}), config, plan }),
  };
  const bytes = g.encode({
    producer: 'bitkit', version: '0.1.0', opset: ONNX_OPSET, graphName: 'bitkit-bert',
    doc: 'BERT-style encoder exported by bitkit; quantizers as standard ops (fake-quantized)', props,
  });
  return { bytes, result: { bytes: bytes.length, nodes: g.nodes.length, initializers: g.initializers.length, quantOutputs } };
}

/** Write the model as .onnx (atomically). */
export function exportOnnx(model: BertModel, path: string, options: OnnxExportOptions = {}): OnnxExportResult {
  const { bytes, result } = encodeOnnx(model, options);
  writeFileAtomic(path, [bytes]);
  return result;
}

function expose(g: GraphBuilder, point: string, v: string): string {
  const name = `quant_in.${point}`;
  g.op1(point, 'Identity', [v]);
  g.nodes[g.nodes.length - 1]!.output = [name];
  return name;
}
