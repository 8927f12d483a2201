/**
 * How the extension calls the `bitkit` CLI: which program with which arguments. The bundled CLI (dist/cli.js of
 * this extension) runs on the Node inside VS Code (process.execPath with ELECTRON_RUN_AS_NODE=1), unless the
 * `bitkit.cliPath` setting names another (a .js/.mjs file runs on that Node too; anything else is executed).
 * No 'vscode' import.
 */
import { join } from 'node:path';

export interface CliSettings {
  cliPath: string;
  kernels: string;
  threads: number | null;
}

export interface CliInvocation {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export function cliInvocation(extensionPath: string, execPath: string, settings: CliSettings, args: string[]): CliInvocation {
  const override = settings.cliPath.trim();
  const script = override === '' ? join(extensionPath, 'dist', 'cli.js') : override;
  if (override === '' || /\.(c|m)?js$/.test(script)) {
    return { command: execPath, args: [script, ...args], env: { ELECTRON_RUN_AS_NODE: '1' } };
  }
  return { command: script, args, env: {} };
}

export interface DistillRequest {
  recipe: string;
  stage?: string;
  resume?: boolean;
  fresh?: boolean;
}

/** `distill RECIPE --events jsonl [--stage S] [--resume|--fresh] [--kernels K] [--threads N]` */
export function distillArgs(r: DistillRequest, settings: Pick<CliSettings, 'kernels' | 'threads'>): string[] {
  const args = ['distill', r.recipe, '--events', 'jsonl'];
  if (r.stage !== undefined) args.push('--stage', r.stage);
  if (r.resume) args.push('--resume');
  else if (r.fresh) args.push('--fresh');
  return [...args, ...kernelArgs(settings)];
}

export function kernelArgs(settings: Pick<CliSettings, 'kernels' | 'threads'>): string[] {
  const args: string[] = [];
  if (settings.kernels !== '' && settings.kernels !== 'recipe') args.push('--kernels', settings.kernels);
  if (settings.threads !== null) args.push('--threads', String(settings.threads));
  return args;
}

/** Quote an argument for the log line that shows the command (display only; spawn gets the array). */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
