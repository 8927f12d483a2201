/**
 * The checkpoint inspector's view-model, from what a safetensors header and its `bitkit.meta` say (no tensor data
 * is read): kind of file, stage, task, labels, metrics, provenance, architecture, the tensor table with each
 * weight's planned bits, and totals (parameters, FP32 bytes, packed 1-bit estimate). When `bitkit inspect --json`
 * lands in the CLI, the editor may show its output instead. No 'vscode' import.
 */
import type { SafetensorsHeader } from '../../runtime/io/safetensors.js';
import type { BertConfig, QuantPlan } from '../../runtime/model/types.js';

export interface InspectorTensor {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
  bytes: number;
  /** Planned weight bits (1 or 32) for quant-point weights, 32 for the rest; null for optimiser state. */
  bits: number | null;
  role: 'weight' | 'bias/norm' | 'quantizer' | 'optimizer';
}

export interface InspectorView {
  file: string;
  kind: 'bitkit checkpoint' | 'bitkit resume checkpoint' | 'safetensors';
  format: string | null;
  stage: string | null;
  task: string | null;
  labels: string[];
  metrics: Record<string, number>;
  facts: [string, string][];
  tensors: InspectorTensor[];
  totals: { tensors: number; params: number; modelParams: number; fileBytes: number; fp32Bytes: number; packedBytes: number; binarizedParams: number };
  resume: Record<string, unknown> | null;
  plan: QuantPlan | null;
}

interface MetaLike {
  config?: BertConfig;
  plan?: QuantPlan | null;
  stage?: string;
  task?: string;
  labelNames?: string[];
  isRegression?: boolean;
  metrics?: Record<string, number>;
  tokenizer?: { vocab?: string; maxLength?: number; lowercase?: boolean };
  provenance?: { recipe?: string; recipeHash?: string; teacher?: string | null; init?: string | null; step?: number; createdAt?: string };
}

function parseJson<T>(s: string | undefined): T | null {
  if (s === undefined) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}

function role(name: string): InspectorTensor['role'] {
  if (name.startsWith('optimizer.')) return 'optimizer';
  if (name.includes('.act_quant.')) return 'quantizer';
  if (name.endsWith('.weight') && !name.includes('LayerNorm')) return 'weight';
  return 'bias/norm';
}

export function inspectorView(file: string, header: Pick<SafetensorsHeader, 'metadata' | 'tensors' | 'fileSize'>): InspectorView {
  const meta = parseJson<MetaLike>(header.metadata['bitkit.meta']);
  const resume = parseJson<Record<string, unknown>>(header.metadata['bitkit.resume']);
  const plan = meta?.plan ?? null;
  const weightBits = new Map<string, number>();
  for (const l of plan?.layers ?? []) if (l.kind !== 'activation') weightBits.set(`${l.layer}.weight`, l.keepFullPrecision ? 32 : l.weightBits);
  const tensors: InspectorTensor[] = [];
  for (const [name, info] of header.tensors) {
    const params = info.shape.reduce((a, b) => a * b, 1);
    const r = role(name);
    tensors.push({ name, dtype: info.dtype, shape: info.shape, params, bytes: info.dataOffsets[1] - info.dataOffsets[0], bits: r === 'optimizer' ? null : (weightBits.get(name) ?? 32), role: r });
  }
  const model = tensors.filter((t) => t.role !== 'optimizer');
  const modelParams = model.reduce((a, t) => a + t.params, 0);
  const binarized = model.filter((t) => t.bits !== null && t.bits < 32);
  const binarizedParams = binarized.reduce((a, t) => a + t.params, 0);
  // Packed estimate: binarized weights at their bits plus one FP32 scale per output row; everything else FP32.
  const packedBytes = model.reduce((a, t) => a + (t.bits !== null && t.bits < 32 ? Math.ceil((t.params * t.bits) / 8) + 4 * (t.shape[0] ?? 1) : 4 * t.params), 0);
  const kind: InspectorView['kind'] = meta === null ? 'safetensors' : resume !== null ? 'bitkit resume checkpoint' : 'bitkit checkpoint';
  const facts: [string, string][] = [];
  const c = meta?.config;
  if (c) facts.push(['architecture', `${c.layers} layers, hidden ${c.hidden}, ${c.heads} heads, FFN ${c.intermediate}, vocab ${c.vocabSize}, positions ${c.maxPositions}`]);
  if (plan) {
    const lin = plan.layers.find((l) => l.kind === 'linear');
    if (lin) facts.push(['bits', `W${lin.weightBits}A${lin.activationBits} (${plan.layers.length} quant points${plan.options.twoSet ? ', two-set activations' : ''}${plan.options.elastic ? ', elastic' : ''})`]);
  } else if (meta) facts.push(['bits', 'full precision (W32A32)']);
  if (meta?.tokenizer) facts.push(['tokenizer', `${meta.tokenizer.vocab ?? '?'}, max length ${meta.tokenizer.maxLength ?? '?'}${meta.tokenizer.lowercase ? ', lowercase' : ''}`]);
  const p = meta?.provenance;
  if (p) {
    if (p.recipe) facts.push(['recipe', p.recipe]);
    if (p.teacher) facts.push(['teacher', p.teacher]);
    if (p.init) facts.push(['init', p.init]);
    if (p.step !== undefined) facts.push(['step', String(p.step)]);
    if (p.createdAt) facts.push(['created', p.createdAt]);
  }
  if (header.metadata['format']) facts.push(['format', `${header.metadata['format']} v${header.metadata['format_version'] ?? '?'}`]);
  return {
    file,
    kind,
    format: header.metadata['format'] ?? null,
    stage: meta?.stage ?? null,
    task: meta?.task ?? null,
    labels: meta?.labelNames ?? [],
    metrics: meta?.metrics ?? {},
    facts,
    tensors,
    totals: { tensors: tensors.length, params: tensors.reduce((a, t) => a + t.params, 0), modelParams, fileBytes: header.fileSize, fp32Bytes: modelParams * 4, packedBytes, binarizedParams },
    resume,
    plan,
  };
}
