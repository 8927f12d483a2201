/**
 * BitKit for VS Code: wiring only. The language client (recipe diagnostics), the run manager (spawns the bitkit
 * CLI; never trains here), the Runs view, the bit-width map, the checkpoint inspector, CodeLens and commands.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { startLanguageClient } from './client.js';
import { registerCommands } from './commands.js';
import { StageCodeLens } from './recipe/codelens.js';
import { RunManager } from './runner/run-manager.js';
import { createRunStatusItem } from './status-bar.js';
import { BitMapPanel } from './views/bit-map-panel.js';
import { INSPECTOR_VIEW_TYPE, InspectorEditor } from './views/inspector-editor.js';
import { RunsTree } from './views/runs-tree.js';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('BitKit');
  const status = createRunStatusItem();
  const bitMap = new BitMapPanel();
  const runs = new RunManager(context, output, status, {
    evaluate: (ckpt) => void vscode.commands.executeCommand('bitkit.evaluate', vscode.Uri.file(ckpt)),
    showBitMap: (uri) => bitMap.show(uri),
  });
  const tree = new RunsTree(runs);
  const lenses = new StageCodeLens();
  context.subscriptions.push(
    output, status, bitMap, runs, tree,
    vscode.window.createTreeView('bitkit.runs', { treeDataProvider: tree, showCollapseAll: true }),
    vscode.window.registerCustomEditorProvider(INSPECTOR_VIEW_TYPE, new InspectorEditor(context.extensionPath), { supportsMultipleEditorsPerDocument: true }),
    vscode.languages.registerCodeLensProvider([{ language: 'bitkit-recipe' }, { pattern: '**/*.bitkit.{yaml,yml}' }], lenses),
    vscode.workspace.onDidGrantWorkspaceTrust(() => lenses.refresh()),
    ...registerCommands({ context, runs, tree, bitMap, output }),
  );
  output.appendLine(`BitKit activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: no runs start'})`);
  try {
    client = await startLanguageClient(context, output);
  } catch (e) {
    output.appendLine(`language server failed to start: ${(e as Error).message}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
