/**
 * The bit-width map webview: planned (a recipe, re-rendered as it is typed) or actual (a checkpoint's plan).
 * Clicking a cell reveals the recipe override that governs it.
 */
import * as vscode from 'vscode';
import { readSafetensorsHeader } from '../../runtime/io/safetensors.js';
import { bitMapHtml } from './bit-map-html.js';
import { actualBitMap, type BitMapResult, plannedBitMap } from './bit-map-model.js';
import { makeNonce } from './webview-html.js';

export class BitMapPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: vscode.Uri | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.panel && this.target && e.document.uri.toString() === this.target.toString()) this.renderSoon();
    }));
  }

  show(target: vscode.Uri): void {
    this.target = target;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('bitkit.bitMap', 'Bit-Width Map', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
      this.panel.onDidDispose(() => (this.panel = undefined), null, this.disposables);
      this.panel.webview.onDidReceiveMessage((m: { type?: string; line?: number }) => {
        if (m.type === 'reveal' && typeof m.line === 'number' && this.target && !this.target.fsPath.endsWith('.safetensors')) {
          const pos = new vscode.Position(m.line, 0);
          void vscode.window.showTextDocument(this.target, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
        }
      }, null, this.disposables);
    } else {
      this.panel.reveal(undefined, true);
    }
    void this.render();
  }

  private renderSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.render(), 250);
  }

  private async render(): Promise<void> {
    if (!this.panel || !this.target) return;
    const target = this.target;
    let result: BitMapResult;
    try {
      if (target.fsPath.endsWith('.safetensors')) {
        result = actualBitMap(readSafetensorsHeader(target.fsPath).metadata, target.fsPath);
      } else {
        const doc = await vscode.workspace.openTextDocument(target);
        result = plannedBitMap(doc.getText(), target.fsPath);
      }
    } catch (e) {
      result = { ok: false, file: target.fsPath, message: (e as Error).message };
    }
    this.panel.title = `Bit-Width Map: ${target.path.split('/').pop()}`;
    this.panel.webview.html = bitMapHtml(result, this.panel.webview.cspSource, makeNonce());
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
