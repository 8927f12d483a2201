/**
 * bench/train: distillation-step throughput (tokens/s) of one W1A1 student (every quantizer on: binarized word table
 * and Linear weights, elastic 1-bit activations everywhere) distilled from its FP teacher, as
 * runtime/train/stage-loop.ts does it: teacher forward, student forward, L_pred (soft CE) + L_rep (hidden-state MSE),
 * student backward, per-tensor clipping + AdamW. Side by side in one run on:
 *
 *   native     the C++ addon, all cores (or --threads); its kernel calls are timed (a Proxy around the set) to give
 *              the share of the step spent in GEMMs and the biggest other costs; the targets use this row
 *   native1    the same at 1 thread (when --threads > 1): on a loaded shared machine a fork-join kernel may wait for
 *              a core, which this row shows
 *   wasm       the WebAssembly SIMD128 set, 1 thread
 *   reference  the TypeScript reference set
 *   tfjs-wasm  the same computation in @tensorflow/tfjs on its WASM backend, 1 thread (bench/train-tfjs.ts)
 *
 * Models: small (L2 H64 NH2 F256, B 32, T 64) and BERT-base-shaped (L12 H768 NH12 F3072, B 8, T 128), both with the
 * bert-base-uncased vocabulary size (30522) as in a real run, random BERT initialisation, one fixed random batch
 * with no padding. All engines start from the same weights, with the activation scales `a` already initialised.
 * Step time = median over the timed steps after --warmup untimed steps. Slow engines take fewer steps (see
 * STEPS below); the reference set is skipped on the base model (a step is about 0.7 TFLOP, i.e. tens of minutes
 * at its speed).
 *
 *   node --import tsx bench/train.ts [--models small,base] [--engines native,native1,wasm,reference,tfjs] [--threads N]
 *        [--dropout 0.1] [--warmup 1] [--out bench/results/train.json]
 *
 * Targets (issue 3) as pass/fail columns: native >= 20x reference and >= 30x tfjs-wasm; WASM >= 2x tfjs-wasm;
 * GEMM time >= 60 % of the native step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kernels } from '../runtime/kernels/kernels.js';
import { loadNativeKernels } from '../runtime/kernels/native/index.js';
import { referenceKernels } from '../runtime/kernels/reference.js';
import { loadWasmKernels } from '../runtime/kernels/wasm/index.js';
import { BertModel } from '../runtime/model/bert.js';
import type { Batch, BertConfig, QuantPlan } from '../runtime/model/types.js';
import { buildQuantPlan } from '../runtime/quant/plan.js';
import { DEFAULT_LOSS, DEFAULT_OPTIMIZER, DEFAULT_QUANTIZATION } from '../runtime/recipe/defaults.js';
import { meanSquaredError, softCrossEntropy } from '../runtime/train/losses.js';
import { AdamW } from '../runtime/train/optimizer.js';
import { Rng } from '../runtime/util/rng.js';
import { fmt, fmtLoad, machineInfo, markdownTable, median } from './measure.js';
import { loadTfjsWasm, makeTfjsDistill } from './train-tfjs.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string' }, engines: { type: 'string' }, threads: { type: 'string' }, dropout: { type: 'string' },
    warmup: { type: 'string' }, out: { type: 'string' },
  },
});
type EngineId = 'native' | 'native1' | 'wasm' | 'reference' | 'tfjs';
type ModelId = 'small' | 'base';
const modelIds = (args.models ?? 'small,base').split(',') as ModelId[];
const threads = args.threads ? Number(args.threads) : cpus().length;
const engineIds = (args.engines ?? (threads > 1 ? 'native,native1,wasm,reference,tfjs' : 'native,wasm,reference,tfjs')).split(',') as EngineId[];
const dropout = args.dropout ? Number(args.dropout) : 0.1;
const warmup = args.warmup ? Number(args.warmup) : 1;
const outJson = args.out ?? join('bench', 'results', 'train.json');

interface ModelSpec {
  label: string;
  B: number;
  T: number;
  arch: Pick<BertConfig, 'layers' | 'hidden' | 'heads' | 'intermediate' | 'maxPositions'>;
}
const MODELS: Record<ModelId, ModelSpec> = {
  small: { label: 'small L2 H64 NH2 F256, B32 T64', B: 32, T: 64, arch: { layers: 2, hidden: 64, heads: 2, intermediate: 256, maxPositions: 64 } },
  base: { label: 'BERT-base L12 H768 NH12 F3072, B8 T128', B: 8, T: 128, arch: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, maxPositions: 512 } },
};
/** Timed steps per (model, engine); 0 = skipped, with the reason in SKIP_NOTE. */
const STEPS: Record<ModelId, Record<EngineId, number>> = {
  small: { native: 20, native1: 20, wasm: 10, reference: 3, tfjs: 5 },
  base: { native: 3, native1: 2, wasm: 1, reference: 0, tfjs: 2 }, // tfjs: 2 steps at each of TFJS_LAYERS
};
/**
 * tfjs-wasm on base cannot hold the whole step: teacher + student + AdamW state are ~1.8 GB and the tape of 12
 * layers several more, while its WASM heap failed ("memory access out of bounds" in malloc) once ~2 GB were live,
 * already at 3 layers. So it runs at 1 and 2 layers of the same width and batch, and the step time is extrapolated
 * linearly in the layer count: t(L) = t(1) + (L - 1) * (t(2) - t(1)).
 */
