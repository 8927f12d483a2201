/** GLUE metrics against values computed by hand (arithmetic in the comments). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracy, averageRanks, f1, glueMetric, matthews, pearson, spearman } from '../../../runtime/data/metrics.js';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b} ${msg ?? ''}`);

// preds  1 0 1 1 0
// labels 1 0 0 1 1
// TP = 2 (i=0,3), TN = 1 (i=1), FP = 1 (i=2), FN = 1 (i=4)
const preds = [1, 0, 1, 1, 0];
const labels = [1, 0, 0, 1, 1];

// x = 1..5, y = 2 4 5 4 5: x̄ = 3, ȳ = 4; dx = -2 -1 0 1 2, dy = -2 0 1 0 1
// Σdxdy = 4 + 0 + 0 + 0 + 2 = 6, Σdx² = 10, Σdy² = 4 + 0 + 1 + 0 + 1 = 6  ->  r = 6 / sqrt(60)
// ranks of y with ties averaged: 2 -> 1; 4,4 -> (2+3)/2 = 2.5; 5,5 -> (4+5)/2 = 4.5  ->  1 2.5 4.5 2.5 4.5
// rank deviations from 3: -2 -0.5 1.5 -0.5 1.5; Σdx·dr = 4 + 0.5 + 0 - 0.5 + 3 = 7, Σdr² = 4 + .25 + 2.25 + .25 + 2.25 = 9
// rho = 7 / sqrt(10 · 9) = 7 / sqrt(90)   (scipy.stats.spearmanr: 0.7378647873726218)
const x = [1, 2, 3, 4, 5];
const y = [2, 4, 5, 4, 5];

describe('metrics', () => {
  it('accuracy = 3/5', () => close(accuracy(preds, labels), 0.6));

  it('F1 of class 1 = 2TP / (2TP + FP + FN) = 4 / 6', () => {
    close(f1(preds, labels), 2 / 3);
    close(f1([0, 0], [0, 0]), 0); // no positives anywhere: 0 (sklearn zero_division=0)
  });

  it('Matthews = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2 − 1) / sqrt(3·3·2·2) = 1/6', () => {
    close(matthews(preds, labels), 1 / 6);
    close(matthews([0, 1, 2, 2], [0, 1, 2, 2]), 1);
    close(matthews([1, 0, 1, 0], [0, 1, 0, 1]), -1);
    close(matthews([1, 1, 1], [0, 1, 1]), 0); // constant prediction: denominator 0 -> 0
    // 3 classes: preds 0 1 2 2, labels 0 1 1 2 -> c = 3, s = 4,
    // p = (1, 1, 2), t = (1, 2, 1): Σp·t = 1 + 2 + 2 = 5, Σp² = 6, Σt² = 6 -> (3·4 − 5) / sqrt((16−6)(16−6)) = 7/10
    close(matthews([0, 1, 2, 2], [0, 1, 1, 2]), 0.7);
  });

  it('Pearson = 6 / sqrt(60)', () => {
    close(pearson(x, y), 6 / Math.sqrt(60));
    close(pearson(x, [3, 3, 3, 3, 3]), 0);
  });

  it('Spearman with tied ranks averaged = 7 / sqrt(90)', () => {
    assert.deepEqual(Array.from(averageRanks(y)), [1, 2.5, 4.5, 2.5, 4.5]);
    close(spearman(x, y), 7 / Math.sqrt(90));
    close(spearman(x, [10, 20, 30, 40, 1000]), 1);
  });

  it('glueMetric: each task its metrics and main score', () => {
    assert.deepEqual(glueMetric('sst2', preds, labels), { metrics: { accuracy: 0.6 }, main: 0.6, mainName: 'accuracy' });
    const cola = glueMetric('cola', preds, labels);
    assert.equal(cola.mainName, 'mcc');
    close(cola.main, 1 / 6);
    const mrpc = glueMetric('mrpc', preds, labels); // (2/3 + 3/5) / 2 = 19/30
    assert.deepEqual(Object.keys(mrpc.metrics), ['f1', 'accuracy', 'f1_accuracy']);
    close(mrpc.main, 19 / 30);
    close(glueMetric('qqp', preds, labels).main, 19 / 30);
    const sts = glueMetric('stsb', x, y);
    assert.equal(sts.mainName, 'pearson_spearman');
    close(sts.metrics.pearson!, 6 / Math.sqrt(60));
    close(sts.main, (6 / Math.sqrt(60) + 7 / Math.sqrt(90)) / 2);
    for (const t of ['mnli', 'qnli', 'rte', 'wnli', 'example'] as const) close(glueMetric(t, preds, labels).main, 0.6, t);
    close(glueMetric('custom', x, y, { isRegression: true }).main, sts.main);
    assert.throws(() => glueMetric('sst2', [1], [1, 0]), RangeError);
  });
});
