/**
 * `bitkit profile`: latency per layer, throughput and peak memory of a checkpoint on an engine, and the same for the
 * FP32 teacher of the same architecture on ONNX Runtime, with the speed-up.
 *
 * How per-layer times are measured (runtime/model is not instrumented):
 *   reference  TimedForward (timed-forward.ts): the model's own blocks run in forward order with performance.now()
 *              around each (embeddings, per layer self-attention / attention output / FFN, pooler + classifier).
 *              Binarizing the latent weights is done once up front, as a deployed model would (reported apart).
 *   onnx       the checkpoint exported to ONNX (export.ts) and run by onnxruntime-node; the whole-model time comes
 *              from a plain session, the per-layer split from a second session with ONNX Runtime's own profiler
 *              (chrome-trace JSON): each node's kernel time is summed by the bitkit layer its name starts with.
 * The teacher: a full-precision BertModel of the same config with the checkpoint's latent weights (what the FP32
 * model of this architecture costs; its values do not matter for speed), exported to ONNX and run the same way.
 * Throughput = batch * iterations / time; peak memory = the largest process RSS sampled after every iteration.
 * Inputs are random token ids (no padding) of shape [batch, seq].
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OnnxEngine } from '../engine/onnx-engine.js';
import { BitkitError } from '../errors.js';
import { exportOnnx } from '../io/onnx/export.js';
import type { Kernels } from '../kernels/kernels.js';
import { BertModel } from '../model/bert.js';
import type { Batch } from '../model/types.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { Rng } from '../util/rng.js';
import { TimedForward } from './timed-forward.js';

export type ProfileEngine = 'reference' | 'onnx';

export interface ProfileOptions {
  engine: ProfileEngine;
  kernels: Kernels;
  batch: number;
  seq: number;
  /** ONNX Runtime intra-op threads (the reference kernels run on one thread). */
  threads?: number;
  /** Timed iterations after one warm-up (default 5). */
  iterations?: number;
  /** Also profile the FP32 teacher on ONNX Runtime (default true). */
  teacher?: boolean;
}

export interface LatencyRow {
  block: string;
  ms: number;
  share: number;
}

export interface EngineProfile {
  engine: string;
  iterations: number;
  msPerBatch: number;
  sequencesPerSecond: number;
  tokensPerSecond: number;
  peakRssBytes: number;
  layers: LatencyRow[];
}

export interface ProfileReport {
  checkpoint: string;
  stage: string;
  bits: string;
  batch: number;
  seq: number;
  threads: number | null;
  student: EngineProfile;
  teacher: EngineProfile | null;
  /** teacher ms / student ms */
  speedup: number | null;
  notes: string[];
}

export function randomBatch(vocab: number, B: number, T: number, seed = 1): Batch {
  const rng = new Rng(seed);
  const inputIds = Int32Array.from({ length: B * T }, () => rng.int(vocab));
  return { B, T, inputIds, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) };
}

function rows(times: Map<string, number>, iterations: number): LatencyRow[] {
  const total = [...times.values()].reduce((s, v) => s + v, 0);
  return [...times].map(([block, ms]) => ({ block, ms: ms / iterations, share: total > 0 ? ms / total : 0 }));
}

export function profileReference(model: BertModel, batch: Batch, iterations: number): EngineProfile {
  const tf = new TimedForward(model);
  const prepMs = tf.prepare();
  tf.forward(batch); // warm-up
  const sum = new Map<string, number>();
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const r = tf.forward(batch);
    for (const [k, v] of r.blocks) sum.set(k, (sum.get(k) ?? 0) + v);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = (performance.now() - t0) / iterations;
  const layers = rows(sum, iterations);
  layers.push({ block: '(binarize weights, once per model load)', ms: prepMs, share: 0 });
  return { engine: `reference (${model.kernels.name} kernels)`, iterations, msPerBatch: ms, sequencesPerSecond: (1000 * batch.B) / ms, tokensPerSecond: (1000 * batch.B * batch.T) / ms, peakRssBytes: peak, layers };
}

/** Group ONNX Runtime profiler node events by the bitkit layer their node name starts with. */
export function layerTimesFromOrtProfile(json: string): Map<string, number> {
  const events = JSON.parse(json) as { cat?: string; name?: string; dur?: number }[];
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const m = /bert\.encoder\.layer\.(\d+)/.exec(name);
    const block = m ? `bert.encoder.layer.${m[1]}` : name.startsWith('bert.embeddings') || name.startsWith('inputs') || name.startsWith('mask') ? 'bert.embeddings'
      : name.startsWith('bert.pooler') || name.startsWith('classifier') || name.startsWith('output') ? 'bert.pooler+classifier' : '(other)';
    out.set(block, (out.get(block) ?? 0) + (e.dur ?? 0) / 1000);
  }
  return out;
}

