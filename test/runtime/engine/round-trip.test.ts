/**
 * The deployable round trip, end to end: a tiny recipe trained by the trainer (FP teacher -> W1A2 -> W1A1),
 * exported to .bitpack (`bitkit export`), run by the packed engine from raw text. Predictions must equal the
 * trainer's model (forward, training=false) on >= 99.5 % of the examples, every difference attributed to an input
 * exactly on a quantizer threshold (counted and reported), and the metric within 0.3 points; on the tiny task: 100 %.
 * Then `bitkit predict` and `bitkit eval --engine packed` on the exported file, and the safetensors export.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportCheckpoint } from '../../../runtime/cli/export-command.js';
import { evalCommand } from '../../../runtime/cli/eval-command.js';
import { examplesFromLines, predictTexts } from '../../../runtime/cli/predict-command.js';
import { encodeDataset } from '../../../runtime/data/batches.js';
import { readGlueFile } from '../../../runtime/data/glue.js';
import { compareWithTrainer } from '../../../runtime/engine/evaluate-packed.js';
import { PackedEngine } from '../../../runtime/engine/packed-engine.js';
import { readBitpack } from '../../../runtime/io/bitpack.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { loadRecipe } from '../../../runtime/recipe/load.js';
import { loadCheckpoint } from '../../../runtime/train/checkpoint.js';
import { distill } from '../../../runtime/train/distill.js';
import { loadTokenizer } from '../../../runtime/train/prepare-data.js';
import { tinySentences, writeTinyRun } from '../../helpers/tiny-task.js';

async function captureStdout(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('recipe -> W1A1 -> .bitpack -> packed engine: the trainer\'s predictions; predict and eval on the file', async (t) => {
  const tiny = writeTinyRun({ epochs: 15, teacherLr: 0.005, studentLr: 0.003 });
  try {
    const recipe = loadRecipe(tiny.recipe);
    await distill(recipe, { kernels: referenceKernels, sink: { emit: () => {} }, cancel: { requested: false }, resume: false });
    writeFileSync(join(tiny.dir, 'more.tsv'), tinySentences(400, 5));
    for (const stage of ['w1a1', 'w1a2']) {
      const ckpt = join(recipe.output, stage, 'best.safetensors');
      const out = join(tiny.dir, `${stage}.bitpack`);
      const r = exportCheckpoint(ckpt, 'bitpack', out, 'reference');
      const pm = readBitpack(out);
      const { model, meta } = loadCheckpoint(ckpt, referenceKernels);
      const tokenizer = loadTokenizer(meta.tokenizer);
      assert.deepEqual(pm.header.tokenizer.vocab, [...tokenizer.vocab], 'vocabulary embedded');
      for (const file of ['dev.tsv', 'more.tsv']) {
        const data = encodeDataset(readGlueFile('sst2', join(tiny.dir, file)).examples, tokenizer, { maxLength: meta.tokenizer.maxLength, truncation: meta.tokenizer.truncation });
        const engine = new PackedEngine(pm, referenceKernels, { countTies: true });
        const rep = compareWithTrainer(engine, model, data, 'sst2', false, 32);
        t.diagnostic(`${stage} ${file}: ${rep.same}/${rep.examples} same (${(100 * rep.agreement).toFixed(2)} %), differing on a threshold ${rep.differingOnThreshold}, other ${rep.differingOther}; ${rep.mainName} trainer ${rep.trainerMetric.toFixed(4)} engine ${rep.engineMetric.toFixed(4)}; file ${r.bytes} bytes`);
        assert.equal(rep.differingOther, 0, 'every difference must sit on a threshold');
        assert.ok(rep.agreement >= 0.995, `agreement ${rep.agreement}`);
        assert.ok(Math.abs(rep.metricDeltaPoints) <= 0.3, `metric delta ${rep.metricDeltaPoints} points`);
        assert.equal(rep.same, rep.examples, 'the tiny task: 100 %');
      }
    }
    // bitkit predict on the exported W1A1 file, single texts and a pair; lines from stdin
    const file = join(tiny.dir, 'w1a1.bitpack');
    const { labelNames, predictions } = predictTexts(file, [{ textA: 'a great and wonderful movie' }, { textA: 'awful', textB: 'the worst plot' }], 'reference');
    assert.deepEqual(labelNames, ['0', '1']);
    for (const p of predictions) {
      assert.ok(p.label === '0' || p.label === '1');
      assert.ok(Math.abs(p.scores[0]! + p.scores[1]! - 1) < 1e-9);
    }
    assert.deepEqual(examplesFromLines('one\n\ntwo\tthree\r\n'), [{ textA: 'one' }, { textA: 'two', textB: 'three' }]);
    // bitkit eval --engine packed on the .bitpack equals the trainer's dev accuracy
    const dev = join(tiny.dir, 'dev.tsv');
    const packedOut = JSON.parse(await captureStdout(() => evalCommand.run({ positionals: [file], options: { data: dev, json: true, kernels: 'reference' } })));
    const modelOut = JSON.parse(await captureStdout(() => evalCommand.run({ positionals: [join(recipe.output, 'w1a1', 'best.safetensors')], options: { data: dev, json: true, engine: 'reference' } })));
    const onTheFly = JSON.parse(await captureStdout(() => evalCommand.run({ positionals: [join(recipe.output, 'w1a1', 'best.safetensors')], options: { data: dev, json: true, engine: 'packed', kernels: 'reference' } })));
    assert.equal(packedOut.engine, 'packed');
    assert.equal(packedOut.main, modelOut.main);
    assert.equal(onTheFly.main, modelOut.main);
    // --engine onnx: the checkpoint exported to ONNX on ONNX Runtime (float32 accumulation: ties may flip)
    const onnxOut = JSON.parse(await captureStdout(() => evalCommand.run({ positionals: [join(recipe.output, 'w1a1', 'best.safetensors')], options: { data: dev, json: true, engine: 'onnx' } })));
    assert.equal(onnxOut.engine, 'onnx');
    assert.ok(Math.abs(onnxOut.main - modelOut.main) <= 1 / 16 + 1e-9, `onnx ${onnxOut.main} vs ${modelOut.main}`);
    // safetensors export: the latent weights, loadable as a checkpoint
    const st = exportCheckpoint(join(recipe.output, 'w1a1', 'best.safetensors'), 'safetensors', join(tiny.dir, 'latent.safetensors'), 'reference');
    const again = loadCheckpoint(st.path, referenceKernels);
    assert.deepEqual(Array.from(again.model.paramData), Array.from(loadCheckpoint(join(recipe.output, 'w1a1', 'best.safetensors'), referenceKernels).model.paramData));
    assert.throws(() => exportCheckpoint(st.path, 'safetensors', st.path), /overwrite/);
  } finally {
    rmSync(tiny.dir, { recursive: true, force: true });
  }
});