const TFJS_LAYERS: Record<ModelId, number[] | null> = { small: null, base: [1, 2] };
const TFJS_NOTE = 'the tfjs WASM heap breaks at ~2 GB live, 3+ layers of BERT-base training do not fit';
const SKIP_NOTE = 'reference skipped on base: one step is ~0.7 TFLOP (4 BERT-base forwards at B8 T128), tens of minutes at the reference speed';

function configOf(spec: ModelSpec): BertConfig {
  return {
    ...spec.arch, vocabSize: 30522, typeVocabSize: 2, hiddenAct: 'gelu', hiddenDropout: dropout, attentionDropout: dropout,
    layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 2,
  };
}

function randomBatch(B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  const inputIds = Int32Array.from({ length: B * T }, () => 1000 + rng.int(20000));
  return { B, T, inputIds, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) };
}

/** Times every kernel call of a set (a Proxy); `enabled` off = plain pass-through. */
class KernelTimer {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();
  readonly kernels: Kernels;
  constructor(inner: Kernels) {
    const cache = new Map<PropertyKey, unknown>();
    this.kernels = new Proxy(inner, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string') return v;
        let f = cache.get(prop);
        if (f === undefined) {
          const fn = v as (...a: unknown[]) => unknown;
          f = (...a: unknown[]): unknown => {
            const t0 = performance.now();
            try {
              return fn.apply(target, a);
            } finally {
              this.ms.set(prop, (this.ms.get(prop) ?? 0) + performance.now() - t0);
              this.calls.set(prop, (this.calls.get(prop) ?? 0) + 1);
            }
          };
          cache.set(prop, f);
        }
        return f;
      },
    });
  }
  reset(): void {
    this.ms.clear();
    this.calls.clear();
  }
  snapshot(): Map<string, number> {
    return new Map(this.ms);
  }
}
const isGemm = (name: string): boolean => name.startsWith('gemm') || name.startsWith('binaryGemm');

/** One distillation step of runtime/train/stage-loop.ts (distillation branch, default loss weights). */
function makeStep(teacher: BertModel, student: BertModel, batch: Batch, kernels: Kernels, seed: number): () => number {
  const opt = new AdamW(student.params, DEFAULT_OPTIMIZER, kernels, student.paramData.length);
  const rng = new Rng(seed);
  const w = DEFAULT_LOSS;
  let dLogits: Float32Array | null = null;
  let dHidden: Float32Array[] = [];
  return () => {
    const t = teacher.forward(batch, { training: false });
    const s = student.forward(batch, { training: true, rng });
    dLogits ??= new Float32Array(s.logits.length);
    if (dHidden.length === 0) dHidden = s.hiddenStates.map((h) => new Float32Array(h.length));
    dLogits.fill(0);
    for (const d of dHidden) d.fill(0);
    let loss = softCrossEntropy(dLogits, s.logits, t.logits, batch.B, student.config.numLabels, w.temperature, w.pred);
    for (let i = 0; i < s.hiddenStates.length; i++) {
      const h = s.hiddenStates[i]!;
      loss += meanSquaredError(dHidden[i]!, h, t.hiddenStates[i]!, h.length, w.rep);
    }
    student.zeroGrad();
    student.backward({ dLogits, dHiddenStates: dHidden, dAttentionScores: null });
    opt.update(student.paramData, student.gradData, 1);
    return loss;
  };
}

