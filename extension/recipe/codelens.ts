/** CodeLens above each stage of a recipe: Run stage, Evaluate (its best checkpoint), Show map. */
import * as vscode from 'vscode';
import { stageLocations } from './stage-lenses.js';

export class StageCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    for (const s of stageLocations(doc.getText(), doc.uri.fsPath)) {
      const range = new vscode.Range(s.line, 0, s.line, 0);
      lenses.push(
        new vscode.CodeLens(range, { title: `$(play) Run ${s.name === 'teacher' ? 'teacher' : 'stage'}`, command: 'bitkit.distillStage', arguments: [doc.uri, s.name] }),
        new vscode.CodeLens(range, { title: 'Evaluate', command: 'bitkit.evaluateStage', arguments: [doc.uri, s.name] }),
        new vscode.CodeLens(range, { title: 'Show map', command: 'bitkit.showBitMap', arguments: [doc.uri] }),
      );
    }
    return lenses;
  }
}
