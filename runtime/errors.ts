/**
 * The one error class of the runtime. Every failure a user can cause (bad recipe, bad file, bad data, bad flag)
 * is a BitkitError with a stable code, a message naming the file and the place, and a hint saying how to fix it.
 * The CLI prints `message` and `hint` (never a stack trace unless --debug) and exits with EXIT_BAD_INPUT.
 *
 * Codes are stable strings, never reused:
 *   BK1xxx YAML syntax      BK2xxx recipe schema     BK3xxx stage graph     BK4xxx layers / overrides
 *   BK5xxx files and data   BK6xxx checkpoints       BK7xxx kernels / shapes BK9xxx CLI usage
 * Where each range is allocated (one table per place, so a code is defined once):
 *   BK1001-BK5003  recipe diagnostics        runtime/recipe/diagnostics.ts (DIAGNOSTIC_REGISTRY)
 *   BK41xx         quantization plan         runtime/quant/plan.ts
 *   BK51xx         tokenizer, GLUE data      runtime/data/codes.ts
 *   BK60xx         safetensors               runtime/io/safetensors.ts (SAFETENSORS_ERRORS)
 *   BK62xx         .bitpack                  runtime/io/bitpack.ts
 *   BK65xx-BK67xx  HF folders, ONNX, inspect/profile   runtime/io/hf-folder.ts, runtime/io/onnx/, runtime/profile/
 *   BK61xx         bitkit checkpoints        runtime/train/checkpoint.ts
 *   BK7001-BK7002  kernel arguments          runtime/kernels/check.ts (and the native/WASM sets, same messages)
 *   BK7004         native addon missing / path unsupported / bad thread count   runtime/kernels/native/index.ts
 *   BK7005-BK7006  WASM module not built / memory limit    runtime/kernels/wasm/
 *   BK71xx         model shapes and state    runtime/model/
 *   BK31xx         stage order at run time   runtime/train/distill.ts
 *   BK9xxx         CLI usage and run folders runtime/cli/, runtime/train/distill.ts
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_CANCELLED = 130;

export interface SourcePlace {
  file?: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

export class BitkitError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly place: SourcePlace;

  constructor(code: string, message: string, options: { hint?: string; place?: SourcePlace; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BitkitError';
    this.code = code;
    this.hint = options.hint;
    this.place = options.place ?? {};
  }

  /** "file:line:col" prefix, or "" when the error has no place. */
  get location(): string {
    const { file, line, column } = this.place;
    if (file === undefined) return '';
    if (line === undefined) return file;
    return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
  }

  /** The text the CLI prints: "file:line:col: error BK1234: message\n  hint: ...". */
  format(): string {
    const loc = this.location;
    const head = `${loc ? loc + ': ' : ''}error ${this.code}: ${this.message}`;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}

export function isBitkitError(e: unknown): e is BitkitError {
  return e instanceof BitkitError;
}
