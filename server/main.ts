/**
 * Entry of the bitkit language server (`node dist/server.js --stdio`, or `--node-ipc` / `--socket=N` /
 * `--pipe=NAME`: `createConnection` picks the transport from argv). Wiring only; the handlers live in server.ts.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server.js';

startServer(createConnection(ProposedFeatures.all));