export async function profileOnnx(path: string, batch: Batch, iterations: number, threads: number | undefined, label: string, tmp: string): Promise<EngineProfile> {
  const engine = await OnnxEngine.create(path, threads === undefined ? {} : { threads });
  await engine.run(batch);
  let peak = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    await engine.run(batch);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = (performance.now() - t0) / iterations;
  await engine.close();
  const profDir = mkdtempSync(join(tmp, 'ort-'));
  const prof = await OnnxEngine.create(path, { ...(threads === undefined ? {} : { threads }), profilePrefix: join(profDir, 'profile') });
  await prof.run(batch);
  for (let i = 0; i < iterations; i++) await prof.run(batch);
  prof.endProfiling();
  await prof.close();
  let layers: LatencyRow[] = [];
  try {
    const file = readdirSync(profDir).find((f) => f.endsWith('.json'));
    const times = layerTimesFromOrtProfile(readFileSync(join(profDir, file!), 'utf8'));
    layers = rows(times, iterations + 1);
  } catch {
    layers = [{ block: '(ONNX Runtime profile unavailable)', ms, share: 1 }];
  }
  return { engine: label, iterations, msPerBatch: ms, sequencesPerSecond: (1000 * batch.B) / ms, tokensPerSecond: (1000 * batch.B * batch.T) / ms, peakRssBytes: peak, layers };
}

export async function profileCheckpoint(path: string, opts: ProfileOptions): Promise<ProfileReport> {
  const { model, meta } = loadCheckpoint(path, opts.kernels);
  const { batch: B, seq: T } = opts;
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(T) && T >= 1)) {
    throw new BitkitError('BK6704', `profile: batch ${B} and seq ${T} must be positive integers`, { hint: '--batch 8 --seq 128' });
  }
  if (T > model.config.maxPositions) {
    throw new BitkitError('BK6704', `profile: --seq ${T} exceeds the model's max positions ${model.config.maxPositions}`, { hint: `use --seq ${model.config.maxPositions} or less` });
  }
  const iterations = opts.iterations ?? 5;
  const batch = randomBatch(model.config.vocabSize, B, T);
  const tmp = mkdtempSync(join(tmpdir(), 'bitkit-profile-'));
  const notes: string[] = [];
  try {
    let student: EngineProfile;
    if (opts.engine === 'reference') {
      student = profileReference(model, batch, iterations);
      notes.push('reference engine: the TypeScript kernels on one thread; --threads applies to ONNX Runtime only');
    } else {
      const p = join(tmp, 'student.onnx');
      exportOnnx(model, p);
      student = await profileOnnx(p, batch, iterations, opts.threads, 'onnx (fake-quantized graph, FP32 kernels)', tmp);
      notes.push('the ONNX engine runs the fake-quantized graph in FP32: it shows accuracy, not the speed of 1-bit kernels');
    }
    let teacher: EngineProfile | null = null;
    if (opts.teacher ?? true) {
      const fp = new BertModel({ ...model.config }, null, opts.kernels);
      fp.copyFrom(model);
      const p = join(tmp, 'teacher.onnx');
      exportOnnx(fp, p);
      teacher = await profileOnnx(p, batch, iterations, opts.threads, 'FP32 teacher on ONNX Runtime', tmp);
    }
    const bits = meta.plan === null ? 'W32A32' : `W${Math.min(...meta.plan.layers.map((l) => l.weightBits))}A${Math.min(...meta.plan.layers.map((l) => l.activationBits))}`;
    return {
      checkpoint: path, stage: meta.stage, bits, batch: B, seq: T, threads: opts.threads ?? null, student, teacher,
      speedup: teacher === null ? null : teacher.msPerBatch / student.msPerBatch, notes,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatProfile(r: ProfileReport): string {
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MiB`;
  const engineLines = (e: EngineProfile): string[] => [
    `${e.engine}: ${e.msPerBatch.toFixed(2)} ms/batch, ${e.sequencesPerSecond.toFixed(1)} seq/s, ${e.tokensPerSecond.toFixed(0)} tokens/s, peak RSS ${mb(e.peakRssBytes)} (${e.iterations} iterations)`,
    ...e.layers.map((l) => `  ${l.block.padEnd(44)} ${l.ms.toFixed(3).padStart(10)} ms  ${(100 * l.share).toFixed(1).padStart(5)}%`),
  ];
  const out = [`${r.checkpoint} (stage ${r.stage}, ${r.bits}), batch ${r.batch} x seq ${r.seq}${r.threads === null ? '' : `, ${r.threads} threads`}`, '', ...engineLines(r.student)];
  if (r.teacher) out.push('', ...engineLines(r.teacher), '', `speed-up vs FP32 teacher on ONNX Runtime: ${r.speedup!.toFixed(2)}x`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
