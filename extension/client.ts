/** Starts the language client on the bundled server (dist/server.js, its own Node process over IPC). */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

export async function startLanguageClient(context: vscode.ExtensionContext, log: vscode.OutputChannel): Promise<LanguageClient | undefined> {
  const module = context.asAbsolutePath('dist/server.js');
  if (!existsSync(module)) {
    log.appendLine(`language server not found at ${module}: recipe diagnostics are off (run npm run build)`);
    return undefined;
  }
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'bitkit-recipe' }, { pattern: '**/*.bitkit.{yaml,yml}' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{bitkit.yaml,bitkit.yml,safetensors,tsv,json}') },
    outputChannelName: 'BitKit Language Server',
  };
  const client = new LanguageClient('bitkit', 'BitKit Language Server', serverOptions, clientOptions);
  await client.start();
  return client;
}
