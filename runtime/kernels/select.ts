/**
 * Picks the kernel set a command runs on (`--kernels` / the recipe's `kernels:`).
 * Today only the plain TypeScript reference set exists; the native (N-API) and WASM sets come with their own
 * issue, behind the same interface. `auto` says which set it picked and why.
 */
import { BitkitError } from '../errors.js';
import type { KernelsChoice } from '../recipe/types.js';
import type { Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';

export interface KernelSelection {
  kernels: Kernels;
  /** Why this set was picked (printed by the CLI). */
  reason: string;
}

export function selectKernels(choice: KernelsChoice): KernelSelection {
  switch (choice) {
    case 'reference':
      return { kernels: referenceKernels, reason: 'requested with --kernels reference' };
    case 'auto':
      return { kernels: referenceKernels, reason: 'auto: the native and WASM kernel sets are not part of this build, using the TypeScript reference' };
    case 'native':
    case 'wasm':
      throw new BitkitError('BK7003', `the ${choice} kernel set is not part of this build`, { hint: 'use --kernels reference (or auto)' });
  }
}
