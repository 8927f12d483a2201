import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBitkitError } from '../../../runtime/errors.js';
import type { QuantPlan } from '../../../runtime/model/types.js';
import { buildQuantPlan, listQuantPoints, planFor, planQuantizes } from '../../../runtime/quant/plan.js';
import type { LayerOverride, QuantizationOptions } from '../../../runtime/recipe/types.js';

const opts: QuantizationOptions = {
  weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true, scaleInit: 'reference',
  attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null,
};
const cfg = { layers: 2 };
const stage = (name = 'w1a1', w: 1 | 32 = 1, a: 1 | 2 | 32 = 1, q: Partial<QuantizationOptions> = {}) =>
  ({ name, weightBits: w, activationBits: a, quantization: { ...opts, ...q } });
const get = (p: QuantPlan, n: string) => {
  const e = planFor(p, n);
  assert.ok(e, `no plan entry for ${n}`);
  return e;
};

test('quant points: names, kinds and order (1 + 10 per layer + 1)', () => {
  const pts = listQuantPoints(cfg);
  assert.equal(pts.length, 22);
  assert.deepEqual(pts.slice(0, 11).map((p) => p.name), [
    'bert.embeddings.word_embeddings',
    'bert.encoder.layer.0.attention.self.query',
    'bert.encoder.layer.0.attention.self.key',
    'bert.encoder.layer.0.attention.self.value',
    'bert.encoder.layer.0.attention.self.query_layer',
    'bert.encoder.layer.0.attention.self.key_layer',
    'bert.encoder.layer.0.attention.self.value_layer',
    'bert.encoder.layer.0.attention.self.attention_probs',
    'bert.encoder.layer.0.attention.output.dense',
    'bert.encoder.layer.0.intermediate.dense',
    'bert.encoder.layer.0.output.dense',
  ]);
  assert.equal(pts.at(-1)!.name, 'bert.pooler.dense');
  assert.deepEqual(pts.filter((p) => p.kind === 'activation').length, 8);
  assert.equal(listQuantPoints({ layers: 3 }).length, 32);
});

test('defaults: stage bits everywhere, two-set table, embeddings binarized', () => {
  const p = buildQuantPlan(cfg, stage(), []);
  assert.equal(p.layers.length, 22);
  assert.equal(p.options.ffnActivation, 'relu');
  const unsigned = p.layers.filter((l) => l.activationSet === 'unsigned').map((l) => l.layer);
  assert.deepEqual(unsigned, [
    'bert.encoder.layer.0.attention.self.attention_probs', 'bert.encoder.layer.0.output.dense',
    'bert.encoder.layer.1.attention.self.attention_probs', 'bert.encoder.layer.1.output.dense',
  ]);
  assert.deepEqual(get(p, 'bert.encoder.layer.1.attention.self.query'),
    { layer: 'bert.encoder.layer.1.attention.self.query', weightBits: 1, activationBits: 1, activationSet: 'signed', keepFullPrecision: false, kind: 'linear' });
  assert.deepEqual(get(p, 'bert.encoder.layer.0.attention.self.key_layer'),
    { layer: 'bert.encoder.layer.0.attention.self.key_layer', weightBits: 32, activationBits: 1, activationSet: 'signed', keepFullPrecision: false, kind: 'activation' });
  assert.deepEqual(get(p, 'bert.embeddings.word_embeddings'),
    { layer: 'bert.embeddings.word_embeddings', weightBits: 1, activationBits: 32, activationSet: 'signed', keepFullPrecision: false, kind: 'embedding' });
  assert.ok(planQuantizes(p));
});

test('binarizeEmbeddings false keeps the table FP; W32A32 plan is the FP model', () => {
  assert.equal(get(buildQuantPlan(cfg, stage('s', 1, 1, { binarizeEmbeddings: false }), []), 'bert.embeddings.word_embeddings').weightBits, 32);
  const fp = buildQuantPlan(cfg, stage('fp', 32, 32), []);
  assert.ok(fp.layers.every((l) => l.weightBits === 32 && l.activationBits === 32));
  assert.equal(planQuantizes(fp), false);
  assert.equal(planQuantizes(null), false);
});

test('two-set off: every activation signed', () => {
  const p = buildQuantPlan(cfg, stage('s', 1, 1, { twoSet: false }), []);
  assert.ok(p.layers.every((l) => l.activationSet === 'signed'));
});

test('overrides: globs, stage restriction, later wins, keepFullPrecision, non-applicable fields', () => {
  const overrides: LayerOverride[] = [
    { match: 'bert.encoder.layer.*.attention.self.{query,key}', activationBits: 2 },
    { match: '**.output.dense', activationSet: 'signed' },
    { match: 'bert.encoder.layer.1.**', activationBits: 4, stages: ['other'] },
    { match: 'bert.pooler.dense', keepFullPrecision: true },
    { match: 'bert.encoder.layer.0.attention.self.query', activationBits: 8 },
    { match: '**.attention_probs', weightBits: 1, activationBits: 2 },
    { match: 'bert.embeddings.word_embeddings', activationBits: 2 },
  ];
  const p = buildQuantPlan(cfg, stage('w1a1'), overrides);
  assert.equal(get(p, 'bert.encoder.layer.0.attention.self.query').activationBits, 8); // later override wins
  assert.equal(get(p, 'bert.encoder.layer.1.attention.self.key').activationBits, 2);
  assert.equal(get(p, 'bert.encoder.layer.1.attention.self.value').activationBits, 1); // not matched
  assert.equal(get(p, 'bert.encoder.layer.1.attention.self.query_layer').activationBits, 1); // * stays in a segment
  assert.equal(get(p, 'bert.encoder.layer.0.output.dense').activationSet, 'signed');
  assert.equal(get(p, 'bert.encoder.layer.0.attention.output.dense').activationSet, 'signed');
  assert.equal(get(p, 'bert.encoder.layer.1.intermediate.dense').activationBits, 1); // other stage only
  assert.deepEqual(get(p, 'bert.pooler.dense'),
    { layer: 'bert.pooler.dense', weightBits: 32, activationBits: 32, activationSet: 'signed', keepFullPrecision: true, kind: 'linear' });
  const probs = get(p, 'bert.encoder.layer.0.attention.self.attention_probs');
  assert.equal(probs.weightBits, 32); // an activation point has no weight
  assert.equal(probs.activationBits, 2);
  assert.equal(get(p, 'bert.embeddings.word_embeddings').activationBits, 32); // the table has no input activation
  const other = buildQuantPlan(cfg, stage('other'), overrides);
  assert.equal(get(other, 'bert.encoder.layer.1.intermediate.dense').activationBits, 4);
  assert.equal(get(other, 'bert.encoder.layer.0.intermediate.dense').activationBits, 1);
});

test('unsupported bit widths are rejected with stable codes', () => {
  const bad = (f: () => unknown, code: string) => assert.throws(f, (e: unknown) => isBitkitError(e) && e.code === code);
  bad(() => buildQuantPlan(cfg, { ...stage(), weightBits: 2 }, []), 'BK4101');
  bad(() => buildQuantPlan(cfg, stage(), [{ match: '**.query', weightBits: 8 }]), 'BK4101');
  bad(() => buildQuantPlan(cfg, { ...stage(), activationBits: 16 }, []), 'BK4102');
});
