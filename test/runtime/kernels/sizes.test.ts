// Every kernel checks its buffers against its sizes: one element short anywhere -> BitkitError BK7001, and nothing
// written. Table-driven over the whole Kernels interface, so a new kernel without an entry fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { referenceKernels } from '../../../runtime/kernels/reference.js';
import { call, isBuf, kernelCases, type Method } from './kernel-cases.js';

describe('size checks (BK7001)', () => {
  it('the table covers every kernel of the interface', () => {
    const methods = Object.keys(referenceKernels).filter((k) => k !== 'name').sort();
    assert.deepEqual(methods, Object.keys(kernelCases).sort());
  });

  for (const name of Object.keys(kernelCases) as Method[]) {
    it(`${name}: valid sizes run; any buffer one element short throws BK7001 and writes nothing`, () => {
      call(referenceKernels, name, kernelCases[name]());
      const nBufs = kernelCases[name]().filter(isBuf).length;
      for (let which = 0; which < nBufs; which++) {
        const args = kernelCases[name]();
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
