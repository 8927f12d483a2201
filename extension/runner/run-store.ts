/**
 * What the Runs view shows: run folders read from disk (runtime/train/distill.ts layout: recipe.resolved.json,
 * metrics.jsonl, <stage>/best.safetensors, resume.safetensors, summary.json) merged with what the extension saw
 * of its own runs (live status, failures, log files). No 'vscode' import.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StageSummary } from './event-parser.js';
import type { RunStatus } from './run-progress.js';

export type StageState = 'done' | 'stopped' | 'pending';

export interface StageInfo {
  name: string;
  bits: string | null;
  state: StageState;
  summary: StageSummary | null;
  best: string | null;
  resume: string | null;
}

export type RunFolderStatus = 'done' | 'stopped' | 'empty';

export interface RunInfo {
  name: string;
  dir: string;
  recipe: string | null;
  stages: StageInfo[];
  /** From the folder: every stage done, some progress saved, nothing yet. */
  folderStatus: RunFolderStatus;
  /** What the extension knows of its last process for this folder (running, failed, ...), if any. */
  record: RunRecord | null;
  seconds: number;
  modified: number;
}

/** The extension's own memory of a run it started (persisted in workspace state). */
export interface RunRecord {
  runDir: string;
  recipe: string;
  status: RunStatus;
  started: number;
  ended: number | null;
  message: string | null;
  log: string | null;
}

interface ResolvedRecipeLike {
  name?: string;
  file?: string;
  stages?: { name: string; weightBits?: number; activationBits?: number }[];
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Reads one run folder; null when it is not one (no recipe.resolved.json). */
export function readRunFolder(dir: string, record: RunRecord | null = null): RunInfo | null {
  const resolvedFile = join(dir, 'recipe.resolved.json');
  const recipe = readJson<ResolvedRecipeLike>(resolvedFile);
  if (recipe === null) return null;
  const specs = [{ name: 'teacher', bits: 'W32A32' }, ...(recipe.stages ?? []).map((s) => ({ name: s.name, bits: s.weightBits !== undefined && s.activationBits !== undefined ? `W${s.weightBits}A${s.activationBits}` : null }))];
  const stages: StageInfo[] = specs.map(({ name, bits }) => {
    const sdir = join(dir, name);
    const summary = readJson<StageSummary>(join(sdir, 'summary.json'));
    const best = existsSync(join(sdir, 'best.safetensors')) ? join(sdir, 'best.safetensors') : (summary?.checkpoint ?? null);
    const resume = existsSync(join(sdir, 'resume.safetensors')) ? join(sdir, 'resume.safetensors') : null;
    const state: StageState = summary !== null ? 'done' : resume !== null || best !== null ? 'stopped' : 'pending';
    return { name, bits: summary?.bits ?? bits, state, summary, best, resume };
  });
  const folderStatus: RunFolderStatus = stages.every((s) => s.state === 'done') ? 'done' : stages.some((s) => s.state !== 'pending') ? 'stopped' : 'empty';
  let modified = 0;
  try {
    modified = statSync(resolvedFile).mtimeMs;
  } catch {
    // removed while reading
  }
  return {
    name: recipe.name ?? dir,
    dir,
    recipe: recipe.file ?? null,
    stages,
    folderStatus,
    record,
    seconds: stages.reduce((a, s) => a + (s.summary?.seconds ?? 0), 0),
    modified,
  };
}

/** Run folders under a root: the root itself when it is one, else its sub-folders that are. */
export function findRunFolders(root: string): string[] {
  if (existsSync(join(root, 'recipe.resolved.json'))) return [root];
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'recipe.resolved.json')))
      .map((d) => join(root, d.name))
      .sort();
  } catch {
    return [];
  }
}

/** Every run under the roots plus the recorded runs, each folder once, newest first. */
export function collectRuns(roots: string[], records: RunRecord[]): RunInfo[] {
  const byDir = new Map<string, RunRecord>();
  for (const r of records) byDir.set(r.runDir, r);
  const dirs = new Set<string>();
  for (const root of roots) for (const d of findRunFolders(root)) dirs.add(d);
  for (const r of records) dirs.add(r.runDir);
  const out: RunInfo[] = [];
  for (const dir of dirs) {
    const info = readRunFolder(dir, byDir.get(dir) ?? null);
    if (info !== null) out.push(info);
    else {
      const rec = byDir.get(dir);
      // a run that failed before writing its folder is still shown, with its log
      if (rec) out.push({ name: dir.split(/[\\/]/).pop() ?? dir, dir, recipe: rec.recipe, stages: [], folderStatus: 'empty', record: rec, seconds: 0, modified: rec.started });
    }
  }
  return out.sort((a, b) => b.modified - a.modified || a.name.localeCompare(b.name));
}

/** The status the tree shows: a live or failed process wins over what the folder says. */
export function displayStatus(run: RunInfo): string {
  const rec = run.record;
  if (rec && (rec.status === 'running' || rec.status === 'starting')) return 'running';
  if (rec && rec.status === 'failed') return 'failed';
  if (run.folderStatus === 'done') return 'done';
  if (run.folderStatus === 'stopped') return rec?.status === 'cancelled' ? 'cancelled (resumable)' : 'stopped (resumable)';
  return 'not started';
}

/** "accuracy 87.5" for a stage, or its state. */
export function stageDescription(s: StageInfo): string {
  const bits = s.bits ?? '';
  if (s.state === 'done' && s.summary) {
    const best = s.summary.best === null ? 'no dev metric' : `${s.summary.metric} ${(s.summary.best * 100).toFixed(1)}`;
    return `${bits} · ${best}${s.summary.bestStep !== null ? ` @ step ${s.summary.bestStep}` : ''} · ${Math.round(s.summary.seconds)} s`;
  }
  return `${bits} · ${s.state === 'stopped' ? 'stopped (resumable)' : 'pending'}`;
}

/** The best checkpoint of the run: that of the last done stage. */
export function lastCheckpoint(run: RunInfo): string | null {
  for (let i = run.stages.length - 1; i >= 0; i--) if (run.stages[i]!.best) return run.stages[i]!.best;
  return null;
}
