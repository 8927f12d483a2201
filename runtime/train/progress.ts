/**
 * Human-readable rendering of run events on a terminal: a live progress line (stage, epoch, step, loss, tokens/s,
 * ETA) redrawn in place on a TTY, plain lines otherwise, and the per-stage table at the end.
 */
import type { EventSink, RunEvent, StageSummary } from './events.js';

export class TerminalSink implements EventSink {
  private lastDraw = 0;
  private lineOpen = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly quiet = false,
  ) {}

  emit(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.line(`bitkit distill ${e.name}: stages ${e.stages.join(' -> ')} | kernels: ${e.kernels} | run folder: ${e.runDir}${e.resumed ? ' (resumed)' : ''}`);
        break;
      case 'stage-start':
        this.line(`[${e.index + 1}/${e.total}] stage ${e.stage} (${e.bits}): ${e.epochs} epoch(s), ${e.totalSteps} steps${e.startStep > 0 ? `, resuming at step ${e.startStep}` : ''}`);
        break;
      case 'progress': {
        if (this.quiet) break;
        const now = Date.now();
        if (this.out.isTTY) {
          if (now - this.lastDraw < 100 && e.step < e.totalSteps) return;
          this.lastDraw = now;
          const width = 24;
          const done = Math.round((width * e.step) / Math.max(1, e.totalSteps));
          const bar = '#'.repeat(done) + '.'.repeat(width - done);
          const text = `  ${e.stage} ep ${e.epoch} [${bar}] ${e.step}/${e.totalSteps} loss ${fmt(e.loss)} ${Math.round(e.tokensPerSecond)} tok/s ETA ${duration(e.etaSeconds)}`;
          this.out.write('\r' + text.slice(0, (this.out.columns ?? 120) - 1).padEnd(Math.min(this.out.columns ?? 120, 120) - 1));
          this.lineOpen = true;
        } else if (now - this.lastDraw > 10000 || e.step === e.totalSteps) {
          this.lastDraw = now;
          this.line(`  ${e.stage} epoch ${e.epoch} step ${e.step}/${e.totalSteps} loss ${fmt(e.loss)} ${Math.round(e.tokensPerSecond)} tok/s ETA ${duration(e.etaSeconds)}`);
        }
        break;
      }
      case 'eval':
        this.line(`  ${e.stage} eval @ step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}${e.improved ? ' (best so far)' : ''}`);
        break;
      case 'checkpoint':
        break;
      case 'stage-end':
        this.line(`  ${e.summary.stage} done in ${duration(e.summary.seconds)}: best ${e.summary.metric} ${e.summary.best === null ? '-' : fmt(e.summary.best)}`);
        break;
      case 'warning':
        this.line(`warning: ${e.message}`);
        break;
      case 'cancelled':
        this.line(`cancelled in stage ${e.stage} at step ${e.step}; checkpoint saved. Resume with: ${e.resumeWith}`);
        break;
      case 'run-end':
        this.line('');
        this.line(formatStageTable(e.stages));
        this.line(`total time ${duration(e.seconds)}`);
        break;
      case 'error':
        this.line(`error ${e.code}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
        break;
    }
  }

  private line(text: string): void {
    if (this.lineOpen) {
      this.out.write('\n');
      this.lineOpen = false;
    }
    this.out.write(text + '\n');
  }
}

/** The per-stage table printed at the end of a run (Markdown, so it pastes into an issue as it is). */
export function formatStageTable(stages: StageSummary[]): string {
  const teacher = stages[0]?.best ?? null;
  const rows = stages.map((s) => [
    s.stage,
    s.bits,
    s.metric,
    s.best === null ? '-' : (s.best * 100).toFixed(2),
    teacher && s.best !== null ? ((100 * s.best) / teacher).toFixed(1) + ' %' : '-',
    duration(s.seconds),
  ]);
  const head = ['stage', 'bits', 'dev metric', 'best (x100)', 'vs teacher', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmtRow = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [fmtRow(head), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.map(fmtRow)].join('\n');
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
