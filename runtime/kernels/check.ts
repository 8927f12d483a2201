/**
 * Size checks shared by the kernel sets. Every kernel validates its sizes and buffer lengths before touching memory,
 * so that a shape bug in the caller surfaces as a BitkitError (BK7001) naming the kernel and the buffer, never as a
 * silent out-of-bounds read (typed arrays return undefined -> NaN) or a dropped write.
 */
import { BitkitError } from '../errors.js';

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
