// Completion and hover through the real server: schema keys with docs, enum values, stage names, layer names and
// patterns from the model, file paths, snippets (stage, whole recipe); key docs with formulas, stage summaries,
// the layers a pattern matches with their shapes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CompletionItem, MarkupContent } from 'vscode-languageserver-protocol';
import { applyEdits, LspClient, positionOf, uriOf } from './lsp-client.js';
import { BASE, checkpointRecipe, tempDir, writeCheckpoint } from './fixtures.js';

let client: LspClient;
let dir: string;
before(async () => {
  client = await LspClient.start();
  dir = tempDir('complete');
});
after(async () => {
  await client.stop();
});

const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const docOf = (i: CompletionItem | undefined) => (i?.documentation as MarkupContent | undefined)?.value ?? '';
/** Apply a completion item's edit to the text (snippet placeholders left as written). */
const accept = (text: string, item: CompletionItem) => applyEdits(text, [item.textEdit as { range: never; newText: string }]);

test('keys of the mapping at the cursor, without those already there, with their documentation', async () => {
  const text = BASE.replace('    bits: W1A1\n', '    bits: W1A1\n    ep\n');
  const uri = uriOf(join(dir, 'keys.bitkit.yaml'));
  await client.open(uri, text);
  const items = await client.completion(uri, positionOf(text, '    ep\n', 6));
  assert.ok(labels(items).includes('epochs') && !labels(items).includes('bits') && !labels(items).includes('name'), labels(items).join());
  const epochs = items.find((i) => i.label === 'epochs')!;
  assert.equal(docOf(epochs), 'Passes over the training set. Default: 3.');
  assert.equal(accept(text, epochs), BASE.replace('    bits: W1A1\n', '    bits: W1A1\n    epochs: $0\n'));

  // top level: the missing keys only; nested: loss keys inside a flow mapping
  const top = await client.completion(uri, { line: 11, character: 0 });
  assert.deepEqual(labels(top), ['name', 'data', 'tokenizer', 'quantization', 'defaults', 'overrides', 'kernels', 'threads', 'output']);
  const flow = BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    loss: { pred: 1, te }\n');
  await client.change(uri, flow);
  const lossKeys = await client.completion(uri, positionOf(flow, 'te }', 2));
  assert.deepEqual(labels(lossKeys), ['rep', 'label', 'attention', 'temperature']);
});

test('enum values with their descriptions; bits short forms; booleans', async () => {
  const text = BASE.replace('task: example', 'task: ').replace('bits: W1A1', 'bits: W1').replace('    bits: W1A2\n', '    bits: W1A2\n    teacherDropout: \n');
  const uri = uriOf(join(dir, 'enums.bitkit.yaml'));
  await client.open(uri, text);
  const tasks = await client.completion(uri, positionOf(text, 'task: ', 6));
  assert.deepEqual(labels(tasks), ['sst2', 'cola', 'stsb', 'mrpc', 'rte', 'qnli', 'qqp', 'mnli', 'wnli', 'example', 'custom']);
  assert.equal(docOf(tasks.find((i) => i.label === 'cola')), 'CoLA acceptability, Matthews correlation.');
  const bits = await client.completion(uri, positionOf(text, 'bits: W1\n', 8));
  assert.ok(labels(bits).includes('W1A2') && labels(bits).includes('W32A32') && bits.length === 12, labels(bits).join());
  assert.equal(accept(text, bits.find((i) => i.label === 'W1A1')!), text.replace('bits: W1\n', 'bits: W1A1\n'));
  assert.deepEqual(labels(await client.completion(uri, positionOf(text, 'teacherDropout: ', 16))), ['true', 'false']);
});

test('stage names for teacher and init (earlier stages only), and for an override stages list', async () => {
  const text = `${BASE.replace('teacher: w1a2', 'teacher: w')}  - name: w1a1b\n    init: \noverrides:\n  - match: bert.pooler.dense\n    weightBits: 32\n    stages:\n      - \n`;
  const uri = uriOf(join(dir, 'names.bitkit.yaml'));
  await client.open(uri, text);
  assert.deepEqual(labels(await client.completion(uri, positionOf(text, 'teacher: w', 10))), ['w1a2', 'teacher']);
  assert.deepEqual(labels(await client.completion(uri, positionOf(text, 'init: ', 6))), ['w1a2', 'w1a1', 'teacher']);
  assert.deepEqual(labels(await client.completion(uri, positionOf(text, '      - \n', 8))), ['w1a2', 'w1a1', 'w1a1b']);
});

