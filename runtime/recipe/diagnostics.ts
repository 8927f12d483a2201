/**
 * The one registry of recipe diagnostic codes, and the one factory that builds every diagnostic.
 *
 *   BK1xxx YAML syntax     BK2xxx schema and field rules     BK3xxx stage graph
 *   BK4xxx layer overrides BK5xxx files (checked by load.ts, outside the pure validation)
 *
 * Codes are never reused or renumbered. Messages and hints are templates with `{name}` placeholders filled from the
 * arguments; quick fixes dispatch on `code` and `data`, never on the message text. The docs page of the codes is
 * generated from `DIAGNOSTIC_REGISTRY` (anchor = `docs/recipe-diagnostics.md#bk2001`, ...).
 */

export type DiagnosticSeverity = 'error' | 'warning' | 'info' | 'hint';

/** A position in the recipe text: 1-based line and column (as editors and `file:line:col` show them), 0-based offset. */
export interface SourcePosition {
  line: number;
  column: number;
  offset: number;
}

/** A range of the recipe text; `end` is exclusive. */
export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

export interface RecipeDiagnostic {
  code: DiagnosticCode;
  severity: DiagnosticSeverity;
  message: string;
  hint: string;
  file: string;
  range: SourceRange;
  /** Machine-readable details for quick fixes (e.g. `{ key, suggestion }` for an unknown key). */
  data?: Record<string, unknown>;
}

interface DiagnosticInfo {
  severity: DiagnosticSeverity;
  /** Short stable slug, used in docs and tests. */
  name: string;
  message: string;
  hint: string;
}

export const DIAGNOSTIC_REGISTRY = {
  // ---- BK1xxx: YAML syntax
  BK1001: { severity: 'error', name: 'yaml-syntax', message: 'YAML syntax error: {detail}', hint: 'Fix the YAML syntax at this place; indentation uses spaces, and flow collections ([ ], { }) must be closed.' },
  BK1002: { severity: 'error', name: 'duplicate-key', message: "Duplicate key '{key}' in the same mapping.", hint: 'Remove one of the two entries; YAML keeps only one of them.' },
  BK1003: { severity: 'warning', name: 'yaml-warning', message: 'YAML warning: {detail}', hint: 'Plain YAML 1.2 without custom tags is all a recipe needs.' },
  BK1004: { severity: 'error', name: 'yaml-too-complex', message: 'The document cannot be checked: {detail}', hint: 'Aliases that expand to huge structures (alias bombs) are refused; write the values out.' },

  // ---- BK2xxx: schema
  BK2001: { severity: 'error', name: 'unknown-key', message: "Unknown key '{key}' in {where}.", hint: '{suggestion}' },
  BK2002: { severity: 'error', name: 'wrong-type', message: "'{path}' must be {expected}, not {actual}.", hint: 'Write {expected} here.' },
  BK2003: { severity: 'error', name: 'out-of-range', message: "'{path}' must be {bound}; got {value}.", hint: 'Use a value {bound}.' },
  BK2004: { severity: 'error', name: 'missing-required', message: "{where} is missing the required key '{key}'.", hint: "Add '{key}: ...' ({about})." },
  BK2005: { severity: 'error', name: 'not-allowed', message: "'{path}' must be one of {allowed}; got {value}.", hint: '{suggestion}' },
  BK2006: { severity: 'error', name: 'conflicting-keys', message: "'{first}' and '{second}' set the same thing in {where}.", hint: "Keep only one of '{first}' and '{second}'." },
  BK2007: { severity: 'error', name: 'teacher-source', message: 'The teacher needs exactly one of {options}; {found}.', hint: "Give 'checkpoint:' to load a trained teacher, or 'architecture:' to train one from scratch." },
  BK2008: { severity: 'error', name: 'heads-divide-hidden', message: 'architecture.hidden ({hidden}) must be a multiple of architecture.heads ({heads}).', hint: 'Each head gets hidden / heads dimensions; try heads: {suggestion}.' },
  BK2009: { severity: 'error', name: 'data-required', message: "Task '{task}' needs 'data.{field}' (a TSV file in the GLUE layout).", hint: "Add 'data.{field}: path/to/{field}.tsv' (relative to the recipe), or use task: example for the embedded dataset." },
  // BK2010 (teacher.train ignored with a checkpoint) is retired: a checkpoint with `train:` is fine-tuned.
  BK2011: { severity: 'error', name: 'bad-format', message: "'{path}' {rule}; got {value}.", hint: '{advice}' },
  BK2012: { severity: 'error', name: 'too-few-items', message: "'{path}' needs at least {min} item(s).", hint: 'Add at least {min} item(s).' },
  BK2013: { severity: 'error', name: 'length-exceeds-positions', message: 'data.maxLength ({maxLength}) exceeds teacher.architecture.maxPositions ({maxPositions}).', hint: 'Lower data.maxLength or raise architecture.maxPositions.' },
  BK2014: { severity: 'hint', name: 'suspicious-hyperparameter', message: '{what}', hint: '{advice}' },

  // ---- BK3xxx: stage graph
  BK3001: { severity: 'error', name: 'unknown-stage', message: "{field} '{name}' is not a stage of this recipe.", hint: '{suggestion}' },
  BK3002: { severity: 'error', name: 'duplicate-stage', message: "Stage name '{name}' is already used on line {line}.", hint: 'Give every stage its own name (e.g. after its bits: w1a2, w1a1).' },
  BK3003: { severity: 'error', name: 'later-stage', message: "{field} '{name}' is not an earlier stage (it is stage {index}; this is stage {self}).", hint: "A stage can only learn from or start at 'teacher' or an earlier stage; reorder the stages." },
  BK3004: { severity: 'error', name: 'teacher-cycle', message: 'The teachers form a cycle: {cycle}.', hint: "Break the cycle: the chain of teachers must end at 'teacher' (the full-precision model)." },
  BK3005: { severity: 'error', name: 'reserved-stage-name', message: "'teacher' is reserved for the full-precision teacher and cannot name a stage.", hint: 'Rename the stage (e.g. fp or w32a32).' },
  BK3006: { severity: 'warning', name: 'student-wider-than-teacher', message: "Stage '{name}' ({studentBits}) has more bits than its teacher '{teacher}' ({teacherBits}).", hint: 'Multi-distillation goes from more bits to fewer; distil this stage from a wider teacher.' },
  BK3007: { severity: 'warning', name: 'direct-w1a1', message: "Stage '{name}' distils the full-precision teacher straight into W1A1.", hint: 'BiT multi-distillation goes through an intermediate stage (W32A32 -> W1A2 -> W1A1), which scores higher than the direct jump (BiT*).' },
  BK3008: { severity: 'warning', name: 'init-incompatible', message: "Stage '{name}' starts from '{init}', whose model differs: {difference}.", hint: '{advice}' },

  // ---- BK4xxx: layer overrides
  BK4001: { severity: 'error', name: 'override-unknown-stage', message: "Override names stage '{name}', which is not a stage of this recipe.", hint: '{suggestion}' },
  BK4002: { severity: 'warning', name: 'override-no-effect', message: "Override '{match}' sets nothing.", hint: 'Add weightBits, activationBits, activationSet or keepFullPrecision, or remove the override.' },
  BK4003: { severity: 'error', name: 'override-matches-nothing', message: "Override '{match}' matches no layer of the model ({origin}).", hint: '{suggestion}' },
  BK4004: { severity: 'warning', name: 'signed-set-on-non-negative', message: "activationSet: signed on {layers}, which is never negative ({why}).", hint: 'The signed set {-a, +a} spends one of its two levels on values that never occur; BiT puts non-negative activations in {0, a} (two-set scheme, algorithm doc section 2).' },
  BK4005: { severity: 'warning', name: 'unsigned-set-on-signed', message: "activationSet: unsigned on {layers}, which takes negative values ({why}).", hint: 'The unsigned set {0, a} maps every negative value to 0 and loses the sign; BiT uses {-a, +a} for these activations (two-set scheme, algorithm doc section 2).' },

  // ---- BK5xxx: files
  BK5001: { severity: 'error', name: 'file-not-found', message: '{what} not found: {path}', hint: 'Paths are relative to the folder of the recipe ({base}).' },
  BK5002: { severity: 'error', name: 'file-unreadable', message: '{what} cannot be read: {path} ({reason})', hint: 'Check the file permissions.' },
  BK5003: { severity: 'error', name: 'not-a-file', message: '{what} is a folder, not a file: {path}', hint: 'Name the file inside the folder.' },
  BK5004: { severity: 'error', name: 'tsv-header-mismatch', message: "{what} does not fit task '{task}': {problem}.", hint: 'Expected {layout}; only the first line was read.' },
  BK5005: { severity: 'error', name: 'file-corrupt', message: '{what} is corrupt: {path} ({reason})', hint: '{advice}' },
} as const satisfies Record<string, DiagnosticInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_REGISTRY;

