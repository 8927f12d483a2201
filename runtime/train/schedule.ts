/**
 * Learning-rate schedule of the reference code (BERT's): linear warm-up over the first `warmup` fraction of
 * the total steps, then linear decay to 0 at the last step.
 */
export function learningRateAt(step: number, totalSteps: number, baseLr: number, warmup: number): number {
  const warmupSteps = Math.floor(totalSteps * warmup);
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  const remaining = totalSteps - warmupSteps;
  if (remaining <= 0) return baseLr;
  return baseLr * Math.max(0, (totalSteps - step) / remaining);
}
