/**
 * Shared helpers of bench/kernels.ts and bench/train.ts: adaptive timing with warm-up (median of samples), the
 * machine description (CPU, load average, FP32 peak estimate) and Markdown table formatting.
 *
 * The machines are shared and noisy: every figure is a median, every ratio is taken against a peer measured in the
 * same run, and the load average is recorded next to the numbers.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

export interface MeasureOptions {
  /** Keep sampling until this many seconds have been timed (default 0.3). */
  minTime: number;
  /** At least this many samples (default 3). */
  minReps: number;
  /** At most this many samples (default 2000). */
  maxReps?: number;
}

export interface Timing {
  /** Seconds per call of each sample (a sample times `inner` calls back to back and divides). */
  samples: number[];
  /** Median seconds per call. */
  medianS: number;
  /** Calls per sample (> 1 only for calls under 1 ms, so that timer overhead stays negligible). */
  inner: number;
}

/**
 * Times `fn`: one untimed warm-up call, then samples of `inner` calls until minTime seconds and minReps samples.
 * `fn` may return a promise (ONNX Runtime), which is awaited inside the timed region.
 */
export async function measure(fn: () => unknown, opts: MeasureOptions): Promise<Timing> {
  const call = async (): Promise<void> => {
    const r = fn();
    if (r instanceof Promise) await r;
  };
  await call(); // warm-up: JIT, first-touch of buffers, thread pool wake-up, lazily packed weights
  let t0 = performance.now();
  await call();
  const probe = (performance.now() - t0) / 1000;
  const inner = probe >= 1e-3 ? 1 : Math.min(1000, Math.ceil(1e-3 / Math.max(probe, 1e-7)));
  const samples: number[] = inner === 1 ? [probe] : [];
  let timed = inner === 1 ? probe : 0;
  const maxReps = opts.maxReps ?? 2000;
  while ((samples.length < opts.minReps || timed < opts.minTime) && samples.length < maxReps) {
    t0 = performance.now();
    for (let i = 0; i < inner; i++) await call();
    const dt = (performance.now() - t0) / 1000;
    timed += dt;
    samples.push(dt / inner);
  }
  return { samples, medianS: median(samples), inner };
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  /** Clock used for the peak estimate, GHz, and where it was read. */
  ghz: number;
  ghzSource: string;
  avx512: boolean;
  avx2: boolean;
  /** FP32 FLOP per cycle per core assumed for the peak (an FMA counts as 2 FLOP, as the GEMMs' 2*M*N*K does). */
  flopPerCycle: number;
  peakAssumption: string;
  loadavgStart: number[];
}

/** CPU model, clock and vector width from /proc/cpuinfo (Linux); falls back to os.cpus(). */
export function machineInfo(): MachineInfo {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    text = '';
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const mhz = Number(field('cpu MHz'));
  const bogo = Number(field('bogomips'));
  let ghz: number;
  let ghzSource: string;
  if (Number.isFinite(mhz) && mhz > 0) {
    ghz = mhz / 1000;
    ghzSource = "/proc/cpuinfo 'cpu MHz' (often the base clock in a VM; turbo may run higher)";
  } else if (Number.isFinite(bogo) && bogo > 0) {
    ghz = bogo / 2000;
    ghzSource = '/proc/cpuinfo bogomips / 2';
  } else {
    ghz = (cpus()[0]?.speed ?? 0) / 1000;
    ghzSource = 'os.cpus() speed';
  }
  const avx512 = flags.has('avx512f');
  const avx2 = flags.has('avx2') && flags.has('fma');
  // 2 FMA ports x 16 (AVX-512) or 8 (AVX2) FP32 lanes x 2 FLOP per FMA; 4 lanes x 2 for plain SSE.
  const flopPerCycle = avx512 ? 64 : avx2 ? 32 : 8;
  const peakAssumption = avx512
    ? 'AVX-512: 2 FMA units x 16 FP32 lanes x 2 FLOP per FMA = 64 FLOP/cycle/core (32 FMA/cycle)'
    : avx2
      ? 'AVX2: 2 FMA units x 8 FP32 lanes x 2 FLOP per FMA = 32 FLOP/cycle/core (16 FMA/cycle)'
      : 'no AVX2/AVX-512: 4 lanes x 2 FLOP = 8 FLOP/cycle/core';
  return {
    cpuModel: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ghz,
    ghzSource,
    avx512,
    avx2,
    flopPerCycle,
    peakAssumption,
    loadavgStart: loadavg(),
  };
}

/** FP32 peak in GFLOP/s for `threads` cores. */
export function peakGflops(m: MachineInfo, threads: number): number {
  return threads * m.ghz * m.flopPerCycle;
}

export const fmtLoad = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' / ');

/** A Markdown table; numbers right-aligned. */
export function markdownTable(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  const lines = [`| ${header.join(' | ')} |`, `| ${a.map((x) => (x === 'l' ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** 3 significant digits, no exponent for the ranges seen here. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const dec = Math.max(0, digits - 1 - mag);
  return x.toFixed(Math.min(dec, 6));
}
