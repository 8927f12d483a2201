/**
 * bench/kernels: GEMM throughput side by side in ONE run, on BERT-base shapes (M in {128, 512, 4096} rows,
 * (K, N) in {(768, 768), (768, 3072), (3072, 768)}), at 1 and 2 threads:
 *
 *   ort        ONNX Runtime FP32 MatMul, one session per shape and thread count (intra_op = threads, inter_op 1),
 *              A[M,K] fed, B[K,N] an initializer (as a Linear weight in an exported model); the peer of every ratio
 *   nat-nt     native FP32 gemmNT (C = A·B^T, a Linear layer's forward with a Hugging Face [out,in] weight)
 *   nat-nn     native FP32 gemmNN
 *   ss-<path>  native binaryGemmSS on each dispatch path the CPU supports (amx: int8 tiles; avx512, avx2, portable:
 *              XOR + popcount)
 *   us         native binaryGemmUS (AND + popcount), best path
 *   wasm-fp32  WASM gemmNT (SIMD128; operands copied into linear memory each call, as the kernel set does), 1 thread
 *   wasm-ss    WASM binaryGemmSS, 1 thread
 *   tfjs       @tensorflow/tfjs-backend-wasm matMul A·B (XNNPACK), 1 thread, result read back with dataSync()
 *
 * Packed operands of the binary GEMMs are prepared outside the timed region (weights are packed once in the
 * engine). Throughput counts 2*M*N*K operations for every engine ("effective GOPS" for the binary ones). Each cell
 * is the median of samples after a warm-up call, adaptive: samples until >= --min-time seconds (0.3) and >= 3
 * samples; ONNX Runtime is timed before and after the other engines of a cell and its samples pooled, so a load
 * change during the cell shows up on both sides of the ratio.
 *
 *   node --import tsx bench/kernels.ts [--quick] [--threads 1,2] [--paths avx512,avx2,portable] [--min-time S]
 *        [--skip id,id] [--out bench/results/kernels.json]
 *
 * --quick: M in {128, 512} only, 1 sample minimum, 0.1 s per cell. Targets (issue 3) are pass/fail columns:
 * native FP32 >= 0.6x ORT; native SS >= 20x ORT on avx512, >= 6x on avx2; WASM SS >= 3x ORT at 1 thread;
 * WASM FP32 >= 1x tfjs-wasm.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kernels } from '../runtime/kernels/kernels.js';
import { packedLength } from '../runtime/kernels/kernels.js';
import { loadNativeKernels, nativeInfo, type NativeKernels, type NativePath } from '../runtime/kernels/native/index.js';
import { loadWasmKernels } from '../runtime/kernels/wasm/index.js';
import { Rng } from '../runtime/util/rng.js';
import { fmt, fmtLoad, machineInfo, markdownTable, measure, median, peakGflops, type MeasureOptions } from './measure.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' }, threads: { type: 'string' }, paths: { type: 'string' }, 'min-time': { type: 'string' },
    skip: { type: 'string' }, out: { type: 'string' },
  },
});
const quick = args.quick === true;
const threadList = (args.threads ?? '1,2').split(',').map(Number);
const MS = quick ? [128, 512] : [128, 512, 4096];
const KN: [number, number][] = [[768, 768], [768, 3072], [3072, 768]];
const measureOpts: MeasureOptions = { minTime: args['min-time'] ? Number(args['min-time']) : quick ? 0.1 : 0.3, minReps: quick ? 1 : 3 };
const skip = new Set((args.skip ?? '').split(',').filter((s) => s !== ''));
const outJson = args.out ?? join('bench', 'results', 'kernels.json');
if (threadList.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`--threads: "${args.threads}" needs positive integers`);

type Kind = 'fp32' | 'binary';
interface EngineResult {
  /** Median seconds per call. */
  seconds: number;
  /** GFLOP/s (fp32) or effective GOPS (binary), 2*M*N*K / seconds. */
  gops: number;
  /** vs ONNX Runtime FP32 in the same cell (tfjs for wasm-fp32's target is in `targets`). */
  vsOrt: number | null;
  samples: number;
  inner: number;
  kind: Kind;
}
interface Cell {
  M: number;
  K: number;
  N: number;
  threads: number;
  peakGflops: number;
  engines: Record<string, EngineResult>;
  targets: Record<string, boolean | null>;
}

