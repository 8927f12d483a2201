import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceKernels as k } from '../../../runtime/kernels/reference.js';
import { initialScale, levelsQp, meanAtLeast, SCALE_FALLBACK } from '../../../runtime/quant/scale-init.js';
import type { QuantizationOptions } from '../../../runtime/recipe/types.js';

const base: QuantizationOptions = {
  weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true, scaleInit: 'reference',
  attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null,
};
const u = Float32Array.from([-1, 0, 0.25, 0.5, 0.75, 2, -0.5, 1]); // mean|u| = 6/8 = 0.75
const meanAbs = 0.75;
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`);
const init = (signed: boolean, bits: number, o: Partial<QuantizationOptions> = {}) => initialScale(k, u, u.length, { signed, bits }, { ...base, ...o });

test('reference init: 2 mean|x| signed, 4 mean|x| unsigned at 1 bit', () => {
  close(init(true, 1), 2 * meanAbs);
  close(init(false, 1), 4 * meanAbs);
});

test('paper init at 1 bit: mean|x| signed, mean of entries >= 0.5 unsigned', () => {
  close(init(true, 1, { scaleInit: 'paper' }), meanAbs);
  close(init(false, 1, { scaleInit: 'paper' }), (0.5 + 0.75 + 2 + 1) / 4);
});

test('multi-bit LSQ init (both scaleInit values)', () => {
  for (const scaleInit of ['reference', 'paper'] as const) {
    close(init(true, 2, { scaleInit }), (2 * meanAbs) / Math.sqrt(1));
    close(init(true, 4, { scaleInit }), (2 * meanAbs) / Math.sqrt(7));
    close(init(false, 2, { scaleInit }), (4 * meanAbs) / Math.sqrt(3));
    close(init(false, 8, { scaleInit }), (4 * meanAbs) / Math.sqrt(255));
  }
});

test('elastic off: analytic optimum, or the fixed clip (divided by Qp above 1 bit)', () => {
  close(init(true, 1, { elastic: false }), meanAbs);
  close(init(false, 1, { elastic: false }), (0.5 + 0.75 + 2 + 1) / 4);
  close(init(true, 2, { elastic: false }), 2 * meanAbs);
  close(init(true, 1, { elastic: false, fixedClip: 2.5 }), 2.5);
  close(init(false, 4, { elastic: false, fixedClip: 3 }), 3 / 15);
  close(init(true, 4, { elastic: true, fixedClip: 3 }), (2 * meanAbs) / Math.sqrt(7)); // fixedClip only without elastic
});

test('levels and fallbacks', () => {
  assert.deepEqual([levelsQp({ signed: true, bits: 1 }), levelsQp({ signed: false, bits: 1 }), levelsQp({ signed: true, bits: 4 }), levelsQp({ signed: false, bits: 2 })], [1, 1, 7, 3]);
  close(meanAtLeast(Float32Array.from([0.1, 0.3, -1]), 3, 0.5), 0.2); // none >= 0.5: mean of the positive entries
  assert.equal(initialScale(k, new Float32Array(4), 4, { signed: true, bits: 1 }, base), SCALE_FALLBACK);
});
