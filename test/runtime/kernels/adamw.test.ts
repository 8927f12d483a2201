// AdamW against a two-step example worked by hand, with and without bias correction.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdamWOptions } from '../../../runtime/kernels/kernels.js';
import { BitkitError } from '../../../runtime/errors.js';
import { referenceKernels as K } from '../../../runtime/kernels/reference.js';

const base: Omit<AdamWOptions, 'step' | 'biasCorrection'> = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected}`);
}

describe('adamw', () => {
  // p0 = 1, g1 = 0.5, g2 = -0.25; the second parameter has g = 0 and p = -2 (pure weight decay when m = v = 0).
  it('with bias correction (torch.optim.AdamW)', () => {
    const p = new Float32Array([1, -2]);
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    K.adamw(p, new Float32Array([0.5, 0]), m, v, 2, { ...base, step: 1, biasCorrection: true });
    // m = 0.05, v = 0.00025; mhat = 0.05 / 0.1 = 0.5, vhat = 0.00025 / 0.001 = 0.25
    // p = 1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01 * 1) = 0.899000002
    close(m[0]!, 0.05, 1e-9, 'm1');
    close(v[0]!, 0.00025, 1e-10, 'v1');
    close(p[0]!, 0.899000002, 1e-7, 'p1');
    close(p[1]!, -2 - 0.1 * (0 + 0.01 * -2), 1e-7, 'p1 decay only'); // -1.998
    K.adamw(p, new Float32Array([-0.25, 0]), m, v, 2, { ...base, step: 2, biasCorrection: true });
    // m = 0.9 * 0.05 - 0.1 * 0.25 = 0.02; v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
    // mhat = 0.02 / 0.19 = 0.105263158; vhat = 0.00031225 / 0.001999 = 0.156203102, sqrt = 0.395225381
    // p = 0.899 - 0.1 * (0.105263158 / 0.395225391 + 0.01 * 0.899) = 0.899 - 0.1 * (0.266337033 + 0.00899) = 0.871467286
    close(m[0]!, 0.02, 3e-9, 'm2'); // from the float32-stored m1
    close(v[0]!, 0.00031225, 1e-10, 'v2');
    close(p[0]!, 0.871467286, 1e-7, 'p2');
  });

  it('without bias correction (BertAdam)', () => {
    const p = new Float32Array([1]);
    const m = new Float32Array(1);
    const v = new Float32Array(1);
    K.adamw(p, new Float32Array([0.5]), m, v, 1, { ...base, step: 1, biasCorrection: false });
    // p = 1 - 0.1 * (0.05 / (0.015811388 + 1e-8) + 0.01) = 1 - 0.1 * (3.162275660 + 0.01) = 0.682772434
    close(p[0]!, 0.682772434, 1e-7, 'p1');
    K.adamw(p, new Float32Array([-0.25]), m, v, 1, { ...base, step: 2, biasCorrection: false });
    // p = 0.682772434 - 0.1 * (0.02 / (0.017670597 + 1e-8) + 0.00682772434)
    //   = 0.682772434 - 0.1 * (1.131823029 + 0.006827724) = 0.568907359
    close(p[0]!, 0.568907359, 1e-7, 'p2');
  });

  it('bias correction needs a 1-based step', () => {
    const z = new Float32Array(1);
    assert.throws(() => K.adamw(z, z.slice(), z.slice(), z.slice(), 1, { ...base, step: 0, biasCorrection: true }),
      (e: unknown) => e instanceof BitkitError && e.code === 'BK7002');
  });
});
