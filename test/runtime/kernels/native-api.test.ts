// The native set's surface: it implements exactly the Kernels interface (plus path, threads, setThreads); every
// kernel rejects a buffer one element short with BK7001 before writing anything, on every path; the quantizer and
// optimiser argument errors carry the reference's codes; loading options and environment variables choose the path
// and thread count, and bad ones fail with BK7004. Skipped with a message when the addon is not built.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { loadNativeKernels, nativeAvailable, nativeInfo } from '../../../runtime/kernels/native/index.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { call, isBuf, kernelCases, type Method, opts, spec } from './kernel-cases.js';

const built = nativeAvailable();
const skip = built ? false : 'native addon not built: run `node scripts/build-native.mjs` to test the native kernels';


function bk(code: string, message?: RegExp): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof BitkitError, `not a BitkitError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    assert.ok(e.hint, `${code} without a hint`);
    return true;
  };
}

describe('native kernel set: interface and size checks', { skip }, () => {
  const paths = built ? nativeInfo().available : [];

  it('implements exactly the methods of the reference set, plus path, threads and setThreads', () => {
    const k = loadNativeKernels();
    const methods = Object.keys(referenceKernels).sort();
    const extras = ['path', 'threads', 'setThreads'];
    assert.deepEqual(Object.keys(k).filter((m) => !extras.includes(m)).sort(), methods);
    for (const m of methods) if (m !== 'name') assert.equal(typeof (k as unknown as Record<string, unknown>)[m], 'function', m);
    assert.match(k.name, /^native \((amx|avx512|avx2|portable)\)$/);
  });

  for (const path of paths) {
    it(`${path}: every kernel runs with valid sizes; any buffer one element short throws BK7001 and writes nothing`, () => {
      const k = loadNativeKernels({ path, threads: 2 });
      for (const name of Object.keys(kernelCases) as Method[]) {
        call(k, name, kernelCases[name]());
        const nBufs = kernelCases[name]().filter(isBuf).length;
        for (let which = 0; which < nBufs; which++) {
          const args = kernelCases[name]();
          let seen = -1;
          for (let i = 0; i < args.length; i++) {
            const a = args[i];
            if (isBuf(a) && ++seen === which) args[i] = a.slice(0, a.length - 1);
          }
          const before = args.map((a) => (isBuf(a) ? a.slice() : a));
          assert.throws(() => call(k, name, args), bk('BK7001', new RegExp(`^${name}: `)), `${name}, buffer ${which} short`);
          for (let i = 0; i < args.length; i++) {
            if (isBuf(args[i])) assert.deepEqual(args[i], before[i], `${name}: argument ${i} was written`);
          }
        }
      }
    });
  }

  it('names the buffer and both sizes like the reference; rejects negative, fractional and missing sizes', () => {
    const k = loadNativeKernels();
    const z = new Float32Array(4);
    assert.throws(() => k.add(new Float32Array(3), z, z, 4), { name: 'BitkitError', code: 'BK7001', message: 'add: y has 3 elements, needs 4' });
    assert.throws(() => k.gemmNN(z, z, z, -1, 1, 1, false), bk('BK7001', /size M is -1/));
    assert.throws(() => k.scale(z, z, 1, 1.5), bk('BK7001', /size n is 1.5/));
    assert.throws(() => (k.sum as (...a: unknown[]) => number)(z), bk('BK7001', /size n is undefined/));
  });

  it('checks sizes against a view\'s own length, not its buffer', () => {
    const k = loadNativeKernels();
    const big = new Float32Array(100);
    const v = big.subarray(10, 13);
    assert.throws(() => k.reluForward(v, v, 4), bk('BK7001', /y has 3 elements, needs 4/));
    assert.deepEqual(Array.from(big), new Array(100).fill(0));
  });

  it('rejects a typed array of the wrong type with BK7001', () => {
    const k = loadNativeKernels();
    const asAny = k.packBits as unknown as (...a: unknown[]) => void;
    assert.throws(() => asAny(new Float32Array(4), new Float32Array(4), null, 0, 1, 4), bk('BK7001', /out must be a Uint32Array/));
    assert.throws(() => (k.add as unknown as (...a: unknown[]) => void)([1, 2], new Float32Array(2), new Float32Array(2), 2), bk('BK7001', /y must be a Float32Array/));
  });

  it('ids outside the table throw BK7001 before anything is written', () => {
    const k = loadNativeKernels();
    const y = new Float32Array(6);
    assert.throws(() => k.embeddingForward(y, new Int32Array([0, 5]), new Float32Array(9), 2, 3), bk('BK7001', /ids\[1\] is 5, outside the table of 3 rows/));
    assert.throws(() => k.embeddingBackward(new Float32Array(9), new Float32Array(6).fill(1), new Int32Array([1, -1]), 2, 3), bk('BK7001', /ids\[1\] is -1/));
    assert.deepEqual(Array.from(y), [0, 0, 0, 0, 0, 0]);
  });

  it('quantizer specs and the AdamW step fail with the reference\'s BK7002', () => {
    const k = loadNativeKernels();
    const x = new Float32Array(4);
    for (const [a, s] of [[0.3, { signed: true, bits: 3, offset: 0 }], [0, spec], [NaN, spec], [0.3, { signed: false, bits: 2, offset: NaN }]] as const) {
      assert.throws(() => referenceKernels.actQuantForward(x, x, null, a, s, 2, 2), { code: 'BK7002' });
      assert.throws(() => k.actQuantForward(x, x, null, a, s, 2, 2), bk('BK7002', /^actQuantForward: /));
      assert.throws(() => k.actQuantBackward(x, null, x, x, null, a, s, 2, 2), bk('BK7002', /^actQuantBackward: /));
    }
    assert.throws(() => k.adamw(x, x, x, x, 4, { ...opts, step: 0 }), bk('BK7002', /^adamw: step is 0/));
    // sizes are checked first, as in the reference
    assert.throws(() => k.adamw(x, x, x, x, 5, { ...opts, step: 0 }), bk('BK7001'));
    k.adamw(x, x, x, x, 4, { ...opts, step: 0, biasCorrection: false });
  });
});

describe('native kernel set: loading, paths and threads', { skip }, () => {
  it('nativeInfo lists the compiled and available paths, the default choice, threads and CPU features', () => {
    const info = nativeInfo();
    assert.ok(info.available.includes('portable'));
    assert.ok(info.compiled.includes('portable'));
    for (const p of info.available) assert.ok(info.compiled.includes(p));
    assert.ok(info.available.includes(info.chosen));
    assert.ok(info.threads >= 1 && info.hardwareThreads >= 1);
    assert.equal(typeof info.cpu.avx2, 'boolean');
    const avx512 = info.cpu.avx512vpopcntdq && info.cpu.avx512bw && info.cpu.avx512vl && info.cpu.avx512dq;
    if (avx512) assert.equal(info.available[0], 'avx512');
    // the AMX path is there when the CPU has AMX-INT8 (and the OS grants the tiles); opt-in, see kernels/native/index.ts
    if (avx512 && info.cpu['amx-int8'] && info.cpu['amx-tile']) assert.ok(info.compiled.includes('amx'));
  });

  it('the path option and BITKIT_KERNEL_PATH force a path; unknown paths fail with BK7004', () => {
    const saved = process.env.BITKIT_KERNEL_PATH;
    try {
      process.env.BITKIT_KERNEL_PATH = 'portable';
      assert.equal(loadNativeKernels().path, 'portable');
      assert.equal(nativeInfo().chosen, 'portable');
      assert.equal(loadNativeKernels({ path: nativeInfo().available[0] }).path, nativeInfo().available[0], 'the option wins');
      process.env.BITKIT_KERNEL_PATH = 'sse9';
      assert.throws(() => loadNativeKernels(), bk('BK7004', /BITKIT_KERNEL_PATH/));
    } finally {
      if (saved === undefined) delete process.env.BITKIT_KERNEL_PATH;
      else process.env.BITKIT_KERNEL_PATH = saved;
    }
    assert.throws(() => loadNativeKernels({ path: 'neon' as never }), bk('BK7004', /neon/));
    const missing = (['avx512', 'avx2'] as const).filter((p) => !nativeInfo().available.includes(p));
    for (const p of missing) assert.throws(() => loadNativeKernels({ path: p }), bk('BK7004', /cannot run here/));
  });

  it('threads: option, BITKIT_THREADS, setThreads; invalid counts fail with BK7004', () => {
    const saved = process.env.BITKIT_THREADS;
    try {
      process.env.BITKIT_THREADS = '3';
      assert.equal(loadNativeKernels().threads, 3);
      assert.equal(loadNativeKernels({ threads: 2 }).threads, 2);
      process.env.BITKIT_THREADS = 'many';
      assert.throws(() => loadNativeKernels(), bk('BK7004', /BITKIT_THREADS/));
    } finally {
      if (saved === undefined) delete process.env.BITKIT_THREADS;
      else process.env.BITKIT_THREADS = saved;
    }
    assert.throws(() => loadNativeKernels({ threads: 0 }), bk('BK7004'));
    assert.throws(() => loadNativeKernels({ threads: 1.5 }), bk('BK7004'));
    const k = loadNativeKernels({ threads: 1 });
    k.setThreads(4);
    assert.equal(k.threads, 4);
    assert.throws(() => k.setThreads(0), bk('BK7004'));
    // a set keeps its own thread count
    assert.equal(loadNativeKernels({ threads: 2 }).threads, 2);
    assert.equal(k.threads, 4);
    // and still computes the same product
    const A = new Float32Array(64 * 64).map((_, i) => (i % 7) - 3);
    const C1 = new Float32Array(64 * 64), C4 = new Float32Array(64 * 64);
    loadNativeKernels({ threads: 1 }).gemmNN(C1, A, A, 64, 64, 64, false);
    k.gemmNN(C4, A, A, 64, 64, 64, false);
    assert.deepEqual(C4, C1);
  });
});
