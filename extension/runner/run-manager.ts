/**
 * Runs of `bitkit distill` as child processes (never in the extension host): progress notification with Cancel
 * (SIGTERM: the CLI saves and exits 130, resumable), the BitKit output channel with the whole log (also kept in a
 * log file per run), the status-bar item, and a result message with actions. The extension's record of each run
 * (running / done / cancelled / failed, log file) is kept in workspace state for the Runs view.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { cliInvocation, distillArgs, type DistillRequest, shellQuote } from '../cli/cli-args.js';
import { spawnStreaming } from '../cli/cli-process.js';
import { cliSettings } from '../config.js';
import { parseEventLine, type RunEvent } from './event-parser.js';
import { applyEvent, finishRun, initialProgress, progressFraction, progressMessage, type RunProgress, resultMessage } from './run-progress.js';
import type { RunRecord } from './run-store.js';

const RECORDS_KEY = 'bitkit.runRecords';

export interface ActiveRun {
  id: number;
  request: DistillRequest;
  child: ChildProcess;
  progress: RunProgress;
  log: string;
  stopRequested: boolean;
}

export interface RunActions {
  evaluate(checkpoint: string): void;
  showBitMap(target: vscode.Uri): void;
}

export class RunManager implements vscode.Disposable {
  private readonly active = new Map<number, ActiveRun>();
  private nextId = 1;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
    private readonly status: vscode.StatusBarItem,
    private readonly actions: RunActions,
  ) {}

  records(): RunRecord[] {
    return this.context.workspaceState.get<RunRecord[]>(RECORDS_KEY, []);
  }

  activeRuns(): ActiveRun[] {
    return [...this.active.values()];
  }

  /** Starts `bitkit distill … --events jsonl`; resolves when the process has exited, with the final state. */
  start(request: DistillRequest): Promise<RunProgress> {
    const id = this.nextId++;
    const settings = cliSettings();
    const inv = cliInvocation(this.context.extensionPath, process.execPath, settings, distillArgs(request, settings));
    const logDir = join(this.context.logUri.fsPath, 'runs');
    mkdirSync(logDir, { recursive: true });
    const log = join(logDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${id}.log`);
    const file: WriteStream = createWriteStream(log);
    const line = (s: string): void => {
      this.output.appendLine(s);
      file.write(s + '\n');
    };
    line(`$ ${[inv.command, ...inv.args].map(shellQuote).join(' ')}`);
    let stderrTail = '';
    let resolveDone!: (p: RunProgress) => void;
    const done = new Promise<RunProgress>((r) => (resolveDone = r));
    const run: ActiveRun = {
      id, request, progress: initialProgress(), log, stopRequested: false,
      child: spawnStreaming(inv, dirname(request.recipe), {
        stdoutLine: (text) => {
          const parsed = parseEventLine(text);
          if (parsed.kind === 'text') return line(text);
          file.write(text + '\n');
          this.output.appendLine(describeEvent(parsed.event));
          run.progress = applyEvent(run.progress, parsed.event);
          if (parsed.event.type === 'run-start') this.saveRecord(run, 'running', null);
          this.update();
        },
        stderrLine: (text) => {
          stderrTail = (stderrTail + text + '\n').slice(-2000);
          line(text);
        },
        exit: (code, signal) => {
          run.progress = finishRun(run.progress, code, signal, stderrTail);
          line(`bitkit exited with ${signal !== null ? `signal ${signal}` : `code ${code}`}: ${run.progress.status}`);
          file.end();
          this.active.delete(id);
          this.saveRecord(run, run.progress.status, resultMessage(run.progress));
          this.update();
          this.showResult(run);
          resolveDone(run.progress);
        },
      }),
    };
    this.active.set(id, run);
    this.update();
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `BitKit: distill ${request.stage ? `stage ${request.stage} of ` : ''}${request.recipe.split(/[\\/]/).pop()}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => this.stop(run));
        let last = 0;
        const sub = this.onDidChange(() => {
          const f = progressFraction(run.progress) * 100;
          progress.report({ message: progressMessage(run.progress), increment: Math.max(0, f - last) });
          last = Math.max(last, f);
        });
        return done.finally(() => sub.dispose());
      },
    );
    return done;
  }

  /** SIGTERM: the CLI finishes its step, saves a resume checkpoint and exits 130. */
  stop(run: ActiveRun): void {
    if (run.stopRequested) return;
    run.stopRequested = true;
    this.output.appendLine('stop requested: the run saves its checkpoint and stops');
    run.child.kill('SIGTERM');
  }

  private saveRecord(run: ActiveRun, status: RunRecord['status'], message: string | null): void {
    if (run.progress.runDir === null) return;
    const records = this.records().filter((r) => r.runDir !== run.progress.runDir);
    const prev = this.records().find((r) => r.runDir === run.progress.runDir);
    const ended = status === 'running' ? null : Date.now();
    records.push({ runDir: run.progress.runDir, recipe: run.request.recipe, status, started: prev && status !== 'running' ? prev.started : Date.now(), ended, message, log: run.log });
    void this.context.workspaceState.update(RECORDS_KEY, records.slice(-100));
  }

  private update(): void {
    const runs = this.activeRuns();
    if (runs.length === 0) {
      this.status.hide();
    } else {
      const r = runs[runs.length - 1]!;
      this.status.text = `$(sync~spin) BitKit: ${r.progress.name ?? 'starting'}${r.progress.stage ? ` ${r.progress.stage} ${r.progress.step}/${r.progress.totalSteps}` : ''}${runs.length > 1 ? ` (+${runs.length - 1})` : ''}`;
      this.status.tooltip = progressMessage(r.progress);
      this.status.command = 'bitkit.showOutput';
      this.status.show();
    }
    this.changed.fire();
  }

  private showResult(run: ActiveRun): void {
    const p = run.progress;
    const msg = resultMessage(p);
    const best = p.summaries.length ? p.summaries[p.summaries.length - 1]!.checkpoint : null;
    if (p.status === 'done') {
      const items = best ? ['Open Checkpoint', 'Evaluate Now', 'Show Bit-Width Map', 'Show Log'] : ['Show Log'];
      void vscode.window.showInformationMessage(msg, ...items).then((a) => {
        if (a === 'Open Checkpoint' && best) void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(best), 'bitkit.inspector');
        else if (a === 'Evaluate Now' && best) this.actions.evaluate(best);
        else if (a === 'Show Bit-Width Map' && best) this.actions.showBitMap(vscode.Uri.file(best));
        else if (a === 'Show Log') this.output.show();
      });
    } else if (p.status === 'cancelled') {
      void vscode.window.showInformationMessage(msg, 'Resume', 'Show Log').then((a) => {
        if (a === 'Resume') void this.start({ recipe: run.request.recipe, stage: run.request.stage, resume: true });
        else if (a === 'Show Log') this.output.show();
      });
    } else {
      void vscode.window.showErrorMessage(msg, 'Show Log', 'Open Recipe').then((a) => {
        if (a === 'Show Log') this.output.show();
        else if (a === 'Open Recipe') void vscode.window.showTextDocument(vscode.Uri.file(run.request.recipe));
      });
    }
  }

  dispose(): void {
    for (const r of this.active.values()) r.child.kill('SIGTERM');
    this.changed.dispose();
  }
}

