// The model behind a recipe: layer names from a safetensors header, a Hugging Face folder, a `.bitpack` and the
// recipe's architecture; headers cached and re-read only when the file changes (mtime, size) or the client says so.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listQuantPoints } from '../../runtime/quant/plan.js';
import { directFileIO, readModelInfo, type ModelInfo } from '../../runtime/recipe/model-source.js';
import { ModelCatalog } from '../../server/model-catalog.js';
import { LspClient, rangeOf, uriOf } from './lsp-client.js';
import { checkpointRecipe, tempDir, writeBitpackFixture, writeCheckpoint, writeHfFolder } from './fixtures.js';

let dir: string;
let client: LspClient;
before(async () => {
  dir = tempDir('catalog');
  client = await LspClient.start();
});
after(async () => {
  await client.stop();
});

test('layer names and shapes from a safetensors header, an HF folder and an architecture agree with the quant plan', () => {
  writeCheckpoint(join(dir, 'a.safetensors'), 2);
  writeHfFolder(join(dir, 'hf'), 2);
  const names = listQuantPoints({ layers: 2 }).map((p) => p.name);
  const st = readModelInfo({ kind: 'checkpoint', path: join(dir, 'a.safetensors') }, directFileIO) as ModelInfo;
  const hf = readModelInfo({ kind: 'checkpoint', path: join(dir, 'hf') }, directFileIO) as ModelInfo;
  const arch = readModelInfo({ kind: 'architecture', architecture: { layers: 2, hidden: 8, heads: 2, intermediate: 16, maxPositions: 64, vocabSize: 32 } }, directFileIO) as ModelInfo;
  for (const m of [st, hf, arch]) assert.deepEqual(m.layers.map((l) => l.name), names);
  assert.deepEqual([st.origin, hf.origin, arch.origin], ['checkpoint a.safetensors', 'Hugging Face folder hf', 'the architecture in the recipe']);
  // the same shapes from the header and from the parameter table
  assert.deepEqual(st.layers.map((l) => l.shape), arch.layers.map((l) => l.shape));
  assert.deepEqual(hf.layers.find((l) => l.name === 'bert.encoder.layer.1.intermediate.dense')!.shape, [16, 8]);
  assert.equal(hf.config.maxPositions, 64);
  // a .bitpack: its config, read and validated by runtime/io/bitpack.ts
  const layers = writeBitpackFixture(join(dir, 'model.bitpack'));
  const bp = readModelInfo({ kind: 'checkpoint', path: join(dir, 'model.bitpack') }, directFileIO) as ModelInfo;
  assert.equal(bp.origin, 'bitpack model.bitpack');
  assert.deepEqual(bp.layers.map((l) => l.name), listQuantPoints({ layers }).map((p) => p.name));
  writeFileSync(join(dir, 'fake.bitpack'), '{"not": "a bitpack"}');
  const fake = readModelInfo({ kind: 'checkpoint', path: join(dir, 'fake.bitpack') }, directFileIO);
  assert.match((fake as { error: string }).error, /not a \.bitpack file: it looks like a JSON file/);
});

test('the catalog reads a header once, again only when the file changes or is invalidated', () => {
  const path = join(dir, 'cached.safetensors');
  writeCheckpoint(path, 2);
  const catalog = new ModelCatalog();
  const ref = { kind: 'checkpoint' as const, path };
  for (let i = 0; i < 50; i++) assert.equal((readModelInfo(ref, catalog) as ModelInfo).config.layers, 2);
  assert.equal(catalog.reads.safetensorsHeader, 1);
  writeCheckpoint(path, 4);
  assert.equal((readModelInfo(ref, catalog) as ModelInfo).config.layers, 4);
  assert.equal(catalog.reads.safetensorsHeader, 2);
  // same size, new mtime
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  readModelInfo(ref, catalog);
  assert.equal(catalog.reads.safetensorsHeader, 3);
  catalog.invalidate(dir);
  readModelInfo(ref, catalog);
  assert.equal(catalog.reads.safetensorsHeader, 4);
  // a removed file is not served from the cache
  rmSync(path);
  assert.equal(readModelInfo(ref, catalog), undefined);
});

test('through the server: an HF folder teacher, a broken HF folder, and a checkpoint that changes on disk', async () => {
  writeHfFolder(join(dir, 'bert-tiny'), 2);
  const ov = '  - match: bert.encoder.layer.3.attention.self.query\n    weightBits: 32\n';
  const text = checkpointRecipe('bert-tiny', ov);
  const uri = uriOf(join(dir, 'hf.bitkit.yaml'));
  const d = await client.open(uri, text);
  assert.deepEqual(d.map((x) => [x.code, x.range, String(x.message).split('\n')[0]]), [
    ['BK4003', rangeOf(text, 'bert.encoder.layer.3.attention.self.query'), "Override 'bert.encoder.layer.3.attention.self.query' matches no layer of the model (Hugging Face folder bert-tiny)."],
  ]);

  // the folder gets a 4-layer model: the client reports the change, the server re-reads and re-validates
  writeHfFolder(join(dir, 'bert-tiny'), 4);
  const wait = client.nextDiagnostics(uri);
  await client.filesChanged([join(dir, 'bert-tiny', 'config.json')]);
  assert.deepEqual((await wait).diagnostics, []);

  writeHfFolder(join(dir, 'no-config'), 2);
  rmSync(join(dir, 'no-config', 'config.json'));
  const broken = checkpointRecipe('no-config', ov);
  const db = await client.open(uriOf(join(dir, 'broken-hf.bitkit.yaml')), broken);
  assert.deepEqual(db.map((x) => [x.code, x.range, (x.data as { reason: string }).reason]), [
    ['BK5005', rangeOf(broken, 'no-config'), 'a Hugging Face model folder needs config.json, and this folder has none'],
  ]);

  // a checkpoint rewritten on disk is picked up at the next edit (mtime + size), without a client notification
  writeCheckpoint(join(dir, 'grows.safetensors'), 2);
  const g = checkpointRecipe('grows.safetensors', ov);
  const guri = uriOf(join(dir, 'grows.bitkit.yaml'));
  assert.deepEqual((await client.open(guri, g)).map((x) => x.code), ['BK4003']);
  writeCheckpoint(join(dir, 'grows.safetensors'), 6);
  assert.deepEqual(await client.change(guri, `${g}# edited\n`), []);

  // a .bitpack teacher: layer names from its metadata; a damaged one is BK5005 with the reader's reason
  writeBitpackFixture(join(dir, 'teacher.bitpack'));
  const bitpack = checkpointRecipe('teacher.bitpack', ov);
  const dp = await client.open(uriOf(join(dir, 'bitpack.bitkit.yaml')), bitpack);
  assert.deepEqual(dp.map((x) => [x.code, x.range, String(x.message).split('\n')[0]]), [
    ['BK4003', rangeOf(bitpack, 'bert.encoder.layer.3.attention.self.query'), "Override 'bert.encoder.layer.3.attention.self.query' matches no layer of the model (bitpack teacher.bitpack)."],
  ]);
  const bytes = readFileSync(join(dir, 'teacher.bitpack'));
  writeFileSync(join(dir, 'teacher.bitpack'), bytes.subarray(0, bytes.length - 8));
  const dt = await client.change(uriOf(join(dir, 'bitpack.bitkit.yaml')), `${bitpack}# edited\n`);
  assert.deepEqual(dt.map((x) => [x.code, x.range]), [['BK5005', rangeOf(bitpack, 'teacher.bitpack')]]);
  assert.match(String(dt[0]!.message), /^The teacher checkpoint is corrupt: .*teacher\.bitpack \(.+\)/);
});
