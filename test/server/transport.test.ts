// The server over IPC (how the VS Code extension starts dist/server.js: a forked Node process, `--node-ipc`),
// besides the stdio of the other tests: initialize, open a broken recipe, get its diagnostics, shut down.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { BASE } from './fixtures.js';

test('IPC transport: the same diagnostics as over stdio', async () => {
  const child = fork(fileURLToPath(new URL('../../server/main.ts', import.meta.url)), ['--node-ipc'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  const published = new Promise<PublishDiagnosticsParams>((resolve) => connection.onNotification(PublishDiagnosticsNotification.type, resolve));
  connection.listen();
  try {
    const init = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    assert.equal(init.serverInfo?.name, 'bitkit-recipe-server');
    await connection.sendNotification(InitializedNotification.type, {});
    const uri = 'untitled:Untitled-1';
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'bitkit-recipe', version: 1, text: BASE.replace('bits: W1A1', 'bits: W1A3') } });
    const p = await published;
    assert.deepEqual([p.uri, p.version, p.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character])], [uri, 1, [['BK2005', 9, 10]]]);
    await connection.sendRequest(ShutdownRequest.type);
    const exited = new Promise((r) => child.once('exit', r));
    await connection.sendNotification(ExitNotification.type);
    await exited;
  } finally {
    if (child.exitCode === null) child.kill();
    connection.dispose();
  }
});