/** One human-readable log line per event. */
function describeEvent(e: RunEvent): string {
  switch (e.type) {
    case 'run-start': return `run ${e.name} in ${e.runDir}: stages ${e.stages.join(' -> ')}, kernels ${e.kernels}${e.resumed ? ' (resumed)' : ''}`;
    case 'stage-start': return `[${e.stage}] ${e.bits}: ${e.epochs} epochs, ${e.totalSteps} steps${e.startStep > 0 ? `, resuming at step ${e.startStep}` : ''}`;
    case 'progress': return `[${e.stage}] epoch ${e.epoch} step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${Math.round(e.tokensPerSecond)} tok/s`;
    case 'eval': return `[${e.stage}] dev ${Object.entries(e.metrics).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}`).join(', ')}${e.improved ? ' (best)' : ''}`;
    case 'checkpoint': return `[${e.stage}] saved ${e.kind} checkpoint ${e.path} (step ${e.step})`;
    case 'stage-end': return `[${e.summary.stage}] done: best ${e.summary.metric} ${e.summary.best === null ? '-' : (e.summary.best * 100).toFixed(2)} in ${e.summary.seconds.toFixed(1)} s`;
    case 'warning': return `warning: ${e.message}`;
    case 'cancelled': return `cancelled at ${e.stage} step ${e.step}; resume with: ${e.resumeWith}`;
    case 'run-end': return `run finished in ${e.seconds.toFixed(1)} s`;
    case 'error': return `error ${e.code}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
  }
}
