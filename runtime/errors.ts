/**
 * The one error class of the runtime. Every failure a user can cause (bad recipe, bad file, bad data, bad flag)
 * is a BitkitError with a stable code, a message naming the file and the place, and a hint saying how to fix it.
 * The CLI prints `message` and `hint` (never a stack trace unless --debug) and exits with EXIT_BAD_INPUT.
 *
 * Codes are stable strings, never reused:
 *   BK1xxx YAML syntax      BK2xxx recipe schema     BK3xxx stage graph     BK4xxx layers / overrides
 *   BK5xxx files and data   BK6xxx checkpoints       BK7xxx kernels / shapes BK9xxx CLI usage
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
