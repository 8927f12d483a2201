/** The status-bar item of the active run (text set by RunManager; hidden when nothing runs). */
import * as vscode from 'vscode';

export function createRunStatusItem(): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('bitkit.run', vscode.StatusBarAlignment.Left, 10);
  item.name = 'BitKit Run';
  return item;
}
