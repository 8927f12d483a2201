/**
 * The handler layer: the only code that touches the connection. Each request reads the document's one parse from
 * the cache and calls a pure feature service; diagnostics are computed once per document version, coalesced so that
 * a burst of edits validates only the newest text, and published with that version.
 */
import { CodeActionKind, TextDocumentSyncKind, TextDocuments, type Connection, type InitializeResult } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { recipeModel } from '../runtime/recipe/extra-checks.js';
import type { ModelInfo } from '../runtime/recipe/model-source.js';
import { uriToPath } from './convert.js';
import { DocumentCache, type RecipeDocument } from './document-cache.js';
import { computeCodeActions } from './features/code-actions.js';
import { computeCompletions } from './features/completion.js';
import { computeDefinition } from './features/definition.js';
import { computeDiagnostics } from './features/diagnostics.js';
import { computeFolding } from './features/folding.js';
import { computeHover } from './features/hover.js';
import { computeSymbols } from './features/symbols.js';
import { ModelCatalog } from './model-catalog.js';
import { DEFAULT_SETTINGS, readSettings, type ServerSettings } from './settings.js';

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new DocumentCache();
  const catalog = new ModelCatalog();
  let settings: ServerSettings = DEFAULT_SETTINGS;
  const pending = new Set<string>();
  let scheduled = false;

  const safe = <T>(what: string, fallback: T, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      connection.console.error(`bitkit ${what} failed: ${(e as Error).stack ?? String(e)}`);
      return fallback;
    }
  };
  const docOf = (uri: string): RecipeDocument | undefined => {
    const d = documents.get(uri);
    return d ? cache.get(d) : undefined;
  };
  const modelOf = (doc: RecipeDocument) => (): ModelInfo | undefined => {
    if (doc.raw === undefined) return undefined;
    const m = recipeModel(doc.analysis, doc.raw, catalog);
    return m && !('error' in m) ? m : undefined;
  };

  const flush = () => {
    scheduled = false;
    for (const uri of [...pending]) {
      pending.delete(uri);
      const doc = docOf(uri);
      if (!doc) continue;
      const diagnostics = safe('diagnostics', [], () => computeDiagnostics(doc, settings, catalog));
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
    }
  };
  const validate = (uri: string) => {
    pending.add(uri);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  connection.onInitialize((params): InitializeResult => {
    settings = readSettings(params.initializationOptions);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [':', ' ', '/', '.', '-'] },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        definitionProvider: true,
        documentSymbolProvider: true,
        foldingRangeProvider: true,
      },
      serverInfo: { name: 'bitkit-recipe-server', version: '0.1.0' },
    };
  });
  connection.onDidChangeConfiguration((params) => {
    settings = readSettings(params.settings, settings);
    documents.all().forEach((d) => validate(d.uri));
  });
  connection.onDidChangeWatchedFiles((params) => {
    for (const c of params.changes) catalog.invalidate(uriToPath(c.uri));
    documents.all().forEach((d) => validate(d.uri));
  });

  documents.onDidChangeContent((e) => validate(e.document.uri));
  documents.onDidClose((e) => {
    pending.delete(e.document.uri);
    cache.close(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCompletion((p) => safe('completion', [], () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeCompletions(doc, p.position, modelOf(doc)) : [];
  }));
  connection.onHover((p) => safe('hover', null, () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeHover(doc, p.position, modelOf(doc)) : null;
  }));
  connection.onCodeAction((p) => safe('code actions', [], () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeCodeActions(doc, p.context.diagnostics) : [];
  }));
  connection.onDefinition((p) => safe('definition', null, () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeDefinition(doc, p.position) : null;
  }));
  connection.onDocumentSymbol((p) => safe('symbols', [], () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeSymbols(doc) : [];
  }));
  connection.onFoldingRanges((p) => safe('folding', [], () => {
    const doc = docOf(p.textDocument.uri);
    return doc ? computeFolding(doc) : [];
  }));

  documents.listen(connection);
  connection.listen();
}
