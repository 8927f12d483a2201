/**
 * ONNX export round trip: a tiny task trained teacher -> W1A2 -> W1A1 with the real trainer; each stage exported as a
 * fake-quantized ONNX graph and run under ONNX Runtime must give the same predictions as bitkit's BertModel on
 * >= 99.5 % of a 400-example dev set, and the same metric within 0.3 points. Every disagreement must sit on a
 * quantizer threshold (a quantizer input within 1e-4 * a of it, seen through the graph's exposed quantizer inputs);
 * the number of such ties is reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeDataset, makeBatches } from '../../../runtime/data/batches.js';
import { readGlueFile } from '../../../runtime/data/glue.js';
import { OnnxEngine } from '../../../runtime/engine/onnx-engine.js';
import { exportOnnx } from '../../../runtime/io/onnx/export.js';
import { readOnnx } from '../../../runtime/io/onnx/reader.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { distill } from '../../../runtime/train/distill.js';
import { evaluate } from '../../../runtime/train/evaluate.js';
import { loadTokenizer } from '../../../runtime/train/prepare-data.js';
import { tinySentences, writeTinyRun } from '../../helpers/tiny-task.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitkit-onnx-'));
process.env['TMPDIR'] = tmp; // onnxruntime-node leaves mat-debug-<pid>.log there
let runDir = '';
let dir = '';

before(async () => {
  const tiny = writeTinyRun({ epochs: 12, teacherLr: 0.005, studentLr: 0.003 });
  dir = tiny.dir;
  writeFileSync(join(dir, 'dev400.tsv'), tinySentences(400, 9));
  const r = await distill(loadRecipe(tiny.recipe), { kernels: referenceKernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
  runDir = r.runDir;
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Distance of a normalised quantizer input v = (x + b - o) / a to the nearest threshold (signed 1 bit: 0; else k + 0.5). */
function thresholdDistance(v: number, signed1: boolean): number {
  if (signed1) return Math.abs(v);
  return Math.abs(v - Math.floor(v) - 0.5);
}

for (const stage of ['teacher', 'w1a2', 'w1a1']) {
  test(`${stage}: ONNX Runtime predictions match bitkit's model`, async () => {
    const { model, meta } = loadCheckpoint(join(runDir, stage, 'best.safetensors'), referenceKernels);
    const path = join(dir, `${stage}.onnx`);
    const exp = exportOnnx(model, path, { meta: { stage: meta.stage, task: meta.task }, exposeQuantInputs: true });
    const summary = readOnnx(path);
    assert.equal(summary.opsets[0]!.version, 17);
    assert.deepEqual(summary.inputs.map((i) => [i.name, i.elemType]), [['input_ids', 'INT64'], ['token_type_ids', 'INT64'], ['attention_mask', 'INT64']]);
    assert.equal(summary.outputs[0]!.name, 'logits');
    assert.equal(JSON.parse(summary.metadata['bitkit.meta']!).stage, stage);
    if (stage === 'w1a1') {
      assert.ok(summary.opCounts['GreaterOrEqual']! > 0 && summary.opCounts['Where']! > 0, 'sign as GreaterOrEqual/Where');
      assert.equal(summary.opCounts['Sign'], undefined);
    }
    const tokenizer = loadTokenizer(meta.tokenizer);
    const examples = readGlueFile('sst2', join(dir, 'dev400.tsv')).examples;
    const batches = makeBatches(encodeDataset(examples, tokenizer, { maxLength: meta.tokenizer.maxLength }), 32, null);
    const ref = evaluate(model, batches, meta.task, meta.isRegression);
    const engine = await OnnxEngine.create(path, { threads: 1 });
    let agree = 0;
    let ties = 0;
    let i = 0;
    const onnxPreds: number[] = [];
    for (const batch of batches) {
      const out = await engine.run(batch, exp.quantOutputs);
      const nC = out.logits.length / batch.B;
      for (let b = 0; b < batch.B; b++, i++) {
        let best = 0;
        for (let c = 1; c < nC; c++) if (out.logits[b * nC + c]! > out.logits[b * nC + best]!) best = c;
        onnxPreds.push(best);
        if (best === ref.predictions[i]) {
          agree++;
          continue;
        }
        // a disagreement: is some quantizer input of this example on a threshold?
        let minDist = Infinity;
        for (const name of exp.quantOutputs) {
          const { data, dims } = out.extra[name]!;
          const per = data.length / dims[0]!;
          const signed1 = !name.includes('attention_probs') && !name.includes('output.dense') && stage === 'w1a1';
          for (let j = b * per; j < (b + 1) * per; j++) minDist = Math.min(minDist, thresholdDistance(data[j]!, signed1));
        }
        if (minDist < 1e-4) ties++;
      }
    }
    await engine.close();
    const n = examples.length;
    const rate = agree / n;
    const onnxAcc = onnxPreds.filter((p, j) => p === batches.flatMap((b) => Array.from(b.labels!))[j]).length / n;
    console.log(`# ${stage}: ${agree}/${n} predictions agree (${(100 * rate).toFixed(2)} %), ${n - agree} differ, ${ties} of them on a quantizer threshold; ` +
      `accuracy bitkit ${(100 * ref.main).toFixed(2)} vs ONNX Runtime ${(100 * onnxAcc).toFixed(2)}; ${exp.nodes} nodes, ${(exp.bytes / 1024).toFixed(0)} KiB`);
    assert.ok(rate >= 0.995, `agreement ${rate}`);
    assert.equal(ties, n - agree, 'every disagreement sits on a quantizer threshold');
    assert.ok(Math.abs(ref.main - onnxAcc) * 100 <= 0.3, `metric ${ref.main} vs ${onnxAcc}`);
    assert.ok(readFileSync(path).length === exp.bytes);
  });
}

test('the trained stages learned something (the agreement test is not vacuous)', () => {
  const s = JSON.parse(readFileSync(join(runDir, 'teacher', 'summary.json'), 'utf8')) as { best: number };
  assert.ok(s.best > 0.6, `teacher dev accuracy ${s.best}`);
});
