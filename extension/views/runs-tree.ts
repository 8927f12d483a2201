/**
 * The Runs view: run folders (per recipe: stages, checkpoints, best metrics, status, duration) as a tree, refreshed
 * on file changes and on run events. Context values drive the inline and context-menu actions in package.json.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { analyzeRecipeText } from '../../runtime/recipe/parse.js';
import { runFolderSetting } from '../config.js';
import { formatSeconds } from '../runner/run-progress.js';
import { collectRuns, displayStatus, type RunInfo, type StageInfo, stageDescription } from '../runner/run-store.js';
import type { RunManager } from '../runner/run-manager.js';

export type RunNode =
  | { kind: 'run'; run: RunInfo }
  | { kind: 'stage'; run: RunInfo; stage: StageInfo }
  | { kind: 'file'; run: RunInfo; path: string; label: string }
  | { kind: 'log'; run: RunInfo; path: string };

const STATUS_ICON: Record<string, [string, string]> = {
  running: ['sync~spin', 'charts.blue'],
  done: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  'cancelled (resumable)': ['debug-pause', 'charts.yellow'],
  'stopped (resumable)': ['debug-pause', 'charts.yellow'],
  'not started': ['circle-outline', 'descriptionForeground'],
};

export class RunsTree implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: string[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly runs: RunManager) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/{recipe.resolved.json,summary.json,*.safetensors,*.bitkit.yaml}');
    this.disposables.push(watcher, watcher.onDidCreate(() => this.refreshSoon()), watcher.onDidDelete(() => this.refreshSoon()), watcher.onDidChange(() => this.refreshSoon()));
    this.disposables.push(runs.onDidChange(() => this.refreshSoon()));
    void this.findRoots();
  }

  /** Roots: the run-folder setting, each workspace folder's runs/, and the `output` folder of every recipe. */
  async findRoots(): Promise<void> {
    const roots = new Set<string>();
    const setting = runFolderSetting();
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      roots.add(join(f.uri.fsPath, 'runs'));
      if (setting) roots.add(join(f.uri.fsPath, setting));
    }
    for (const uri of await vscode.workspace.findFiles('**/*.bitkit.{yaml,yml}', '**/node_modules/**', 200)) {
      roots.add(join(dirname(uri.fsPath), 'runs'));
      try {
        const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
        const out = analyzeRecipeText(text, uri.fsPath).recipe?.output;
        if (out) roots.add(out);
      } catch {
        // unreadable recipe: its default runs/ folder is enough
      }
    }
    this.roots = [...roots];
    this.changed.fire(undefined);
  }

  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.findRoots();
    }, 300);
  }

  getChildren(node?: RunNode): RunNode[] {
    if (!node) return collectRuns(this.roots, this.runs.records()).map((run) => ({ kind: 'run', run }));
    if (node.kind === 'run') {
      const out: RunNode[] = node.run.stages.map((stage) => ({ kind: 'stage', run: node.run, stage }));
      if (node.run.record?.log && existsSync(node.run.record.log)) out.push({ kind: 'log', run: node.run, path: node.run.record.log });
      return out;
    }
    if (node.kind === 'stage') {
      const dir = join(node.run.dir, node.stage.name);
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.safetensors') || f.endsWith('.bitpack') || f.endsWith('.onnx')).sort() : [];
      return files.map((f) => ({ kind: 'file', run: node.run, path: join(dir, f), label: f }));
    }
    return [];
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const status = displayStatus(node.run);
        const item = new vscode.TreeItem(node.run.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `run:${node.run.dir}`;
        item.description = `${status}${node.run.seconds > 0 ? ` · ${formatSeconds(node.run.seconds)}` : ''}`;
        item.tooltip = new vscode.MarkdownString(`**${node.run.name}** — ${status}\n\n${node.run.dir}${node.run.record?.message ? `\n\n${node.run.record.message}` : ''}`);
        const [icon, colour] = STATUS_ICON[status] ?? ['circle-outline', 'descriptionForeground'];
        item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(colour));
        item.contextValue = `run${status.includes('resumable') ? ' resumable' : ''}${status === 'running' ? ' running' : ''}`;
        item.resourceUri = vscode.Uri.file(node.run.dir);
        return item;
      }
      case 'stage': {
        const item = new vscode.TreeItem(node.stage.name, node.stage.state === 'pending' ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `stage:${node.run.dir}:${node.stage.name}`;
        item.description = stageDescription(node.stage);
        item.iconPath = new vscode.ThemeIcon(node.stage.state === 'done' ? 'check' : node.stage.state === 'stopped' ? 'debug-pause' : 'circle-outline');
        item.contextValue = node.stage.best ? 'stage checkpoint' : 'stage';
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.path}`;
        item.resourceUri = vscode.Uri.file(node.path);
        item.description = basename(dirname(node.path));
        item.contextValue = 'checkpoint';
        item.command = { command: 'vscode.openWith', title: 'Inspect', arguments: [vscode.Uri.file(node.path), 'bitkit.inspector'] };
        return item;
      }
      case 'log': {
        const item = new vscode.TreeItem('log', vscode.TreeItemCollapsibleState.None);
        item.id = `log:${node.run.dir}`;
        item.iconPath = new vscode.ThemeIcon('output');
        item.description = node.run.record?.status ?? '';
        item.command = { command: 'vscode.open', title: 'Open Log', arguments: [vscode.Uri.file(node.path)] };
        return item;
      }
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
