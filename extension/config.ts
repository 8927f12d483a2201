/** The `bitkit.*` settings, read fresh each time (no caching: the user may change them between runs). */
import * as vscode from 'vscode';
import type { CliSettings } from './cli/cli-args.js';

export function cliSettings(): CliSettings {
  const c = vscode.workspace.getConfiguration('bitkit');
  const threads = c.get<number | null>('threads', null);
  return { cliPath: c.get<string>('cliPath', ''), kernels: c.get<string>('kernels', 'recipe'), threads: typeof threads === 'number' ? threads : null };
}

/** The run folder setting ('' = each recipe's own `output`). */
export function runFolderSetting(): string {
  return vscode.workspace.getConfiguration('bitkit').get<string>('runFolder', '');
}
