import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { bitMapHtml } from '../../extension/views/bit-map-html.js';
import { plannedBitMap } from '../../extension/views/bit-map-model.js';
import { inspectorBody, inspectorHtml } from '../../extension/views/inspector-html.js';
import { inspectorView } from '../../extension/views/inspector-model.js';
import { escapeHtml } from '../../extension/views/webview-html.js';
import { readSafetensorsHeader, writeSafetensors } from '../../runtime/io/safetensors.js';
import { buildQuantPlan } from '../../runtime/quant/plan.js';
import { DEFAULT_QUANTIZATION } from '../../runtime/recipe/defaults.js';

const dir = mkdtempSync(join(tmpdir(), 'bitkit-webview-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every webview page: one CSP meta with default-src 'none', nonce'd script/style, no inline style attributes, nothing remote. */
function assertStrictPage(html: string, nonce: string): void {
  assert.match(html, new RegExp(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src vscode-resource: data:; style-src vscode-resource: 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src vscode-resource:">`));
  assert.doesNotMatch(html, /style="/);
  assert.doesNotMatch(html, /https?:\/\//);
  for (const m of html.matchAll(/<(script|style)([^>]*)>/g)) assert.equal(m[2], ` nonce="${nonce}"`);
}

test('bit-map page: strict CSP, a cell button per point and stage, override cells carry their line', () => {
  const text = `version: 1\nname: t\ntask: sst2\ndata: { train: a.tsv, dev: b.tsv }\nteacher:\n  architecture: { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 8 }\nstages:\n  - { name: s1, teacher: teacher, bits: W1A1 }\noverrides:\n  - match: "bert.pooler.<dense>"\n    activationBits: 4\n`;
  const r = plannedBitMap(text.replace('"bert.pooler.<dense>"', 'bert.pooler.dense'), '/w/<t>.bitkit.yaml');
  const html = bitMapHtml(r, 'vscode-resource:', 'N0NCE');
  assertStrictPage(html, 'N0NCE');
  assert.equal((html.match(/<td class="cell"/g) ?? []).length, 12 * 2);
  assert.match(html, /<button type="button" data-line="9" class="ov" title="bert.pooler.dense\n/);
  assert.match(html, /&lt;t&gt;.bitkit.yaml/);
  const bad = bitMapHtml({ ok: false, file: 'f', message: '<b>broken</b>' }, 'vscode-resource:', 'N0NCE');
  assert.match(bad, /<p class="error" id="message">&lt;b&gt;broken&lt;\/b&gt;<\/p>/);
  assert.equal(escapeHtml(`a"'&`), 'a&quot;&#39;&amp;');
});

test('inspector view of a bitkit checkpoint header: kind, stage, bits per weight, totals', () => {
  const config = { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 8, vocabSize: 50, typeVocabSize: 2, hiddenAct: 'gelu' as const, hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 2 };
  const plan = buildQuantPlan(config, { name: 'w1a1', weightBits: 1, activationBits: 1, quantization: DEFAULT_QUANTIZATION }, []);
  const meta = { config, plan, stage: 'w1a1', task: 'sst2', labelNames: ['negative', 'positive'], isRegression: false, metrics: { accuracy: 0.8125 }, tokenizer: { vocab: 'bert-base-uncased', lowercase: true, maxLength: 16 }, provenance: { recipe: '/w/t.bitkit.yaml', recipeHash: 'x', teacher: 'w1a2', init: 'w1a2', step: 12, createdAt: '2025-01-01T00:00:00Z' } };
  const file = join(dir, 'best.safetensors');
  writeSafetensors(file, [
    { name: 'bert.encoder.layer.0.attention.self.query.weight', shape: [8, 8], data: new Float32Array(64) },
    { name: 'bert.encoder.layer.0.attention.self.query.bias', shape: [8], data: new Float32Array(8) },
    { name: 'bert.encoder.layer.0.attention.self.query.act_quant.scale', shape: [1], data: new Float32Array(1) },
    { name: 'classifier.weight', shape: [2, 8], data: new Float32Array(16) },
  ], { format: 'bitkit-checkpoint', format_version: '1', 'bitkit.meta': JSON.stringify(meta) });
  const v = inspectorView(file, readSafetensorsHeader(file));
  assert.equal(v.kind, 'bitkit checkpoint');
  assert.equal(v.stage, 'w1a1');
  assert.deepEqual(v.tensors.map((t) => [t.name.split('.').slice(-2).join('.'), t.bits, t.role]), [['query.weight', 1, 'weight'], ['query.bias', 32, 'bias/norm'], ['act_quant.scale', 32, 'quantizer'], ['classifier.weight', 32, 'weight']]);
  assert.equal(v.totals.modelParams, 64 + 8 + 1 + 16);
  assert.equal(v.totals.binarizedParams, 64);
  assert.equal(v.totals.fp32Bytes, 89 * 4);
  assert.equal(v.totals.packedBytes, 8 + 4 * 8 + 4 * 25);
  assert.deepEqual(v.facts.find((f) => f[0] === 'bits'), ['bits', 'W1A1 (12 quant points, two-set activations, elastic)']);
  const html = inspectorHtml(inspectorBody(v), 'vscode-resource:', 'N1');
  assertStrictPage(html, 'N1');
  assert.match(html, /<h1 id="title">bitkit checkpoint: stage w1a1<\/h1>/);
  assert.match(html, /<th scope="row">accuracy<\/th><td class="num">81.25<\/td>/);
  assert.match(html, /<td class="num" id="params">89<\/td>/);

  const plainFile = join(dir, 'plain.safetensors');
  writeSafetensors(plainFile, [{ name: 'w', shape: [2], data: new Float32Array(2) }]);
  const plain = inspectorView(plainFile, readSafetensorsHeader(plainFile));
  assert.equal(plain.kind, 'safetensors');
  assert.equal(plain.stage, null);
});
