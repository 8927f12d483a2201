/**
 * `bitkit inspect` for every format (bitkit checkpoint, plain safetensors, Hugging Face folder, .onnx, .bitpack),
 * the HTML report (opened in headless Chromium when /usr/bin/chromium exists: screenshot taken, no console errors),
 * and `bitkit profile`'s timed forward (same logits as the model) and report.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { exportCheckpoint } from '../../../runtime/cli/export-command.js';
import { inspectFile } from '../../../runtime/io/inspect.js';
import { encodeSafetensors } from '../../../runtime/io/safetensors.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { formatInspectTable, renderInspectHtml } from '../../../runtime/profile/inspect-report.js';
import { formatProfile, profileCheckpoint, randomBatch } from '../../../runtime/profile/profile.js';
import { TimedForward } from '../../../runtime/profile/timed-forward.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { distill } from '../../../runtime/train/distill.js';
import { writeHfFolder } from '../../helpers/hf-folder-fixture.js';
import { writeTinyRun } from '../../helpers/tiny-task.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitkit-inspect-'));
process.env['TMPDIR'] = tmp;
let dir = '';
let w1a1 = '';

before(async () => {
  const tiny = writeTinyRun({ epochs: 1 });
  dir = tiny.dir;
  const r = await distill(loadRecipe(tiny.recipe), { kernels: referenceKernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
  w1a1 = join(r.runDir, 'w1a1', 'best.safetensors');
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('bitkit checkpoint: rows from the plan, W1A1 MACs binarized, totals add up', () => {
  const r = inspectFile(w1a1, { seq: 16 });
  assert.equal(r.format, 'bitkit-checkpoint');
  assert.equal(r.stage, 'w1a1');
  const q = r.rows.find((x) => x.layer === 'bert.encoder.layer.0.attention.self.query')!;
  assert.deepEqual([q.weightBits, q.activationBits, q.activationSet, q.params], [1, 1, 'signed', 16 * 16 + 16]);
  assert.equal(q.macs.binary, 16 * 16 * 16);
  const ffn2 = r.rows.find((x) => x.layer === 'bert.encoder.layer.0.output.dense')!;
  assert.equal(ffn2.activationSet, 'unsigned');
  const scores = r.rows.find((x) => x.layer.includes('scores'))!;
  assert.equal(scores.macs.binary, 16 * 16 * 16);
  const cls = r.rows.find((x) => x.layer === 'classifier')!;
  assert.equal(cls.weightBits, 32);
  assert.ok(r.totals.binarizedMacShare > 0.9 && r.totals.binarizedMacShare < 1, String(r.totals.binarizedMacShare));
  assert.ok(Math.abs(r.rows.reduce((s, x) => s + x.share, 0) - 1) < 1e-9);
  assert.ok(r.totals.packedBytes < r.totals.fp32Bytes);
  const text = formatInspectTable(r);
  assert.match(text, /binarized share/);
  assert.match(text, /compression/);
  console.log(text.split('\n').map((l) => '# ' + l).join('\n'));
});

test('plain safetensors and a Hugging Face folder', () => {
  const plain = join(tmp, 'plain.safetensors');
  writeFileSync(plain, encodeSafetensors([{ name: 'dense.weight', shape: [4, 8], data: new Float32Array(32) }, { name: 'dense.bias', shape: [4], data: new Float32Array(4) }]));
  const p = inspectFile(plain, { seq: 2 });
  assert.equal(p.format, 'safetensors');
  assert.deepEqual(p.rows.map((r) => [r.layer, r.params, r.bytes, r.macs.fp]), [['dense', 36, 144, 64]]);
  const hf = join(tmp, 'hf');
  writeHfFolder(hf, { dtype: 'F16', withClassifier: true });
  const h = inspectFile(hf);
  assert.equal(h.format, 'hf-folder');
  assert.equal(h.config!.hidden, 16);
  const q = h.rows.find((x) => x.layer === 'bert.encoder.layer.0.attention.self.query')!;
  assert.equal(q.bytes, (16 * 16 + 16) * 2); // F16 in the file
  assert.equal(h.totals.binarizedMacShare, 0);
});

test('.onnx: bitkit export (plan from metadata) and the generic view, and .bitpack', () => {
  const onnx = join(tmp, 'w1a1.onnx');
  exportCheckpoint(w1a1, 'onnx', onnx, 'reference');
  const r = inspectFile(onnx, { seq: 16 });
  assert.equal(r.format, 'onnx');
  assert.equal(r.stage, 'w1a1');
  const d = r.details as { opset: { version: number }[]; opCounts: Record<string, number> };
  assert.equal(d.opset[0]!.version, 17);
  assert.ok(d.opCounts['MatMul']! > 0);
  assert.ok(r.rows.find((x) => x.layer === "bert.encoder.layer.0.intermediate.dense")!.bytes >= (32 * 16 + 32) * 4);
  assert.equal(r.totals.binarizedMacShare, inspectFile(w1a1, { seq: 16 }).totals.binarizedMacShare);
  const bp = join(tmp, 'w1a1.bitpack');
  exportCheckpoint(w1a1, 'bitpack', bp, 'reference');
  const b = inspectFile(bp, { seq: 16 });
  assert.equal(b.format, 'bitpack');
  assert.equal(b.totals.fileBytes, statSync(bp).size);
  assert.ok(b.totals.compression > inspectFile(w1a1).totals.compression, 'the bitpack is smaller than the latent checkpoint');
  assert.ok(b.rows.find((x) => x.layer === 'bert.encoder.layer.0.attention.self.query')!.bytes < 16 * 16 * 4);
});

test('HTML report: self-contained, strict CSP, opens in headless Chromium without console errors', (t) => {
  const r = inspectFile(w1a1, { seq: 16 });
  const html = renderInspectHtml(r);
  assert.match(html, /Content-Security-Policy/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.ok((html.match(/<svg/g) ?? []).length >= 2);
  const file = join(tmp, 'report.html');
  writeFileSync(file, html);
  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    t.skip('headless Chromium check skipped: /usr/bin/chromium is absent (apt-get install chromium)');
    return;
  }
  const shot = join(tmp, 'report.png');
  const common = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', `--user-data-dir=${join(tmp, 'chrome')}`, '--enable-logging=stderr', '--v=0'];
  const a = spawnSync(chromium, [...common, `--screenshot=${shot}`, '--window-size=1200,1600', `file://${file}`], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(existsSync(shot) && statSync(shot).size > 5000, `screenshot written (${a.status}): ${a.stderr.slice(-500)}`);
  const dom = spawnSync(chromium, [...common, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000 });
  assert.match(dom.stdout, /<svg/);
  const logs = (a.stderr + dom.stderr).split('\n').filter((l) => /CONSOLE|Content Security Policy|Refused to/i.test(l));
  assert.deepEqual(logs, [], 'no console messages or CSP violations');
});

test('profile: timed forward gives the model\'s logits; report with teacher speed-up', async () => {
  const { model } = loadCheckpoint(w1a1, referenceKernels);
  const batch = randomBatch(model.config.vocabSize, 2, 8);
  const tf = new TimedForward(model);
  tf.prepare();
  const timed = tf.forward(batch);
  const ref = model.forward(batch, { training: false });
  assert.deepEqual(Array.from(timed.logits), Array.from(ref.logits));
  assert.ok(timed.blocks.has('bert.encoder.layer.0.attention.self'));
  for (const engine of ['reference', 'onnx'] as const) {
    const r = await profileCheckpoint(w1a1, { engine, kernels: referenceKernels, batch: 2, seq: 8, threads: 1, iterations: 2 });
    assert.ok(r.student.msPerBatch > 0 && r.teacher!.msPerBatch > 0 && r.speedup! > 0);
    assert.ok(r.student.layers.some((l) => l.block.startsWith('bert.encoder.layer.0')), JSON.stringify(r.student.layers));
    assert.ok(r.teacher!.layers.some((l) => l.block.startsWith('bert.encoder.layer.0')), JSON.stringify(r.teacher!.layers));
    assert.match(formatProfile(r), /speed-up/);
  }
});
