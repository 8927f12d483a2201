/**
 * What a stage is, for hovers and the outline: its bits, the chain of teachers back to the full-precision model,
 * where it starts, and its planned size (binarized weights at 1 bit plus one scale, everything else FP32) when the
 * model's sizes are known.
 */
import { paramEntries } from '../../runtime/model/param-table.js';
import { buildQuantPlan } from '../../runtime/quant/plan.js';
import { DEFAULT_QUANTIZATION, TEACHER_STAGE, stageBits, stageTeacherName } from '../../runtime/recipe/defaults.js';
import { fullConfig, type ModelInfo } from '../../runtime/recipe/model-source.js';
import type { LayerOverride, QuantizationOptions } from '../../runtime/recipe/types.js';

type Raw = Record<string, unknown>;

export interface StageInfo {
  name: string;
  index: number;
  bits: string;
  /** This stage's teacher, its teacher's teacher, ... ending at `teacher` (cut at a cycle or an unknown name). */
  teacherChain: string[];
  init: string;
  /** Planned model size in bytes, and the same model in FP32. */
  sizeBytes?: number;
  fp32Bytes?: number;
}

function obj(x: unknown): Raw {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : {};
}

export function stageInfos(raw: unknown, model: ModelInfo | undefined): StageInfo[] {
  const r = obj(raw);
  const stages: unknown[] = Array.isArray(r.stages) ? r.stages : [];
  const names = stages.map((s) => obj(s).name);
  return stages.map((s, i) => {
    const st = obj(s);
    const name = typeof st.name === 'string' ? st.name : `#${i + 1}`;
    const bits = stageBits(st, r.defaults);
    const chain: string[] = [];
    let cur = i;
    for (let guard = 0; guard <= stages.length; guard++) {
      const t = stageTeacherName(stages, cur);
      if (t === undefined) break;
      chain.push(t);
      if (t === TEACHER_STAGE) break;
      const next = names.indexOf(t);
      if (next < 0 || next === cur || chain.length > stages.length) break;
      cur = next;
    }
    const teacher = chain[0] ?? TEACHER_STAGE;
    const info: StageInfo = { name, index: i, bits: `W${bits.weightBits}A${bits.activationBits}`, teacherChain: chain, init: typeof st.init === 'string' ? st.init : teacher };
    const size = model ? plannedSize(r, st, name, bits, model) : undefined;
    if (size) Object.assign(info, size);
    return info;
  });
}

function plannedSize(r: Raw, st: Raw, name: string, bits: ReturnType<typeof stageBits>, model: ModelInfo): { sizeBytes: number; fp32Bytes: number } | undefined {
  const config = fullConfig(model.config as Record<string, unknown>);
  if (!config) return undefined;
  const quantization = { ...DEFAULT_QUANTIZATION, ...obj(r.quantization), ...obj(obj(r.defaults).quantization), ...obj(st.quantization) } as QuantizationOptions;
  const overrides = (Array.isArray(r.overrides) ? r.overrides : []).filter((o) => typeof obj(o).match === 'string') as LayerOverride[];
  let weightBits: Map<string, number>;
  try {
    const plan = buildQuantPlan(config, { name, ...bits, quantization }, overrides);
    weightBits = new Map(plan.layers.map((l) => [`${l.layer}.weight`, l.weightBits]));
  } catch {
    return undefined;
  }
  let size = 0;
  let fp32 = 0;
  for (const e of paramEntries(config, null)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    fp32 += 4 * n;
    if (weightBits.get(e.name) === 1) size += Math.ceil(n / 8) + 4 * (e.name.includes('word_embeddings') ? e.shape[0]! : 1);
    else size += 4 * n;
  }
  return { sizeBytes: size, fp32Bytes: fp32 };
}

export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}
