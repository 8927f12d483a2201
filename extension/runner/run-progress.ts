/**
 * The state of one live CLI run, folded from its events: what the progress notification, the status bar and the
 * result message show. `finishRun` turns the exit code / signal into the final status (0 done, 130 cancelled,
 * 2 bad input, a signal such as SIGKILL = failed). No 'vscode' import.
 */
import type { RunEvent, StageSummary } from './event-parser.js';

export type RunStatus = 'starting' | 'running' | 'done' | 'cancelled' | 'failed';

export interface RunProgress {
  status: RunStatus;
  name: string | null;
  runDir: string | null;
  stages: string[];
  stage: string | null;
  stageIndex: number;
  stageTotal: number;
  bits: string | null;
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  etaSeconds: number | null;
  bestMain: number | null;
  summaries: StageSummary[];
  warnings: string[];
  error: { code: string; message: string; hint?: string } | null;
  resumeWith: string | null;
  seconds: number | null;
  /** Checkpoints written so far, newest last. */
  checkpoints: { stage: string; kind: 'best' | 'resume'; path: string; step: number }[];
}

export function initialProgress(): RunProgress {
  return {
    status: 'starting', name: null, runDir: null, stages: [], stage: null, stageIndex: 0, stageTotal: 0, bits: null,
    epoch: 0, epochs: 0, step: 0, totalSteps: 0, loss: null, etaSeconds: null, bestMain: null, summaries: [],
    warnings: [], error: null, resumeWith: null, seconds: null, checkpoints: [],
  };
}

/** Folds one event into the state (returns a new object; the input is not changed). */
export function applyEvent(s: RunProgress, e: RunEvent): RunProgress {
  switch (e.type) {
    case 'run-start':
      return { ...s, status: 'running', name: e.name, runDir: e.runDir, stages: e.stages, stageTotal: e.stages.length };
    case 'stage-start':
      return { ...s, status: 'running', stage: e.stage, stageIndex: e.index, stageTotal: e.total, bits: e.bits, epochs: e.epochs, epoch: 0, step: e.startStep, totalSteps: e.totalSteps, loss: null, etaSeconds: null, bestMain: null };
    case 'progress':
      return { ...s, stage: e.stage, epoch: e.epoch, step: e.step, totalSteps: e.totalSteps, loss: e.loss, etaSeconds: e.etaSeconds };
    case 'eval':
      return { ...s, bestMain: e.best };
    case 'checkpoint':
      return { ...s, checkpoints: [...s.checkpoints, { stage: e.stage, kind: e.kind, path: e.path, step: e.step }] };
    case 'stage-end':
      return { ...s, summaries: [...s.summaries.filter((x) => x.stage !== e.summary.stage), e.summary] };
    case 'warning':
      return { ...s, warnings: [...s.warnings, e.message] };
    case 'cancelled':
      return { ...s, status: 'cancelled', stage: e.stage, step: e.step, resumeWith: e.resumeWith };
    case 'run-end':
      return { ...s, status: 'done', summaries: e.stages, seconds: e.seconds };
    case 'error':
      return { ...s, status: 'failed', error: e.hint === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, hint: e.hint } };
  }
}

/** The final state once the process has exited: the exit code wins over what the events said. */
export function finishRun(s: RunProgress, code: number | null, signal: string | null, stderrTail = ''): RunProgress {
  if (code === 0) return { ...s, status: 'done' };
  if (code === 130) return { ...s, status: 'cancelled' };
  const tail = stderrTail.trim().split('\n').slice(-3).join(' ').trim();
  if (signal !== null) {
    return { ...s, status: 'failed', error: s.error ?? { code: 'killed', message: `the bitkit process was killed (${signal})${tail ? `: ${tail}` : ''}` } };
  }
  return { ...s, status: 'failed', error: s.error ?? { code: `exit ${code}`, message: tail || `bitkit exited with code ${code}` } };
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One line for the progress notification: stage (i/n), epoch, step, loss, ETA. */
export function progressMessage(s: RunProgress): string {
  if (s.status === 'starting' || s.stage === null) return 'starting…';
  const parts = [`${s.stage} ${s.bits ?? ''} (${s.stageIndex + 1}/${s.stageTotal})`.replace(/\s+\(/, ' ('), `epoch ${s.epoch}/${s.epochs}`, `step ${s.step}/${s.totalSteps}`];
  if (s.loss !== null) parts.push(`loss ${s.loss.toFixed(4)}`);
  if (s.etaSeconds !== null) parts.push(`ETA ${formatSeconds(s.etaSeconds)}`);
  return parts.join(' · ');
}

/** Fraction of the whole run done, 0..1 (stages weighted equally). */
export function progressFraction(s: RunProgress): number {
  if (s.stageTotal === 0) return 0;
  const inStage = s.totalSteps > 0 ? Math.min(1, s.step / s.totalSteps) : 0;
  return Math.min(1, (s.stageIndex + inStage) / s.stageTotal);
}

/** The result message shown when the run ends. */
export function resultMessage(s: RunProgress): string {
  const name = s.name ?? 'run';
  switch (s.status) {
    case 'done': {
      const best = s.summaries.filter((x) => x.best !== null).map((x) => `${x.stage} ${x.metric} ${(x.best! * 100).toFixed(1)}`);
      return `BitKit: ${name} finished${s.seconds !== null ? ` in ${formatSeconds(s.seconds)}` : ''}${best.length ? ` — ${best.join(', ')}` : ''}`;
    }
    case 'cancelled':
      return `BitKit: ${name} stopped at ${s.stage ?? '?'} step ${s.step}; the checkpoint is saved and the run can be resumed.`;
    case 'failed':
      return `BitKit: ${name} failed: ${s.error ? `${s.error.message}${s.error.hint ? ` (${s.error.hint})` : ''}` : 'unknown error'}`;
    default:
      return `BitKit: ${name} is ${s.status}`;
  }
}
