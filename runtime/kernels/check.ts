/**
 * Argument checks shared by the kernel sets (sizes: BK7001; scalar arguments: BK7002). Every kernel validates its sizes and buffer lengths before touching memory,
 * so that a shape bug in the caller surfaces as a BitkitError (BK7001) naming the kernel and the buffer, never as a
 * silent out-of-bounds read (typed arrays return undefined -> NaN) or a dropped write.
 */
import { BitkitError } from '../errors.js';
import type { ActQuantSpec } from './kernels.js';

const HINT = 'the sizes passed to the kernel do not match its buffers: this is a shape bug in the caller ' +
  '(model, trainer or engine), not in the recipe';

/** Throws BK7001 unless `value` is a non-negative safe integer (a dimension). */
export function checkDim(kernel: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BitkitError('BK7001', `${kernel}: size ${name} is ${value}, needs a non-negative integer`, { hint: HINT });
  }
}

/** Throws BK7001 when `buf` holds fewer than `needed` elements. Larger buffers are fine (views into a slab). */
export function checkLength(kernel: string, name: string, buf: ArrayLike<number>, needed: number): void {
  if (buf.length < needed) {
    throw new BitkitError('BK7001', `${kernel}: ${name} has ${buf.length} elements, needs ${needed}`, { hint: HINT });
  }
}

/** checkLength for an optional buffer (null means "absent", nothing to check). */
export function checkOptional(kernel: string, name: string, buf: ArrayLike<number> | null, needed: number): void {
  if (buf !== null) checkLength(kernel, name, buf, needed);
}

/** BK7002: the scalar arguments of actQuantForward/Backward (bit width, scale a, offset). */
export function checkQuant(kernel: string, a: number, spec: ActQuantSpec): void {
  const b = spec.bits;
  if (b !== 1 && b !== 2 && b !== 4 && b !== 8) {
    throw new BitkitError('BK7002', `${kernel}: spec.bits is ${b}, needs 1, 2, 4 or 8`, {
      hint: 'the quantizer spec was built with an unsupported bit width',
    });
  }
  if (!(a > 0) || !Number.isFinite(a)) {
    throw new BitkitError('BK7002', `${kernel}: scale a is ${a}, needs a finite value > 0`, {
      hint: 'the quantizer scale was not initialised or the optimiser drove it to zero, negative or NaN',
    });
  }
  if (!Number.isFinite(spec.offset)) {
    throw new BitkitError('BK7002', `${kernel}: spec.offset is ${spec.offset}, needs a finite value`, {
      hint: 'the offset (tensor minimum) of an unsigned multi-bit quantizer came from a tensor holding NaN or Inf',
    });
  }
}

/** BK7002: the step count AdamW's bias correction needs. */
export function checkAdamWStep(kernel: string, step: number, biasCorrection: boolean): void {
  if (biasCorrection && !(Number.isSafeInteger(step) && step >= 1)) {
    throw new BitkitError('BK7002', `${kernel}: step is ${step}, needs an integer >= 1 with bias correction`, {
      hint: 'the optimiser step count is 1-based',
    });
  }
}
