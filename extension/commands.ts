/**
 * The `bitkit.*` commands: each resolves its target (argument, active editor, tree node, or a quick pick) and hands
 * the work to the CLI (runs through RunManager; eval / profile / export / example as buffered CLI calls). Nothing
 * runs in an untrusted workspace.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { analyzeRecipeText } from '../runtime/recipe/parse.js';
import { cliInvocation, kernelArgs } from './cli/cli-args.js';
import { type CliResult, isUnknownCommand, runBuffered } from './cli/cli-process.js';
import { cliSettings, runFolderSetting } from './config.js';
import { stageLocations } from './recipe/stage-lenses.js';
import type { RunManager } from './runner/run-manager.js';
import { lastCheckpoint } from './runner/run-store.js';
import type { BitMapPanel } from './views/bit-map-panel.js';
import type { RunNode, RunsTree } from './views/runs-tree.js';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  runs: RunManager;
  tree: RunsTree;
  bitMap: BitMapPanel;
  output: vscode.OutputChannel;
}

const isRecipe = (p: string): boolean => /\.bitkit\.ya?ml$/.test(p);

function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('BitKit starts no runs in an untrusted workspace (diagnostics still work). Trust the workspace to train, evaluate or export.', 'Manage Workspace Trust')
    .then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

async function pickRecipe(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri && isRecipe(arg.fsPath)) return arg.fsPath;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isRecipe(active.uri.fsPath)) return active.uri.fsPath;
  const found = await vscode.workspace.findFiles('**/*.bitkit.{yaml,yml}', '**/node_modules/**', 200);
  if (found.length === 1) return found[0]!.fsPath;
  const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: basename(u.fsPath), description: vscode.workspace.asRelativePath(u), uri: u })), { placeHolder: 'Recipe to run' });
  return pick?.uri.fsPath;
}

async function saveIfDirty(file: string): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
}

/** The run folder of a recipe: the `bitkit.runFolder` setting's <folder>/<name>, else the recipe's own `output`. */
function recipeOutput(file: string): string | null {
  try {
    const recipe = analyzeRecipeText(readFileSync(file, 'utf8'), file).recipe;
    if (!recipe) return null;
    const setting = runFolderSetting();
    const ws = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? dirname(file);
    return setting ? join(ws, setting, recipe.name) : recipe.output;
  } catch {
    return null;
  }
}

function hasCheckpoints(runDir: string): boolean {
  if (!existsSync(runDir)) return false;
  return readdirSync(runDir, { withFileTypes: true }).some((d) => d.isDirectory() && readdirSync(join(runDir, d.name)).some((f) => f.endsWith('.safetensors')));
}

/** A checkpoint from a Uri, a Runs-view node, or the active inspector tab. */
function checkpointOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const node = arg as RunNode | undefined;
  if (node?.kind === 'file') return node.path;
  if (node?.kind === 'stage') return node.stage.best ?? undefined;
  if (node?.kind === 'run') return lastCheckpoint(node.run) ?? undefined;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom) return tab.uri.fsPath;
  return undefined;
}

