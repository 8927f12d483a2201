/**
 * Reading .onnx files for inspection (protobuf decoded with protobufjs, schema.ts): opset, producer, graph inputs and
 * outputs, initializers (name, dtype, dims, bytes), nodes (name, op type, inputs, outputs) and the bitkit metadata an
 * export carries. Tensor data is never converted unless asked (`initializerValues`).
 *
 * Robust against any input: every failure is a BitkitError (codes BK66xx, ONNX_ERRORS); nothing is allocated from a
 * size the file claims (protobuf lengths are checked against the buffer by the decoder; dims are only multiplied,
 * as numbers, to compare with the bytes present); external-data tensors are listed, not followed.
 */
import { readFileSync, statSync } from 'node:fs';
import { BitkitError } from '../../errors.js';
import { modelProtoType, onnxDtypeName, onnxDtypeSize, type GraphMsg, type ModelMsg, type TensorMsg, type ValueInfoMsg } from './schema.js';

export const ONNX_ERRORS = {
  /** The file cannot be read. */
  unreadable: 'BK6602',
  /** The bytes are not a valid ModelProto. */
  badProtobuf: 'BK6603',
  /** A ModelProto without a graph, or with inconsistent parts (tensor bytes vs dims). */
  badModel: 'BK6604',
} as const;

/** Largest .onnx read for inspection (2 GB is protobuf's own limit). */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

export interface OnnxValueInfo {
  name: string;
  elemType: string;
  /** numbers for fixed dims, strings for symbolic ones, '?' unknown */
  shape: (number | string)[];
}

export interface OnnxInitializer {
  name: string;
  dataType: string;
  dims: number[];
  elements: number;
  /** bytes of its data in the file (0 for external data) */
  bytes: number;
  external: boolean;
}

export interface OnnxNodeInfo {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxSummary {
  file: string;
  fileSize: number;
  irVersion: number;
  producer: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  graphName: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  nodes: OnnxNodeInfo[];
  /** op type -> count */
  opCounts: Record<string, number>;
  metadata: Record<string, string>;
}

/** Decode and summarise a .onnx file. */
export function readOnnx(path: string): OnnxSummary {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > MAX_ONNX_BYTES) throw new Error(`${size} bytes, more than protobuf's 2 GB limit`);
    bytes = readFileSync(path);
  } catch (e) {
    throw new BitkitError(ONNX_ERRORS.unreadable, `cannot read ${path}: ${(e as Error).message}`, { place: { file: path }, cause: e });
  }
  return decodeOnnx(bytes, path).summary;
}

/** Decode ONNX bytes; `name` stands for the file in messages. Returns the summary and the raw message. */
export function decodeOnnx(bytes: Uint8Array, name: string): { summary: OnnxSummary; model: ModelMsg } {
  let model: ModelMsg;
  try {
    const T = modelProtoType();
    model = T.toObject(T.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false }) as ModelMsg;
  } catch (e) {
    throw new BitkitError(ONNX_ERRORS.badProtobuf, `${name} is not a valid ONNX model: ${(e as Error).message}`, {
      hint: 'the file is truncated or not an .onnx file; re-export it', place: { file: name }, cause: e,
    });
  }
  const g: GraphMsg | undefined = model.graph;
  if (g === undefined || g === null) {
    throw new BitkitError(ONNX_ERRORS.badModel, `${name}: the ONNX model has no graph`, { hint: 'the file is not an ONNX model, or it is damaged', place: { file: name } });
  }
  const initializers = (g.initializer ?? []).map((t) => initializerInfo(t, name));
  const nodes = (g.node ?? []).map((n) => ({
    name: str(n.name), opType: str(n.op_type), domain: str(n.domain), inputs: (n.input ?? []).map(str), outputs: (n.output ?? []).map(str),
  }));
  const opCounts: Record<string, number> = {};
  for (const n of nodes) opCounts[n.opType] = (opCounts[n.opType] ?? 0) + 1;
  const metadata: Record<string, string> = {};
  for (const p of model.metadata_props ?? []) if (typeof p.key === 'string') metadata[p.key] = str(p.value);
  const summary: OnnxSummary = {
    file: name,
    fileSize: bytes.length,
    irVersion: num(model.ir_version),
    producer: str(model.producer_name),
    producerVersion: str(model.producer_version),
    opsets: (model.opset_import ?? []).map((o) => ({ domain: str(o.domain) || 'ai.onnx', version: num(o.version) })),
    graphName: str(g.name),
    inputs: (g.input ?? []).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    initializers,
    nodes,
    opCounts,
    metadata,
  };
  return { summary, model };
}

/** Float values of a FLOAT initializer (raw_data or float_data), or null for other types / external data. */
export function initializerValues(t: TensorMsg): Float32Array | null {
  if (t.data_type !== 1) return null;
  if (t.raw_data && t.raw_data.length > 0) {
    if (t.raw_data.length % 4 !== 0) return null;
    const out = new Float32Array(t.raw_data.length / 4);
    const v = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(4 * i, true);
    return out;
  }
  return t.float_data ? Float32Array.from(t.float_data) : null;
}

function initializerInfo(t: TensorMsg, file: string): OnnxInitializer {
  const dims = (t.dims ?? []).map(num);
  let elements = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new BitkitError(ONNX_ERRORS.badModel, `${file}: initializer "${str(t.name).slice(0, 80)}" has an impossible dimension ${d}`, {
        hint: 'the file is damaged; re-export it', place: { file },
      });
    }
    elements *= d;
  }
  const external = t.data_location === 1 || (t.external_data?.length ?? 0) > 0;
  const size = onnxDtypeSize(t.data_type ?? 0);
  let bytes = 0;
  if (!external) {
    if (t.raw_data && t.raw_data.length > 0) bytes = t.raw_data.length;
    else bytes = size * ((t.float_data?.length ?? 0) + (t.int32_data?.length ?? 0) + (t.int64_data?.length ?? 0) + (t.double_data?.length ?? 0));
    if (size > 0 && t.raw_data && t.raw_data.length > 0 && t.raw_data.length !== elements * size) {
      throw new BitkitError(ONNX_ERRORS.badModel, `${file}: initializer "${str(t.name).slice(0, 80)}" has ${t.raw_data.length} bytes, dims [${dims.join(', ')}] need ${elements * size}`, {
        hint: 'the file is damaged; re-export it', place: { file },
      });
    }
  }
  return { name: str(t.name), dataType: onnxDtypeName(t.data_type ?? 0), dims, elements, bytes, external };
}

function valueInfo(v: ValueInfoMsg): OnnxValueInfo {
  const tt = v.type?.tensor_type;
  return {
    name: str(v.name),
    elemType: onnxDtypeName(tt?.elem_type ?? 0),
    shape: (tt?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined ? num(d.dim_value) : d.dim_param ? str(d.dim_param) : '?')),
  };
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function num(x: unknown): number {
  return typeof x === 'number' ? x : 0;
}