/** The fastest set that loads, for building the shared weights (the reference set takes minutes on base). */
function initKernels(): Kernels {
  try {
    return loadNativeKernels({ threads });
  } catch {
    try {
      return loadWasmKernels();
    } catch {
      return referenceKernels;
    }
  }
}

/** Teacher (BERT init) and student (the teacher's weights, scales `a` set by one training forward) every engine copies. */
function masters(config: BertConfig, batch: Batch): { teacher: BertModel; student: BertModel; plan: QuantPlan } {
  const plan = buildQuantPlan(config, { name: 'w1a1', weightBits: 1, activationBits: 1, quantization: DEFAULT_QUANTIZATION }, []);
  const k = initKernels();
  const teacher = new BertModel(config, null, k);
  teacher.initWeights(new Rng(1));
  const student = new BertModel(config, plan, k);
  student.copyFrom(teacher);
  student.forward(batch, { training: true, rng: new Rng(5) });
  return { teacher, student, plan };
}

/** `warmup` untimed steps, then n timed ones (each with the kernel timer reset when there is one). */
function timeSteps(step: () => number, n: number, warm: number, timer: KernelTimer | null, tag: string, log: (s: string) => void):
  { stepSeconds: number[]; firstLoss: number | null; perKernel: Map<string, number>[] } {
  let firstLoss: number | null = null;
  for (let i = 0; i < warm; i++) {
    const loss = step();
    firstLoss ??= loss;
  }
  const stepSeconds: number[] = [];
  const perKernel: Map<string, number>[] = [];
  for (let i = 0; i < n; i++) {
    timer?.reset();
    const t0 = performance.now();
    const loss = step();
    stepSeconds.push((performance.now() - t0) / 1000);
    firstLoss ??= loss;
    if (timer) perKernel.push(timer.snapshot());
    log(`${tag}: step ${i + 1}/${n} ${fmt(stepSeconds[i]!)} s, loss ${fmt(loss, 4)}`);
  }
  return { stepSeconds, firstLoss, perKernel };
}

