// Robustness: 10,000 random edits (insertions, deletions, garbage bytes, huge lines, YAML alias bombs) through the
// pure services in-process (every feature on every version; the incremental parse checked against a full parse),
// then 1,500 through the real server process, which must answer the last version and keep its memory flat.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyzeRecipeSafely } from '../../runtime/recipe/extra-checks.js';
import { analyzeText, DocumentCache } from '../../server/document-cache.js';
import { computeCodeActions } from '../../server/features/code-actions.js';
import { computeCompletions } from '../../server/features/completion.js';
import { computeDefinition } from '../../server/features/definition.js';
import { computeDiagnostics } from '../../server/features/diagnostics.js';
import { computeFolding } from '../../server/features/folding.js';
import { computeHover } from '../../server/features/hover.js';
import { computeSymbols } from '../../server/features/symbols.js';
import { ModelCatalog } from '../../server/model-catalog.js';
import { SegmentedParser } from '../../server/segmented-parse.js';
import { DEFAULT_SETTINGS } from '../../server/settings.js';
import { LspClient, ROOT, uriOf } from './lsp-client.js';
import { tempDir } from './fixtures.js';
import { TextDocument } from 'vscode-languageserver-textdocument';

const SEED_TEXT = `${readFileSync(join(ROOT, 'examples', 'sst2.bitkit.yaml'), 'utf8')}overrides:
  - match: bert.encoder.layer.*.attention.self.attention_probs
    activationSet: signed
  - match: bert.encoder.layer.*.attention.self.qeury
    weightBits: 32
    stages: [w1a1]
`;
const TOKENS = ['\n', '  ', '- ', ': ', 'name', 'stages', 'teacher', 'bits', 'W1A2', '{', '}', '[', ']', ',', '#', '"', "'", '&a ', '*a', '!!str ', '|', '>', '\t', '%YAML', '---', 'lr: ', '1e-3', 'w1a1', '\u0000', '\uFFFF', '\uD800', '😀', 'ö'];

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function aliasBomb(): string {
  let s = 'bomb0: &b0 ["x","x","x","x","x","x","x","x","x","x"]\n';
  for (let i = 1; i < 9; i++) s += `bomb${i}: &b${i} [${Array(10).fill(`*b${i - 1}`).join(',')}]\n`;
  return s;
}

/** One random edit of `text`: [offset, deleteCount, insert]. */
function randomEdit(text: string, r: () => number): [number, number, string] {
  const at = Math.floor(r() * (text.length + 1));
  const k = r();
  if (k < 0.35) return [at, 0, TOKENS[Math.floor(r() * TOKENS.length)]!];
  if (k < 0.6) return [at, Math.floor(r() * 12), ''];
  if (k < 0.8) return [at, 0, String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 0x10000)))];
  if (k < 0.995) return [at, Math.floor(r() * 3), TOKENS[Math.floor(r() * TOKENS.length)]! + TOKENS[Math.floor(r() * TOKENS.length)]!];
  if (k < 0.9975) return [at, 0, `\nhuge: ${'x'.repeat(200_000)}\n`];
  return [text.lastIndexOf('\n') + 1, 0, aliasBomb()];
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

test('10,000 random edits through every pure service: no exception, the incremental parse equals a full parse, flat memory', () => {
  const cpu = process.cpuUsage();
  const r = rng(12345);
  const dir = tempDir('robust');
  const uri = uriOf(join(dir, 'fuzz.bitkit.yaml'));
  const cache = new DocumentCache();
  const catalog = new ModelCatalog();
  const checker = new SegmentedParser();
  let text = SEED_TEXT;
  let heapAt1000 = 0;
  for (let i = 1; i <= Number(process.env.FUZZ_N ?? 10_000); i++) {
    if (i % 400 === 0) text = SEED_TEXT; // keep the document recipe-shaped
    const [at, del, ins] = randomEdit(text, r);
    const edited = text.slice(0, at) + ins + text.slice(at + del);
    // a huge line or an alias bomb is checked for one version, then undone (so that the run stays short)
    if (ins.length < 1000) text = edited;
    const doc = cache.get(TextDocument.create(uri, 'bitkit-recipe', i, edited));
    const diagnostics = computeDiagnostics(doc, DEFAULT_SETTINGS, catalog);
    const lines = doc.lines.lines;
    const line = Math.floor(r() * lines.length);
    const pos = { line, character: Math.floor(r() * ((lines[line]?.length ?? 0) + 2)) };
    const model = () => undefined;
    computeCompletions(doc, pos, model);
    computeHover(doc, pos, model);
    computeDefinition(doc, pos);
    computeCodeActions(doc, diagnostics);
    if (i % 10 === 0) {
      computeSymbols(doc);
      computeFolding(doc);
    }
    if (i % 50 === 0) {
      // the incremental fast path agrees with the full parser on this text
      const fast = analyzeText(edited, doc.path, checker);
      const full = analyzeRecipeSafely(edited, doc.path);
      assert.deepEqual(fast.diagnostics, full.diagnostics, `edit ${i}`);
    }
    if (i === 1000) heapAt1000 = heapAfterGc();
  }
  const growth = heapAfterGc() - heapAt1000;
  assert.ok(growth < 30e6, `heap grew by ${(growth / 1e6).toFixed(1)} MB`);
  const used = process.cpuUsage(cpu);
  const seconds = (used.user + used.system) / 1e6; // CPU time: wall time depends on what else the machine runs
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s of CPU`);
});

test('1,500 random edits against the server process: it answers the last version, stays up and keeps its memory flat', async () => {
  const client = await LspClient.start();
  try {
    const r = rng(777);
    const uri = uriOf(join(tempDir('robust-server'), 'fuzz.bitkit.yaml'));
    await client.open(uri, SEED_TEXT);
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${client.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    let rssAt300 = 0;
    for (let i = 1; i <= 1500; i++) {
      let text = client.text(uri);
      if (i % 300 === 0) text = SEED_TEXT;
      const [at, del, ins] = randomEdit(text, r);
      text = text.slice(0, at) + ins + text.slice(at + del);
      if (text.length > 400_000) text = SEED_TEXT;
      await client.changeNoWait(uri, text);
      if (i % 100 === 0) await client.change(uri, client.text(uri)); // let the server catch up (and check it answers)
      if (i === 300) rssAt300 = rss();
    }
    const last = await client.change(uri, SEED_TEXT);
    assert.deepEqual(last.map((d) => d.code).filter((c) => c !== 'BK5001').sort(), ['BK4003', 'BK4004']); // the example's data paths are relative
    const growth = rss() - rssAt300;
    assert.ok(growth < 120e6, `server RSS grew by ${(growth / 1e6).toFixed(1)} MB`);
    assert.equal(client.child.exitCode, null);
    assert.equal(client.stderr, '');
  } finally {
    await client.stop();
  }
});