async function pickCheckpoint(arg: unknown): Promise<string | undefined> {
  const direct = checkpointOf(arg);
  if (direct) return direct;
  const found = await vscode.workspace.findFiles('**/{best.safetensors,*.bitpack,*.onnx}', '**/node_modules/**', 200);
  const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { placeHolder: 'Checkpoint' });
  return pick?.uri.fsPath;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const cwd = (): string => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
  const cli = (args: string[], title: string): Thenable<CliResult> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) =>
      runBuffered(cliInvocation(d.context.extensionPath, process.execPath, cliSettings(), args), cwd(), (child) => token.onCancellationRequested(() => child.kill('SIGTERM'))));
  const report = (r: CliResult, what: string): boolean => {
    d.output.appendLine(`${what}: exit ${r.code ?? r.signal}\n${r.stdout}${r.stderr}`);
    if (r.code === 0) return true;
    void vscode.window.showErrorMessage(isUnknownCommand(r) ? `This bitkit CLI has no \`${what}\` command yet.` : `BitKit ${what} failed: ${r.stderr.trim().split('\n').slice(0, 2).join(' ') || `exit ${r.code ?? r.signal}`}`, 'Show Log')
      .then((a) => a && d.output.show());
    return false;
  };

  const distill = async (recipe: string, stage?: string): Promise<void> => {
    if (!requireTrust()) return;
    await saveIfDirty(recipe);
    const out = recipeOutput(recipe);
    let resume = false;
    let fresh = false;
    if (out && stage === undefined && hasCheckpoints(out)) {
      const a = await vscode.window.showWarningMessage(`${basename(out)} already holds checkpoints of an earlier run.`, 'Resume', 'Start Over');
      if (!a) return;
      resume = a === 'Resume';
      fresh = a === 'Start Over';
    }
    await d.runs.start({ recipe, stage, resume, fresh });
  };

  const evaluate = async (arg: unknown): Promise<void> => {
    if (!requireTrust()) return;
    const ckpt = await pickCheckpoint(arg);
    if (!ckpt) return;
    const args = ['eval', ckpt, '--json', ...kernelArgs({ ...cliSettings(), threads: null })];
    const resolved = join(dirname(dirname(ckpt)), 'recipe.resolved.json');
    if (existsSync(resolved)) {
      try {
        const r = JSON.parse(readFileSync(resolved, 'utf8')) as { task?: string; data?: { dev?: string | null } };
        if (r.data?.dev && r.task && r.task !== 'example' && r.task !== 'custom') args.push('--data', r.data.dev, '--task', r.task);
      } catch {
        // the checkpoint's own task then
      }
    }
    const r = await cli(args, `BitKit: evaluating ${basename(dirname(ckpt))}/${basename(ckpt)}`);
    if (!report(r, 'eval')) return;
    const res = JSON.parse(r.stdout) as { stage: string; metrics: Record<string, number>; examples: number; seconds: number };
    void vscode.window.showInformationMessage(`BitKit eval ${res.stage}: ${Object.entries(res.metrics).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}`).join(', ')} (${res.examples} examples, ${res.seconds.toFixed(1)} s)`);
  };

  const showBitMap = async (arg: unknown): Promise<void> => {
    const ckpt = arg instanceof vscode.Uri ? undefined : checkpointOf(arg);
    const target = arg instanceof vscode.Uri ? arg : ckpt ? vscode.Uri.file(ckpt) : await pickRecipe(undefined).then((f) => (f ? vscode.Uri.file(f) : undefined));
    if (target) d.bitMap.show(target);
  };
  d.runs.onDidChange(() => undefined);

  const reg = (id: string, fn: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown);
  return [
    reg('bitkit.distill', async (arg: unknown) => {
      const recipe = await pickRecipe(arg);
      if (!recipe) return;
      const stages = stageLocations(readFileSync(recipe, 'utf8'), recipe);
      const pick = await vscode.window.showQuickPick([{ label: 'All stages', description: stages.map((s) => s.name).join(' → '), stage: undefined as string | undefined }, ...stages.map((s) => ({ label: s.name, description: s.bits ?? '', stage: s.name as string | undefined }))], { placeHolder: `Distill ${basename(recipe)}` });
      if (pick) await distill(recipe, pick.stage);
    }),
    reg('bitkit.distillStage', async (uri: vscode.Uri, stage: string) => distill(uri.fsPath, stage)),
    reg('bitkit.resumeRun', async (node?: RunNode) => {
      const recipe = node?.run.recipe ?? (await pickRecipe(undefined));
      if (recipe && requireTrust()) await d.runs.start({ recipe, resume: true });
    }),
    reg('bitkit.rerunRun', async (node?: RunNode) => {
      const recipe = node?.run.recipe ?? (await pickRecipe(undefined));
      if (!recipe || !requireTrust()) return;
      const ok = await vscode.window.showWarningMessage(`Start ${basename(recipe)} over? Its run folder is deleted first.`, { modal: true }, 'Start Over');
      if (ok) await d.runs.start({ recipe, fresh: true });
    }),
    reg('bitkit.evaluate', evaluate),
    reg('bitkit.evaluateStage', async (uri: vscode.Uri, stage: string) => {
      const out = recipeOutput(uri.fsPath);
      const ckpt = out ? join(out, stage, 'best.safetensors') : undefined;
      if (ckpt && existsSync(ckpt)) await evaluate(vscode.Uri.file(ckpt));
      else void vscode.window.showInformationMessage(`Stage ${stage} has no checkpoint yet: run it first.`, 'Run Stage').then((a) => a && distill(uri.fsPath, stage));
    }),
    reg('bitkit.profile', async (arg: unknown) => {
      const ckpt = requireTrust() ? await pickCheckpoint(arg) : undefined;
      if (!ckpt) return;
      const r = await cli(['profile', ckpt, '--json', ...kernelArgs({ ...cliSettings(), threads: null })], `BitKit: profiling ${basename(ckpt)}`);
      if (report(r, 'profile')) {
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: r.stdout });
        await vscode.window.showTextDocument(doc);
      }
    }),
    reg('bitkit.export', async (arg: unknown) => {
      const ckpt = requireTrust() ? await pickCheckpoint(arg) : undefined;
      if (!ckpt) return;
      const format = await vscode.window.showQuickPick(['bitpack', 'onnx'], { placeHolder: 'Export format' });
      if (!format) return;
      const out = ckpt.replace(/\.safetensors$/, '') + '.' + format;
      const r = await cli(['export', ckpt, '--format', format, '--out', out], `BitKit: exporting ${basename(ckpt)} to ${format}`);
      if (report(r, 'export')) void vscode.window.showInformationMessage(`BitKit: wrote ${out}`, 'Inspect').then((a) => a && vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), 'bitkit.inspector'));
    }),
    reg('bitkit.inspect', async (arg: unknown) => {
      const ckpt = await pickCheckpoint(arg);
      if (ckpt) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(ckpt), 'bitkit.inspector');
    }),
    reg('bitkit.newRecipe', async (arg: unknown) => {
      const folder = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri, openLabel: 'Write example recipe here' }))?.[0];
      if (!folder) return;
      const r = await cli(['example', folder.fsPath], 'BitKit: writing the example recipe');
      if (report(r, 'example')) await vscode.window.showTextDocument(vscode.Uri.file(join(folder.fsPath, 'example.bitkit.yaml')));
    }),
    reg('bitkit.showBitMap', showBitMap),
    reg('bitkit.stopRun', async () => {
      const active = d.runs.activeRuns();
      if (active.length === 0) return void vscode.window.showInformationMessage('BitKit: no run is active.');
      const pick = active.length === 1 ? active[0] : (await vscode.window.showQuickPick(active.map((r) => ({ label: r.progress.name ?? basename(r.request.recipe), run: r }))))?.run;
      if (pick) d.runs.stop(pick);
    }),
    reg('bitkit.showOutput', () => d.output.show()),
    reg('bitkit.runs.refresh', () => d.tree.findRoots()),
    reg('bitkit.runs.reveal', (node: RunNode) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(node.kind === 'file' ? node.path : node.run.dir))),
    reg('bitkit.runs.delete', async (node: RunNode) => {
      const ok = await vscode.window.showWarningMessage(`Delete the run folder ${node.run.dir}?`, { modal: true }, 'Delete');
      if (ok) await vscode.workspace.fs.delete(vscode.Uri.file(node.run.dir), { recursive: true, useTrash: false });
      d.tree.refreshSoon();
    }),
  ];
}
