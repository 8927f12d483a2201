/**
 * A small builder of ONNX graphs: nodes named `<scope>/<Op>_<n>`, float/int64 constants as initializers (raw_data,
 * little-endian), graph inputs/outputs with symbolic dims, and encoding to ModelProto bytes with protobufjs.
 */
import { ONNX_DTYPE, modelProtoType, type AttributeMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg } from './schema.js';

export type AttrValue = number | string | number[] | { ints: number[] } | { float: number };

export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  readonly inputs: ValueInfoMsg[] = [];
  readonly outputs: ValueInfoMsg[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  private constCache = new Map<string, string>();

  /** Add a node; returns its output names (`nOut` of them). Integer attributes: pass numbers; floats: { float }. */
  op(scope: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut = 1): string[] {
    const base = `${scope}/${opType}_${this.counter++}`;
    const outputs = Array.from({ length: nOut }, (_, i) => (nOut === 1 ? base : `${base}:${i}`));
    const attribute: AttributeMsg[] = [];
    for (const [name, v] of Object.entries(attrs)) {
      if (typeof v === 'string') attribute.push({ name, type: 3, s: new TextEncoder().encode(v) });
      else if (typeof v === 'number') attribute.push({ name, type: 2, i: v });
      else if (Array.isArray(v)) attribute.push({ name, type: 7, ints: v });
      else if ('ints' in v) attribute.push({ name, type: 7, ints: v.ints });
      else attribute.push({ name, type: 1, f: v.float });
    }
    this.nodes.push({ name: base, op_type: opType, input: inputs, output: outputs, attribute });
    return outputs;
  }

  /** op() with one output. */
  op1(scope: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.op(scope, opType, inputs, attrs, 1)[0]!;
  }

  /** A float32 initializer. */
  float(name: string, dims: number[], data: Float32Array | number[]): string {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const raw = new Uint8Array(f.byteLength);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < f.length; i++) view.setFloat32(4 * i, f[i]!, true);
    return this.addInit({ name: this.unique(name), dims, data_type: ONNX_DTYPE.FLOAT, raw_data: raw });
  }

  /** A float32 scalar constant (shared between uses of the same value). */
  scalar(value: number): string {
    const key = `f:${Math.fround(value)}`;
    let n = this.constCache.get(key);
    if (n === undefined) {
      n = this.float(`const.f32.${this.constCache.size}`, [], [value]);
      this.constCache.set(key, n);
    }
    return n;
  }

  /** An int64 initializer. */
  int64(name: string, dims: number[], data: number[]): string {
    const raw = new Uint8Array(8 * data.length);
    const view = new DataView(raw.buffer);
    data.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    return this.addInit({ name: this.unique(name), dims, data_type: ONNX_DTYPE.INT64, raw_data: raw });
  }

  /** An int64 constant vector (shared). */
  ints(values: number[]): string {
    const key = `i:${values.join(',')}`;
    let n = this.constCache.get(key);
    if (n === undefined) {
      n = this.int64(`const.i64.${this.constCache.size}`, [values.length], values);
      this.constCache.set(key, n);
    }
    return n;
  }

  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, from: string, elemType: number, dims: (number | string)[]): void {
    this.op1('output', 'Identity', [from]);
    const last = this.nodes[this.nodes.length - 1]!;
    last.output = [name];
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** The ModelProto bytes. */
  encode(meta: { producer: string; version: string; opset: number; graphName: string; doc: string; props: Record<string, string> }): Uint8Array {
    const T = modelProtoType();
    const msg = T.fromObject({
      ir_version: 8,
      producer_name: meta.producer,
      producer_version: meta.version,
      doc_string: meta.doc,
      opset_import: [{ domain: '', version: meta.opset }],
      metadata_props: Object.entries(meta.props).map(([key, value]) => ({ key, value })),
      graph: { name: meta.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return T.encode(msg).finish();
  }

  private addInit(t: TensorMsg): string {
    this.initializers.push(t);
    return t.name!;
  }

  private unique(name: string): string {
    let n = name;
    for (let i = 1; this.used.has(n); i++) n = `${name}.${i}`;
    this.used.add(n);
    return n;
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoMsg {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}
