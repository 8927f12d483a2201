// Every kernel checks its buffers against its sizes: one element short anywhere -> BitkitError BK7001, and nothing
// written. Table-driven over the whole Kernels interface, so a new kernel without an entry fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import type { Kernels } from '../../../runtime/kernels/kernels.js';
import { packedLength } from '../../../runtime/kernels/kernels.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { Rng } from '../../../runtime/util/rng.js';

type Buf = Float32Array | Int32Array | Uint32Array;
type Method = Exclude<keyof Kernels, 'name'>;

const rng = new Rng(42);
const f = (n: number): Float32Array => new Float32Array(n).map(() => rng.normal());
const u = (n: number): Uint32Array => new Uint32Array(n).map(() => (rng.next() * 4294967296) >>> 0);

const M = 3;
const KK = 70;
const N = 4;
const R = 6;
const C = 5;
const B = 2;
const T = 3;
const NH = 2;
const HS = 2;
const spec = { signed: false, bits: 4, offset: -0.5 };
const opts = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, step: 1, biasCorrection: true };

/** Valid arguments for each kernel (fresh buffers on every call). */
const cases: Record<Method, () => unknown[]> = {
  gemmNN: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, false, 2],
  gemmNT: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, true, 2],
  gemmTN: () => [f(2 * M * N), f(2 * M * KK), f(2 * KK * N), M, KK, N, false, 2],
  packBits: () => [new Uint32Array(packedLength(M, KK)), f(M * KK), f(KK), 0, M, KK],
  binaryGemmSS: () => [f(M * N), u(packedLength(M, KK)), u(packedLength(N, KK)), M, KK, N, 1, f(N)],
  binaryGemmUS: () => [f(M * N), u(packedLength(M, KK)), u(packedLength(N, KK)), M, KK, N, 1, f(N)],
  addBias: () => [f(R * C), f(R * C), f(C), R, C],
  addBiasBackward: () => [f(C), f(R * C), R, C],
  add: () => [f(R), f(R), f(R), R],
  scale: () => [f(R), f(R), 2, R],
  reluForward: () => [f(R), f(R), R],
  reluBackward: () => [f(R), f(R), f(R), R],
  geluForward: () => [f(R), f(R), R],
  geluBackward: () => [f(R), f(R), f(R), R],
  tanhForward: () => [f(R), f(R), R],
  tanhBackward: () => [f(R), f(R), f(R), R],
  softmaxForward: () => [f(B * NH * T * T), f(B * NH * T * T), f(B * T), 0.5, B * NH * T, T, NH * T],
  softmaxBackward: () => [f(R * C), f(R * C), f(R * C), 0.5, R, C],
  layerNormForward: () => [f(R * C), f(R), f(R), f(R * C), f(C), f(C), R, C, 1e-5],
  layerNormBackward: () => [f(R * C), f(C), f(C), f(R * C), f(R * C), f(R), f(R).map(Math.abs), f(C), R, C],
  embeddingForward: () => [f(R * C), new Int32Array([0, 3, 1, 3, 2, 0]), f(4 * C), R, C],
  embeddingBackward: () => [f(4 * C), f(R * C), new Int32Array([0, 3, 1, 3, 2, 0]), R, C],
  splitHeads: () => [f(B * T * NH * HS), f(B * T * NH * HS), B, T, NH, HS],
  mergeHeads: () => [f(B * T * NH * HS), f(B * T * NH * HS), B, T, NH, HS],
  sum: () => [f(R), R],
  sumAbs: () => [f(R), R],
  sumSquares: () => [f(R), R],
  min: () => [f(R), R],
  binarizeWeight: () => [f(R * C), f(R * C), R * C, true],
  binarizeRows: () => [f(R * C), f(R), f(R * C), R, C, true],
  actQuantForward: () => [f(R * C), f(R * C), f(C), 0.3, spec, R, C],
  actQuantBackward: () => [f(R * C), f(C), f(R * C), f(R * C), f(C), 0.3, spec, R, C],
  adamw: () => [f(R), f(R), f(R), f(R).map(Math.abs), R, opts],
};

function call(k: Kernels, name: Method, args: unknown[]): unknown {
  return (k[name] as (...a: unknown[]) => unknown)(...args);
}

function isBuf(a: unknown): a is Buf {
  return a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint32Array;
}

describe('size checks (BK7001)', () => {
  it('the table covers every kernel of the interface', () => {
    const methods = Object.keys(referenceKernels).filter((k) => k !== 'name').sort();
    assert.deepEqual(methods, Object.keys(cases).sort());
  });

  for (const name of Object.keys(cases) as Method[]) {
    it(`${name}: valid sizes run; any buffer one element short throws BK7001 and writes nothing`, () => {
      call(referenceKernels, name, cases[name]());
      const nBufs = cases[name]().filter(isBuf).length;
      for (let which = 0; which < nBufs; which++) {
        const args = cases[name]();
        let seen = -1;
        let shortName = '';
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (isBuf(a) && ++seen === which) {
            args[i] = a.slice(0, a.length - 1);
            shortName = `argument ${i}`;
          }
        }
        const before = args.map((a) => (isBuf(a) ? a.slice() : a));
        assert.throws(() => call(referenceKernels, name, args), (e: unknown) => {
          assert.ok(e instanceof BitkitError, `${name} ${shortName}: not a BitkitError: ${String(e)}`);
          assert.equal(e.code, 'BK7001');
          assert.match(e.message, new RegExp(`^${name}: `));
          assert.ok(e.hint, `${name}: BK7001 without a hint`);
          return true;
        }, `${name} with ${shortName} short`);
        for (let i = 0; i < args.length; i++) {
          if (isBuf(args[i])) assert.deepEqual(args[i], before[i], `${name}: argument ${i} was written`);
        }
      }
    });
  }

  it('names the buffer and both sizes in the message', () => {
    assert.throws(() => referenceKernels.add(new Float32Array(3), new Float32Array(4), new Float32Array(4), 4),
      { name: 'BitkitError', code: 'BK7001', message: 'add: y has 3 elements, needs 4' });
  });

  it('rejects negative or fractional sizes', () => {
    const z = new Float32Array(4);
    assert.throws(() => referenceKernels.gemmNN(z, z, z, -1, 1, 1, false), { code: 'BK7001' });
    assert.throws(() => referenceKernels.scale(z, z, 1, 1.5), { code: 'BK7001' });
  });
});
