/**
 * The checkpoint inspector: a custom read-only editor for .safetensors (from the header and `bitkit.meta`, no
 * tensor data read), .bitpack and .onnx (through `bitkit inspect --json` when the CLI has it). Buttons in the page
 * run Evaluate and Show Bit-Width Map on the file.
 */
import * as vscode from 'vscode';
import { readSafetensorsHeader } from '../../runtime/io/safetensors.js';
import { cliInvocation } from '../cli/cli-args.js';
import { isUnknownCommand, runBuffered } from '../cli/cli-process.js';
import { cliSettings } from '../config.js';
import { inspectorBody, inspectorHtml, jsonBody } from './inspector-html.js';
import { inspectorView } from './inspector-model.js';
import { escapeHtml, makeNonce } from './webview-html.js';

export const INSPECTOR_VIEW_TYPE = 'bitkit.inspector';

export class InspectorEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionPath: string) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    panel.webview.onDidReceiveMessage((m: { type?: string; command?: string }) => {
      if (m.type !== 'command') return;
      if (m.command === 'evaluate') void vscode.commands.executeCommand('bitkit.evaluate', document.uri);
      if (m.command === 'bitmap') void vscode.commands.executeCommand('bitkit.showBitMap', document.uri);
    });
    const render = async (): Promise<void> => {
      panel.webview.html = inspectorHtml(await this.body(document.uri), panel.webview.cspSource, makeNonce());
    };
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(document.uri, '..'), document.uri.path.split('/').pop()!));
    watcher.onDidChange(() => void render());
    panel.onDidDispose(() => watcher.dispose());
    await render();
  }

  async body(uri: vscode.Uri): Promise<string> {
    const file = uri.fsPath;
    try {
      if (file.endsWith('.safetensors')) return inspectorBody(inspectorView(file, readSafetensorsHeader(file)));
      const r = await runBuffered(cliInvocation(this.extensionPath, process.execPath, cliSettings(), ['inspect', file, '--json']), vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd());
      if (isUnknownCommand(r)) return `<h1 id="title">Checkpoint inspector</h1><p class="error" id="message">This bitkit CLI has no \`inspect\` command yet; .safetensors files are shown without it.</p>`;
      if (r.code !== 0) return `<h1 id="title">Checkpoint inspector</h1><p class="error" id="message">${escapeHtml(r.stderr.trim() || `bitkit inspect exited with ${r.code}`)}</p>`;
      return jsonBody(`Inspect: ${uri.path.split('/').pop()}`, file, JSON.parse(r.stdout));
    } catch (e) {
      return `<h1 id="title">Checkpoint inspector</h1><p class="muted">${escapeHtml(file)}</p><p class="error" id="message">${escapeHtml((e as Error).message)}</p>`;
    }
  }
}