interface EngineRow {
  model: ModelId;
  engine: EngineId;
  kernels: string;
  threads: number;
  steps: number;
  stepSeconds: number[];
  medianS: number | null;
  tokensPerSecond: number | null;
  /** Loss of the first (warm-up) step: the same weights and batch on every engine (tfjs: different dropout draws). */
  firstLoss: number | null;
  note?: string;
  /** native only: per-kernel ms per step (medians over timed steps) and the GEMM share of the step. */
  kernelMs?: Record<string, number>;
  gemmShare?: number;
  kernelShare?: number;
  /** tfjs on base: measured at fewer layers and extrapolated. */
  extrapolation?: { layers: number[]; medianS: number[]; perLayerS: number; toLayers: number };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const started = Date.now();
  const log = (s: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${s}\n`);
  };
  const rows: EngineRow[] = [];
  let tf: Awaited<ReturnType<typeof loadTfjsWasm>> | null = null;
  const notes: string[] = [];

  for (const mid of modelIds) {
    const spec = MODELS[mid];
    const config = configOf(spec);
    const batch = randomBatch(spec.B, spec.T, 3);
    const tokens = spec.B * spec.T;
    const { teacher: masterT, student: masterS, plan } = masters(config, batch);
    log(`${spec.label}: ${masterS.paramCount} parameters; scales initialised`);

    for (const eid of engineIds) {
      const n = STEPS[mid][eid];
      const row: EngineRow = { model: mid, engine: eid, kernels: eid, threads: eid === 'native' ? threads : 1, steps: 0, stepSeconds: [], medianS: null, tokensPerSecond: null, firstLoss: null };
      rows.push(row);
      if (n === 0) {
        row.note = eid === 'reference' && mid === 'base' ? SKIP_NOTE : 'skipped';
        continue;
      }
      const tag = `${mid} ${eid}`;
      try {
        if (eid === 'tfjs') {
          tf ??= await loadTfjsWasm();
          const tfx = tf;
          row.kernels = `tfjs ${tf.version_core} wasm (XNNPACK, 1 thread)`;
          const layers = TFJS_LAYERS[mid];
          if (layers === null) {
            const d = makeTfjsDistill(tfx, masterT, masterS, batch, DEFAULT_OPTIMIZER, DEFAULT_LOSS, dropout);
            const r = timeSteps(() => d.step(), n, warmup, null, tag, log);
            d.dispose();
            Object.assign(row, { steps: n, stepSeconds: r.stepSeconds, firstLoss: r.firstLoss, medianS: median(r.stepSeconds) });
          } else {
            // the same width and batch at fewer layers, extrapolated linearly in L (see TFJS_LAYERS)
            const meds: number[] = [];
            for (const L of layers) {
              const m = masters({ ...config, layers: L }, batch);
              const d = makeTfjsDistill(tfx, m.teacher, m.student, batch, DEFAULT_OPTIMIZER, DEFAULT_LOSS, dropout);
              const r = timeSteps(() => d.step(), n, warmup, null, `${tag} L${L}`, log);
              d.dispose();
              meds.push(median(r.stepSeconds));
            }
            const [l0, l1] = [layers[0]!, layers[layers.length - 1]!];
            const [s0, s1] = [meds[0]!, meds[meds.length - 1]!];
            const perLayer = (s1 - s0) / (l1 - l0);
            row.extrapolation = { layers, medianS: meds, perLayerS: perLayer, toLayers: config.layers };
            Object.assign(row, { steps: n, medianS: s0 + perLayer * (config.layers - l0) });
            row.note = `extrapolated: ${layers.map((L, i) => `L${L} ${fmt(meds[i])} s`).join(', ')} per step, linear in L to L${config.layers} (${TFJS_NOTE})`;
          }
        } else {
          let k: Kernels = eid === 'native' ? loadNativeKernels({ threads }) : eid === 'native1' ? loadNativeKernels({ threads: 1 })
            : eid === 'wasm' ? loadWasmKernels() : referenceKernels;
          row.kernels = eid === 'native1' ? `${k.name}, 1 thread` : k.name;
          const timer = eid === 'native' || eid === 'native1' ? new KernelTimer(k) : null;
          if (timer) k = timer.kernels;
          const teacher = new BertModel(config, null, k);
          const student = new BertModel(config, plan, k);
          teacher.paramData.set(masterT.paramData);
          student.paramData.set(masterS.paramData);
          const r = timeSteps(makeStep(teacher, student, batch, k, 5), n, warmup, timer, tag, log);
          Object.assign(row, { steps: n, stepSeconds: r.stepSeconds, firstLoss: r.firstLoss, medianS: median(r.stepSeconds) });
          if (timer) {
            const per = r.perKernel;
            const names = new Set(per.flatMap((m) => [...m.keys()]));
            row.kernelMs = Object.fromEntries([...names].map((nm) => [nm, median(per.map((m) => m.get(nm) ?? 0))]));
            // share per step, then the median over steps
            const share = (m: Map<string, number>, i: number, pick: (name: string) => boolean): number =>
              [...m].filter(([nm]) => pick(nm)).reduce((a, [, v]) => a + v, 0) / 1000 / r.stepSeconds[i]!;
            row.gemmShare = median(per.map((m, i) => share(m, i, isGemm)));
            row.kernelShare = median(per.map((m, i) => share(m, i, () => true)));
          }
        }
        row.tokensPerSecond = tokens / row.medianS!;
      } catch (e) {
        row.note = `failed: ${(e as Error).message.split('\n')[0]}`;
        log(`${tag}: ${row.note}`);
      }
    }
  }

  // ---- report
  const loadEnd = loadavg();
  const get = (m: ModelId, e: EngineId): EngineRow | undefined => rows.find((r) => r.model === m && r.engine === e && r.tokensPerSecond !== null);
  const ratio = (m: ModelId, a: EngineId, b: EngineId): number | null => {
    const ra = get(m, a);
    const rb = get(m, b);
    return ra && rb ? ra.tokensPerSecond! / rb.tokensPerSecond! : null;
  };
  const lines: string[] = [];
  lines.push(`bench/train: distillation-step throughput (FP teacher -> W1A1 student, every quantizer on; L_pred + L_rep; AdamW), ` +
    `${machine.cpuModel}, ${machine.cores} cores; dropout ${dropout}; ${warmup} warm-up step(s), median over the timed steps`);
  lines.push(`load average (1/5/15 min): start ${fmtLoad(machine.loadavgStart)}, end ${fmtLoad(loadEnd)} (shared machine: figures are noisy)`);
  lines.push('');
  lines.push(markdownTable(['model', 'engine', 'threads', 'timed steps', 'median step s', 'tokens/s', 'x reference', 'x tfjs-wasm', 'GEMM share', 'first-step loss', 'note'],
    rows.map((r) => [MODELS[r.model].label, r.kernels, String(r.threads), String(r.steps), fmt(r.medianS), fmt(r.tokensPerSecond),
      r.tokensPerSecond === null ? '-' : fmt(ratio(r.model, r.engine, 'reference'), 3),
      r.tokensPerSecond === null ? '-' : fmt(ratio(r.model, r.engine, 'tfjs'), 3),
      r.gemmShare === undefined ? '' : `${(100 * r.gemmShare).toFixed(1)} %`, fmt(r.firstLoss, 5), r.note ?? '']),
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
  lines.push('');
  const pf = (v: number | null, bar: number): string => (v === null ? '-' : `${v >= bar ? 'pass' : 'FAIL'} (${fmt(v, 3)}${bar < 1 ? '' : 'x'})`);
  const targets = modelIds.map((m) => {
    const nat = get(m, 'native');
    return {
      model: m,
      nativeVsReference: ratio(m, 'native', 'reference'),
      nativeVsTfjs: ratio(m, 'native', 'tfjs'),
      wasmVsTfjs: ratio(m, 'wasm', 'tfjs'),
      gemmShare: nat?.gemmShare ?? null,
    };
  });
  lines.push(markdownTable(['model', 'native >= 20x reference', 'native >= 30x tfjs-wasm', 'WASM >= 2x tfjs-wasm', 'GEMM >= 60 % of native step'],
    targets.map((t) => [MODELS[t.model].label, pf(t.nativeVsReference, 20), pf(t.nativeVsTfjs, 30), pf(t.wasmVsTfjs, 2), pf(t.gemmShare, 0.6)]),
    ['l', 'r', 'r', 'r', 'r']));
  for (const m of modelIds) {
    const nat = get(m, 'native');
    if (!nat?.kernelMs) continue;
    const stepMs = 1000 * nat.medianS!;
    const entries = Object.entries(nat.kernelMs).sort((a, b) => b[1] - a[1]);
    const gemmMs = entries.filter(([n]) => isGemm(n)).reduce((a, [, v]) => a + v, 0);
    const kernMs = entries.reduce((a, [, v]) => a + v, 0);
    lines.push('');
    lines.push(`native step breakdown, ${MODELS[m].label} (ms per step, median over timed steps; ${fmt(stepMs)} ms step): ` +
      `GEMMs ${fmt(gemmMs)} ms (${(100 * nat.gemmShare!).toFixed(1)} %), other kernels ${fmt(kernMs - gemmMs)} ms, ` +
      `outside kernels (JS: dropout masks, losses, buffer fills) ${fmt(stepMs - kernMs)} ms`);
    lines.push('');
    lines.push(markdownTable(['kernel', 'ms / step', '% of step'],
      entries.slice(0, 10).map(([n, v]) => [n, fmt(v), `${((100 * v) / stepMs).toFixed(1)} %`]), ['l', 'r', 'r']));
  }
  for (const r of rows) if (r.note && r.note !== SKIP_NOTE) notes.push(`${r.model} ${r.engine}: ${r.note}`);
  if (modelIds.includes('base') && engineIds.includes('reference')) notes.push(SKIP_NOTE);
  notes.push(`steps timed per engine (fewer for slow engines): ${modelIds.map((m) => `${m} ${engineIds.map((e) => `${e} ${STEPS[m][e]}`).join(', ')}`).join('; ')}`);
  notes.push('native kernel calls go through a timing Proxy (two performance.now() per call) in the timed steps');
  lines.push('', ...notes.map((n) => `- ${n}`));
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);

  mkdirSync(dirname(outJson), { recursive: true });
  const json = {
    bench: 'train', date: new Date().toISOString(), command: `node --import tsx bench/train.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadavgEnd: loadEnd }, options: { models: modelIds, engines: engineIds, threads, dropout, warmup, steps: STEPS },
    models: Object.fromEntries(modelIds.map((m) => [m, { ...MODELS[m], vocabSize: 30522 }])),
    loss: DEFAULT_LOSS, optimizer: DEFAULT_OPTIMIZER, quantization: DEFAULT_QUANTIZATION,
    seconds: (Date.now() - started) / 1000, rows, targets, notes,
  };
  writeFileSync(outJson, JSON.stringify(json, null, 2) + '\n');
  writeFileSync(outJson.replace(/\.json$/, '') + '.md', text);
}

await main();
