/**
 * The rows of the paper's comparison (bit-algorithm.md §6-7) as recipe fragments: which stages each method runs
 * from the shared FP teacher, and with which quantization options. bench/glue.ts turns them into recipes.
 */
export interface MethodStage {
  name: string;
  teacher: string;
  bits: string;
}

export interface Method {
  /** Row label in the table (the paper's naming). */
  label: string;
  /** Short id used for run folders and JSON keys. */
  id: string;
  /** W-A bits of the row's reported stage. */
  bits: string;
  stages: MethodStage[];
  /** The stage whose best dev metric is the row's result. */
  reported: string;
  /** Overrides of the recipe's `quantization:` block. */
  quantization?: Record<string, unknown>;
  /** Another method whose run already produces this row (the W1A2 row is BiT's first stage). */
  sameRunAs?: string;
}

export const METHODS: Method[] = [
  {
    label: 'BiT (FP -> W1A2 -> W1A1)',
    id: 'bit',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
  },
  { label: 'BiT W1A2', id: 'bit-w1a2', bits: 'W1A2', stages: [], reported: 'w1a2', sameRunAs: 'bit' },
  { label: 'BiT W1A4', id: 'bit-w1a4', bits: 'W1A4', stages: [{ name: 'w1a4', teacher: 'teacher', bits: 'W1A4' }], reported: 'w1a4' },
  { label: 'BiT* (FP -> W1A1)', id: 'bit-star', bits: 'W1A1', stages: [{ name: 'w1a1', teacher: 'teacher', bits: 'W1A1' }], reported: 'w1a1' },
  {
    label: 'BiT, elastic off',
    id: 'no-elastic',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
    quantization: { elastic: false },
  },
  {
    label: 'BiT, two-set off',
    id: 'no-two-set',
    bits: 'W1A1',
    stages: [
      { name: 'w1a2', teacher: 'teacher', bits: 'W1A2' },
      { name: 'w1a1', teacher: 'w1a2', bits: 'W1A1' },
    ],
    reported: 'w1a1',
    quantization: { twoSet: false },
  },
  {
    // BinaryBERT-style baseline (§6): plain sign weights (no centring), fixed clipping (no learned a or b),
    // signed activations everywhere, one-step distillation from the FP teacher.
    label: 'BinaryBERT-style W1A1',
    id: 'binarybert',
    bits: 'W1A1',
    stages: [{ name: 'w1a1', teacher: 'teacher', bits: 'W1A1' }],
    reported: 'w1a1',
    quantization: { weightCentering: false, elastic: false, twoSet: false },
  },
];

/** The paper's GLUE dev numbers (bit-algorithm.md §7, BERT-base) for the retention comparison. */
export const PAPER: Record<string, Record<string, number>> = {
  fp: { sst2: 93.2, cola: 59.7, stsb: 90.1 },
  bit: { sst2: 89.9, cola: 32.9, stsb: 72.0 },
  'bit-star': { sst2: 87.7, cola: 25.1, stsb: 71.1 },
  'bit-w1a2': { sst2: 90.8, cola: 32.1, stsb: 82.2 },
  'bit-w1a4': { sst2: 91.5, cola: 42.0, stsb: 86.3 },
  binarybert: { sst2: 53.2, cola: 0, stsb: 6.1 },
};