/** The shape's operands, shared by every engine and thread count. */
interface Operands {
  A: Float32Array;    // [M,K]
  Bt: Float32Array;   // [N,K]  (gemmNT; the weight as Hugging Face stores it)
  Bn: Float32Array;   // [K,N]  (gemmNN, ORT, tfjs)
  C: Float32Array;    // [M,N]
  Ap: Uint32Array;    // A packed signed, [M, 2*ceil(K/64)]
  Pp: Uint32Array;    // A packed unsigned (x >= 0.5), same layout
  Bp: Uint32Array;    // Bt packed signed, [N, 2*ceil(K/64)]
  colScale: Float32Array; // [N] per-output-row weight scales
}

function makeOperands(M: number, K: number, N: number, packer: Kernels, rng: Rng): Operands {
  const A = new Float32Array(M * K);
  for (let i = 0; i < A.length; i++) A[i] = rng.normal();
  const Bt = new Float32Array(N * K);
  for (let i = 0; i < Bt.length; i++) Bt[i] = 0.05 * rng.normal();
  const Bn = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) Bn[k * N + n] = Bt[n * K + k]!;
  const Ap = new Uint32Array(packedLength(M, K));
  const Pp = new Uint32Array(packedLength(M, K));
  const Bp = new Uint32Array(packedLength(N, K));
  packer.packBits(Ap, A, null, 0, M, K);
  packer.packBits(Pp, A, null, 0.5, M, K);
  packer.packBits(Bp, Bt, null, 0, N, K);
  const colScale = new Float32Array(N).fill(0.04);
  return { A, Bt, Bn, C: new Float32Array(M * N), Ap, Pp, Bp, colScale };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const started = Date.now();
  const info = nativeInfo();
  const allPaths = info.available;
  const paths = args.paths ? args.paths.split(',').filter((p): p is NativePath => allPaths.includes(p as NativePath)) : allPaths;
  const best = allPaths[0]!;
  const native = new Map<NativePath, NativeKernels>();
  for (const p of new Set<NativePath>([best, ...paths])) native.set(p, loadNativeKernels({ path: p, threads: 1 }));
  const nat = (p: NativePath, t: number): NativeKernels => {
    const k = native.get(p)!;
    if (k.threads !== t) k.setThreads(t);
    return k;
  };
  let wasm: Kernels | null = null;
  let wasmNote = '';
  try {
    wasm = loadWasmKernels();
  } catch (e) {
    wasmNote = `WASM kernels missing: ${(e as Error).message}`;
  }

  // ONNX Runtime leaves a mat-debug-<pid>.log in $TMPDIR per session: keep them in a temp dir removed at the end.
  const ortTmp = mkdtempSync(join(tmpdir(), 'bitkit-bench-ort-'));
  const oldTmp = process.env.TMPDIR;
  process.env.TMPDIR = ortTmp;
  const ort = await import('onnxruntime-node');
  const { GraphBuilder } = await import('../runtime/io/onnx/graph-builder.js');
  const { ONNX_DTYPE } = await import('../runtime/io/onnx/schema.js');

  let tf: typeof import('@tensorflow/tfjs') | null = null;
  let tfNote = '';
  if (!skip.has('tfjs')) {
    try {
      tf = await import('@tensorflow/tfjs');
      const tfw = await import('@tensorflow/tfjs-backend-wasm');
      tfw.setThreadsCount(1);
      if (!(await tf.setBackend('wasm'))) throw new Error('setBackend("wasm") returned false');
      await tf.ready();
    } catch (e) {
      tf = null;
      tfNote = `tfjs-wasm missing: ${(e as Error).message}`;
    }
  }

  /** One MatMul node, B[K,N] as an initializer. */
  const matmulModel = (K: number, N: number, Bn: Float32Array): Uint8Array => {
    const g = new GraphBuilder();
    const a = g.input('a', ONNX_DTYPE.FLOAT, ['M', K]);
    const w = g.float('w', [K, N], Bn);
    g.output('c', g.op1('matmul', 'MatMul', [a, w]), ONNX_DTYPE.FLOAT, ['M', N]);
    return g.encode({ producer: 'bitkit-bench', version: '0', opset: 17, graphName: 'matmul', doc: 'bench/kernels', props: {} });
  };

  const cells: Cell[] = [];
  const rng = new Rng(7);
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  for (const M of MS) {
    for (const [K, N] of KN) {
      const op = makeOperands(M, K, N, nat(best, Math.max(...threadList)), rng);
      const flops = 2 * M * N * K;
      const ortModel = matmulModel(K, N, op.Bn);
      for (const t of threadList) {
        const cell: Cell = { M, K, N, threads: t, peakGflops: peakGflops(machine, t), engines: {}, targets: {} };
        const record = (id: string, kind: Kind, samples: number[], inner: number): void => {
          const s = median(samples);
          cell.engines[id] = { seconds: s, gops: flops / s / 1e9, vsOrt: null, samples: samples.length, inner, kind };
        };
        const run = async (id: string, kind: Kind, fn: () => unknown): Promise<number[]> => {
          if (skip.has(id)) return [];
          const r = await measure(fn, measureOpts);
          record(id, kind, r.samples, r.inner);
          return r.samples;
        };

        // ONNX Runtime, before the others
        const session = await ort.InferenceSession.create(ortModel, {
          intraOpNumThreads: t, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
        });
        const feeds = { a: new ort.Tensor('float32', op.A, [M, K]) };
        const ortRun = (): Promise<unknown> => session.run(feeds);
        const ortA = await measure(ortRun, measureOpts);

        // native
        const kb = nat(best, t);
        await run('nat-nt', 'fp32', () => kb.gemmNT(op.C, op.A, op.Bt, M, K, N, false));
        await run('nat-nn', 'fp32', () => kb.gemmNN(op.C, op.A, op.Bn, M, K, N, false));
        for (const p of paths) {
          const kp = nat(p, t);
          await run(`ss-${p}`, 'binary', () => kp.binaryGemmSS(op.C, op.Ap, op.Bp, M, K, N, 1, op.colScale));
        }
        await run('us', 'binary', () => kb.binaryGemmUS(op.C, op.Pp, op.Bp, M, K, N, 1, op.colScale));
        // single-threaded peers
        if (t === 1) {
          if (wasm !== null) {
            const w = wasm;
            await run('wasm-fp32', 'fp32', () => w.gemmNT(op.C, op.A, op.Bt, M, K, N, false));
            await run('wasm-ss', 'binary', () => w.binaryGemmSS(op.C, op.Ap, op.Bp, M, K, N, 1, op.colScale));
          }
          if (tf !== null) {
            const tfa = tf.tensor2d(op.A, [M, K]);
            const tfb = tf.tensor2d(op.Bn, [K, N]);
            const tfx = tf;
            await run('tfjs', 'fp32', () => {
              const c = tfx.matMul(tfa, tfb);
              c.dataSync();
              c.dispose();
            });
            tfa.dispose();
            tfb.dispose();
          }
        }

        // ONNX Runtime again; its samples pooled
        const ortB = skip.has('ort-after') ? { samples: [], inner: ortA.inner } : await measure(ortRun, measureOpts);
        await session.release();
        record('ort', 'fp32', [...ortA.samples, ...ortB.samples], ortA.inner);
        const ortS = cell.engines['ort']!.seconds;
        for (const e of Object.values(cell.engines)) e.vsOrt = ortS / e.seconds;

        const r = (id: string): number | null => cell.engines[id]?.vsOrt ?? null;
        const tfjs = cell.engines['tfjs'];
        const wfp = cell.engines['wasm-fp32'];
        cell.targets = {
          'native FP32 >= 0.6x ORT': r('nat-nt') === null ? null : r('nat-nt')! >= 0.6,
          'native SS avx512 >= 20x ORT': r('ss-avx512') === null ? null : r('ss-avx512')! >= 20,
          // the same target on the AVX-512 + AMX-INT8 tile path where the CPU has one
          'native SS amx >= 20x ORT': r('ss-amx') === null ? null : r('ss-amx')! >= 20,
          'native SS avx2 >= 6x ORT': r('ss-avx2') === null ? null : r('ss-avx2')! >= 6,
          'WASM SS >= 3x ORT (1 thread)': t !== 1 || r('wasm-ss') === null ? null : r('wasm-ss')! >= 3,
          'WASM FP32 >= 1x tfjs-wasm': t !== 1 || !tfjs || !wfp ? null : tfjs.seconds / wfp.seconds >= 1,
        };
        cells.push(cell);
        log(`M=${M} K=${K} N=${N} t=${t}: ORT ${fmt(cell.engines['ort']!.gops)} GF/s, nat-nt ${fmt(cell.engines['nat-nt']?.gops)}, ` +
          `ss-${best} ${fmt(cell.engines[`ss-${best}`]?.gops)} GOPS (${((Date.now() - started) / 1000).toFixed(0)} s, load ${fmtLoad(loadavg())})`);
      }
    }
  }
  if (oldTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = oldTmp;
  rmSync(ortTmp, { recursive: true, force: true });

  // ---- report
  const loadEnd = loadavg();
  const x = (v: number | null | undefined): string => (v === null || v === undefined ? '' : ` ${fmt(v, 2)}x`);
  const cellOf = (c: Cell, id: string, vs: number | null = c.engines[id]?.vsOrt ?? null): string =>
    c.engines[id] ? `${fmt(c.engines[id]!.gops)}${x(vs)}` : '-';
  const pf = (v: boolean | null | undefined): string => (v === null || v === undefined ? '-' : v ? 'pass' : 'FAIL');
  const targetNames = Object.keys(cells[0]?.targets ?? {});
  const short: Record<string, string> = {
    'native FP32 >= 0.6x ORT': 'T1 NT>=0.6x', 'native SS avx512 >= 20x ORT': 'T2 SS512>=20x', 'native SS amx >= 20x ORT': 'T2b SSamx>=20x',
    'native SS avx2 >= 6x ORT': 'T3 SSavx2>=6x',
    'WASM SS >= 3x ORT (1 thread)': 'T4 wSS>=3x', 'WASM FP32 >= 1x tfjs-wasm': 'T5 wFP>=1x tfjs',
  };
  const header = ['M', 'K', 'N', 'thr', 'ORT FP32', 'nat NT', 'nat NN', ...paths.map((p) => `SS ${p}`), `US ${best}`,
    'WASM FP32 (x tfjs)', 'WASM SS', 'tfjs-wasm', 'FP32 peak', `SS ${best} / peak`, ...targetNames.map((n) => short[n] ?? n)];
  const rows = cells.map((c) => {
    const tfjs = c.engines['tfjs'];
    const wfp = c.engines['wasm-fp32'];
    return [String(c.M), String(c.K), String(c.N), String(c.threads), fmt(c.engines['ort']!.gops), cellOf(c, 'nat-nt'), cellOf(c, 'nat-nn'),
      ...paths.map((p) => cellOf(c, `ss-${p}`)), cellOf(c, 'us'),
      cellOf(c, 'wasm-fp32', tfjs && wfp ? tfjs.seconds / wfp.seconds : null), cellOf(c, 'wasm-ss'), cellOf(c, 'tfjs', null),
      fmt(c.peakGflops), c.engines[`ss-${best}`] ? `${fmt(c.engines[`ss-${best}`]!.gops / c.peakGflops, 2)}x` : '-',
      ...targetNames.map((n) => pf(c.targets[n]))];
  });
  const summary: Record<string, { pass: number; total: number; minRatio: number | null }> = {};
  const ratioFor: Record<string, (c: Cell) => number | null> = {
    'native FP32 >= 0.6x ORT': (c) => c.engines['nat-nt']?.vsOrt ?? null,
    'native SS avx512 >= 20x ORT': (c) => c.engines['ss-avx512']?.vsOrt ?? null,
    'native SS amx >= 20x ORT': (c) => c.engines['ss-amx']?.vsOrt ?? null,
    'native SS avx2 >= 6x ORT': (c) => c.engines['ss-avx2']?.vsOrt ?? null,
    'WASM SS >= 3x ORT (1 thread)': (c) => (c.threads === 1 ? c.engines['wasm-ss']?.vsOrt ?? null : null),
    'WASM FP32 >= 1x tfjs-wasm': (c) => (c.threads === 1 && c.engines['tfjs'] && c.engines['wasm-fp32'] ? c.engines['tfjs']!.seconds / c.engines['wasm-fp32']!.seconds : null),
  };
  for (const n of targetNames) {
    const vals = cells.map((c) => c.targets[n]).filter((v): v is boolean => v !== null && v !== undefined);
    const ratios = cells.map((c) => ratioFor[n]?.(c) ?? null).filter((v): v is number => v !== null);
    summary[n] = { pass: vals.filter((v) => v).length, total: vals.length, minRatio: ratios.length ? Math.min(...ratios) : null };
  }
  const lines: string[] = [];
  lines.push(`bench/kernels: GEMM throughput, ${machine.cpuModel}, ${machine.cores} cores; native paths ${paths.join(', ')} (best ${best});` +
    ` median of >= ${measureOpts.minReps} samples and >= ${measureOpts.minTime} s per cell${quick ? ' (--quick)' : ''}`);
  lines.push(`load average (1/5/15 min): start ${fmtLoad(machine.loadavgStart)}, end ${fmtLoad(loadEnd)} (shared machine: figures are noisy; ratios are within one cell)`);
  lines.push('');
  lines.push('GFLOP/s for FP32 engines, effective GOPS (2*M*N*K / time) for binary ones; "Nx" = ratio vs ORT FP32 in the same cell' +
    ' (WASM FP32: vs tfjs-wasm). WASM and tfjs-wasm run at 1 thread only.');
  lines.push('');
  lines.push(markdownTable(header, rows));
  lines.push('');
  lines.push(`FP32 peak estimate = threads x ${fmt(machine.ghz)} GHz x ${machine.flopPerCycle} FLOP/cycle; clock from ${machine.ghzSource}; ${machine.peakAssumption}.`);
  lines.push('');
  lines.push(markdownTable(['target', 'pass', 'cells', 'worst ratio'],
    targetNames.map((n) => [`${short[n] ?? ''}: ${n}`, String(summary[n]!.pass), String(summary[n]!.total), summary[n]!.minRatio === null ? '-' : `${fmt(summary[n]!.minRatio!, 3)}x`]), ['l', 'r', 'r', 'r']));
  for (const note of [wasmNote, tfNote]) if (note) lines.push('', note);
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);

  mkdirSync(dirname(outJson), { recursive: true });
  const json = {
    bench: 'kernels', date: new Date().toISOString(), command: `node --import tsx bench/kernels.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadavgEnd: loadEnd }, native: { paths, best, compiled: info.compiled, cpu: info.cpu },
    options: { quick, threads: threadList, measure: measureOpts, skip: [...skip] },
    versions: { node: process.version, onnxruntime: ort.env.versions?.common ?? null, tfjs: tf?.version_core ?? null },
    seconds: (Date.now() - started) / 1000, summary, cells, notes: [wasmNote, tfNote].filter((n) => n),
  };
  writeFileSync(outJson, JSON.stringify(json, null, 2) + '\n');
  writeFileSync(outJson.replace(/\.json$/, '') + '.md', text);
}

await main();
