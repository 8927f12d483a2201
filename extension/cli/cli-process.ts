/**
 * Spawning the CLI: a streaming child for runs (lines handed out as they come) and a buffered one for the
 * `--json` commands (eval, check, inspect, profile). Each child is its own process group leader on POSIX so that
 * Stop reaches it alone. No 'vscode' import.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { CliInvocation } from './cli-args.js';
import { LineSplitter } from '../runner/event-parser.js';

export interface StreamHandlers {
  stdoutLine(line: string): void;
  stderrLine(line: string): void;
  exit(code: number | null, signal: string | null): void;
}

export function spawnStreaming(inv: CliInvocation, cwd: string, h: StreamHandlers): ChildProcess {
  const child = spawn(inv.command, inv.args, { cwd, env: { ...process.env, ...inv.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new LineSplitter();
  const err = new LineSplitter();
  child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c).forEach(h.stdoutLine));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c).forEach(h.stderrLine));
  let done = false;
  const finish = (code: number | null, signal: string | null): void => {
    if (done) return;
    done = true;
    out.flush().forEach(h.stdoutLine);
    err.flush().forEach(h.stderrLine);
    h.exit(code, signal);
  };
  child.on('error', (e) => {
    h.stderrLine(`cannot start ${inv.command}: ${e.message}`);
    finish(null, null);
  });
  child.on('close', (code, signal) => finish(code, signal));
  return child;
}

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function runBuffered(inv: CliInvocation, cwd: string, onChild?: (c: ChildProcess) => void): Promise<CliResult> {
  return new Promise((resolveResult) => {
    let stdout = '';
    let stderr = '';
    const child = spawnStreaming(inv, cwd, {
      stdoutLine: (l) => (stdout += l + '\n'),
      stderrLine: (l) => (stderr += l + '\n'),
      exit: (code, signal) => resolveResult({ code, signal, stdout, stderr }),
    });
    onChild?.(child);
  });
}

/** The CLI said it does not know the command (older CLI without inspect/profile/export). */
export function isUnknownCommand(r: CliResult): boolean {
  return r.code === 2 && /unknown command/.test(r.stderr);
}