export function diagnosticInfo(code: DiagnosticCode): DiagnosticInfo & { code: DiagnosticCode; anchor: string } {
  return { code, ...DIAGNOSTIC_REGISTRY[code], anchor: `docs/recipe-diagnostics.md#${code.toLowerCase()}` };
}

function fill(template: string, args: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in args ? String(args[name]) : whole));
}

/** The one factory of recipe diagnostics. */
export function makeDiagnostic(
  code: DiagnosticCode,
  file: string,
  range: SourceRange,
  args: Record<string, string | number> = {},
  data?: Record<string, unknown>,
): RecipeDiagnostic {
  const info = DIAGNOSTIC_REGISTRY[code];
  const d: RecipeDiagnostic = {
    code,
    severity: info.severity,
    message: fill(info.message, args),
    hint: fill(info.hint, args),
    file,
    range,
  };
  if (data !== undefined) d.data = data;
  return d;
}

/** In text order; diagnostics at the same place keep the order they were found in. */
export function sortDiagnostics(diags: RecipeDiagnostic[]): RecipeDiagnostic[] {
  return diags
    .map((d, i) => ({ d, i }))
    .sort((x, y) => x.d.range.start.offset - y.d.range.start.offset || x.i - y.i)
    .map(({ d }) => d);
}

/** Levenshtein distance of two names after lower-casing and dropping `_` and `-` (so batch_size ~ batchSize). */
export function nameDistance(a: string, b: string): number {
  const x = a.toLowerCase().replace(/[_-]/g, '');
  const y = b.toLowerCase().replace(/[_-]/g, '');
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** The candidate nearest to `word`, if it is close enough to be a likely typo (distance <= max(1, len/3), <= 3). */
export function nearestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const dist = nameDistance(word, c);
    if (dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestDist <= limit ? best : undefined;
}