test('layer names and per-layer patterns from the model: the recipe architecture and a checkpoint header', async () => {
  const text = `${BASE}overrides:\n  - match: bert.\n`;
  const uri = uriOf(join(dir, 'layers.bitkit.yaml'));
  await client.open(uri, text);
  const items = await client.completion(uri, positionOf(text, 'match: bert.', 12));
  assert.equal(items.length, 2 * 10 + 2 + 10, labels(items).join()); // 2 layers x 10 points + embeddings + pooler, 10 patterns
  assert.ok(labels(items).includes('bert.encoder.layer.*.attention.self.attention_probs'));
  assert.equal(docOf(items.find((i) => i.label === 'bert.encoder.layer.1.intermediate.dense')), 'linear [128, 64], the architecture in the recipe');

  writeCheckpoint(join(dir, 'teacher.safetensors'), 3);
  const ck = checkpointRecipe('teacher.safetensors', '  - match: \n');
  await client.change(uri, ck);
  const fromHeader = await client.completion(uri, positionOf(ck, 'match: ', 7));
  assert.equal(fromHeader.length, 3 * 10 + 2 + 10);
  assert.equal(docOf(fromHeader.find((i) => i.label === 'bert.encoder.layer.2.output.dense')), 'linear [8, 16], checkpoint teacher.safetensors');
});

test('file paths relative to the recipe', async () => {
  mkdirSync(join(dir, 'glue', 'SST-2'), { recursive: true });
  writeFileSync(join(dir, 'glue', 'SST-2', 'train.tsv'), 'sentence\tlabel\n');
  const text = BASE.replace('task: example', 'task: sst2\ndata:\n  train: glue/SST-2/\n  dev: gl');
  const uri = uriOf(join(dir, 'paths.bitkit.yaml'));
  await client.open(uri, text);
  const top = await client.completion(uri, positionOf(text, 'dev: gl', 7));
  assert.ok(labels(top).includes('glue/') && !labels(top).includes('paths.bitkit.yaml'), labels(top).join());
  assert.deepEqual(labels(await client.completion(uri, positionOf(text, 'train: glue/SST-2/', 18))), ['glue/SST-2/train.tsv']);
});

test('snippets: a whole recipe in an empty file, a stage in the stages list', async () => {
  const uri = uriOf(join(dir, 'empty.bitkit.yaml'));
  await client.open(uri, '');
  const items = await client.completion(uri, { line: 0, character: 0 });
  assert.deepEqual(labels(items), ['bitkit recipe']);
  const body = items[0]!.insertText!.replace(/\$\{\d+\|([^,|]+)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$0/g, '');
  // the snippet (placeholders at their defaults) is a recipe whose only complaints are its placeholder data files
  const d = await client.change(uri, body);
  assert.deepEqual(d.map((x) => x.code), ['BK5001', 'BK5001']);

  const text = `${BASE}  - \n`;
  await client.change(uri, text);
  const stage = (await client.completion(uri, positionOf(text, '  - \n', 4))).find((i) => i.label === 'stage')!;
  assert.equal(stage.textEdit!.newText, 'name: ${1:w1a1}\n    bits: ${2|W1A1,W1A1,W1A2,W1A4,W1A8|}\n    epochs: ${3:3}$0');
});

test('hover: key meaning, default and formula; enum values; stage summaries with chain and planned size; pattern layers', async () => {
  const text = `${BASE}overrides:\n  - match: bert.encoder.layer.*.attention.self.{query,key}\n    activationBits: 2\n`;
  const uri = uriOf(join(dir, 'hover.bitkit.yaml'));
  await client.open(uri, text);
  const value = async (needle: string, delta = 1, n = 0) => ((await client.hover(uri, positionOf(text, needle, delta, n)))?.contents as MarkupContent | undefined)?.value;

  const bits = await value('bits', 1);
  assert.match(bits!, /^\*\*bits\*\* `stages\[0\]\.bits`\n\nBit widths of the stage/);
  assert.match(bits!, /W_b = a_W · sign\(W - mean\(W\)\)/);
  assert.match((await value('task'))!, /Default|The task: a GLUE task/);
  assert.equal(await value('W1A2', 1), `**W1A2**: Short form W<weight bits>A<activation bits>.\n\n---\n\n${bits!}`);

  assert.equal(await value('w1a1', 1), '**Stage 2: w1a1** (W1A1)\n- teacher chain: w1a1 <- w1a2 <- teacher\n- starts from: w1a2\n- planned size: 398.8 kB (FP32 8.12 MB, 20.3x smaller), model from the architecture in the recipe');
  assert.equal(await value('teacher: w1a2', 10), '**Stage 1: w1a2** (W1A2)\n- teacher chain: w1a2 <- teacher\n- starts from: teacher\n- planned size: 398.8 kB (FP32 8.12 MB, 20.3x smaller), model from the architecture in the recipe');
  assert.equal(
    await value('match: bert', 8),
    '**bert.encoder.layer.*.attention.self.{query,key}** matches 4 layer(s) of the architecture in the recipe\n\n' +
      '- `bert.encoder.layer.0.attention.self.query` linear [64, 64], default set signed\n- `bert.encoder.layer.0.attention.self.key` linear [64, 64], default set signed\n' +
      '- `bert.encoder.layer.1.attention.self.query` linear [64, 64], default set signed\n- `bert.encoder.layer.1.attention.self.key` linear [64, 64], default set signed',
  );
  assert.match((await value('activationBits', 2))!, /§3 1 bit: signed `a · sign\(x\)`/);
});
