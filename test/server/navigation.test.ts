// Definitions, document symbols and folding ranges through the real server, and every feature on the project's
// example recipes (examples/*.bitkit.yaml).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver-protocol';
import { LspClient, positionOf, rangeOf, ROOT, uriOf } from './lsp-client.js';
import { BASE, tempDir } from './fixtures.js';

let client: LspClient;
let dir: string;
before(async () => {
  client = await LspClient.start();
  dir = tempDir('nav');
});
after(async () => {
  await client.stop();
});

test('go to definition from teacher:, init: and an override stages list to the stage; teacher to the teacher block', async () => {
  const text = `${BASE.replace('    bits: W1A1\n', '    bits: W1A1\n    init: teacher\n')}overrides:\n  - match: bert.pooler.dense\n    weightBits: 32\n    stages: [w1a1]\n`;
  const uri = uriOf(join(dir, 'def.bitkit.yaml'));
  await client.open(uri, text);
  assert.deepEqual(await client.definition(uri, positionOf(text, 'teacher: w1a2', 11)), { uri, range: rangeOf(text, 'w1a2') });
  assert.deepEqual(await client.definition(uri, positionOf(text, 'init: teacher', 7)), { uri, range: rangeOf(text, 'teacher') });
  assert.deepEqual(await client.definition(uri, positionOf(text, '[w1a1]', 2)), { uri, range: rangeOf(text, 'w1a1') });
  assert.equal(await client.definition(uri, positionOf(text, 'bits: W1A1', 7)), null);
});

test('document symbols: top-level keys, stages with bits and teacher, overrides by pattern', async () => {
  const text = `${BASE}overrides:\n  - match: bert.pooler.dense\n    weightBits: 32\n`;
  const uri = uriOf(join(dir, 'sym.bitkit.yaml'));
  await client.open(uri, text);
  const symbols = await client.symbols(uri);
  assert.deepEqual(symbols.map((s) => [s.name, s.detail ?? null, (s.children ?? []).map((c) => [c.name, c.detail ?? null])]), [
    ['version', '1', []],
    ['task', 'example', []],
    ['teacher', null, []],
    ['stages', null, [['w1a2', 'W1A2 from teacher'], ['w1a1', 'W1A1 from w1a2']]],
    ['overrides', null, [['bert.pooler.dense', null]]],
  ]);
  const w1a1 = symbols[3]!.children![1]!;
  assert.deepEqual(w1a1.selectionRange, rangeOf(text, 'w1a1'));
  assert.deepEqual(w1a1.range, { start: positionOf(text, 'name: w1a1'), end: { line: 9, character: 14 } });
});

test('folding ranges: blocks of more than one line and comment runs', async () => {
  const text = `# a recipe\n# with a header\n${BASE}`;
  const uri = uriOf(join(dir, 'fold.bitkit.yaml'));
  await client.open(uri, text);
  assert.deepEqual(await client.folding(uri), [
    { startLine: 0, endLine: 1, kind: 'comment' },
    { startLine: 4, endLine: 5 },
    { startLine: 6, endLine: 11 },
    { startLine: 7, endLine: 8 },
    { startLine: 9, endLine: 11 },
  ]);
});

const examplesDir = join(ROOT, 'examples');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.bitkit.yaml')).sort();
const haveData = existsSync(join(ROOT, '..', 'shared', 'data', 'glue'));

test('the example recipes: no diagnostics, an outline, hovers, completions, definitions', async () => {
  assert.ok(examples.length >= 3);
  for (const name of examples) {
    const text = readFileSync(join(examplesDir, name), 'utf8');
    const uri = uriOf(join(examplesDir, name));
    const diags = await client.open(uri, text);
    assert.deepEqual(haveData ? diags : diags.filter((d) => d.code !== 'BK5001'), [], name);
    const symbols = await client.symbols(uri);
    const stages = symbols.find((s) => s.name === 'stages')!;
    assert.deepEqual(stages.children!.map((c) => [c.name, c.detail]), [['w1a2', 'W1A2 from teacher'], ['w1a1', 'W1A1 from w1a2']], name);
    const hover = (await client.hover(uri, positionOf(text, 'teacher: w1a2', 10)))!.contents as MarkupContent;
    assert.match(hover.value, /^\*\*Stage 1: w1a2\*\* \(W1A2\)\n- teacher chain: w1a2 <- teacher\n- starts from: teacher\n- planned size: [\d.]+ MB \(FP32 [\d.]+ MB, [\d.]+x smaller\)/, name);
    assert.deepEqual(await client.definition(uri, positionOf(text, 'teacher: w1a2', 10)), { uri, range: rangeOf(text, 'w1a2', 0) }, name);
    const keys = await client.completion(uri, { line: text.split('\n').length - 1, character: 0 });
    assert.ok(keys.every((k) => !text.includes(`\n${String(k.label)}:`)), name);
    assert.ok((await client.folding(uri)).length >= 4, name);
    await client.close(uri);
  }
});
