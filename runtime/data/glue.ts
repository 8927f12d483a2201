/**
 * Reader of GLUE task files in their released TSV layouts (tasks.ts). GLUE TSVs are not quoted CSV: a row is split
 * on tabs only and quotes are text (MNLI and QNLI sentences contain them). Lines may end in \r\n; a UTF-8 BOM and a
 * missing final newline are accepted (CoLA's dev.tsv has none). Every problem is a BitkitError naming file:line.
 */
import { readFileSync } from 'node:fs';
import { BitkitError } from '../errors.js';
import type { GlueTask } from '../recipe/types.js';
import { DataErrors } from './codes.js';
import { GLUE_TASKS, type ColumnRef, type TaskSpec } from './tasks.js';

export interface Example {
  textA: string;
  textB?: string;
  /** class index into labelNames, or the score of a regression task */
  label: number;
}

export interface TaskData {
  examples: Example[];
  /** class names (index = label); [] for a regression task */
  labelNames: string[];
  isRegression: boolean;
}

function describeLayout(spec: TaskSpec): string {
  const cols = [spec.textA, spec.textB, spec.label].filter((c) => c !== undefined) as ColumnRef[];
  return spec.header
    ? `a header naming the columns ${cols.map((c) => `'${c}'`).join(', ')} (GLUE ${spec.folder} layout)`
    : `${spec.columns} tab-separated fields per row, no header (GLUE ${spec.folder} layout)`;
}

/** Read one GLUE file (train or dev) of `task`. */
export function readGlueFile(task: GlueTask | TaskSpec, file: string): TaskData {
  const spec = typeof task === 'string' ? GLUE_TASKS[task] : task;
  if (!spec) {
    throw new BitkitError(DataErrors.unknownTask, `unknown GLUE task '${String(task)}'`, {
      hint: `known tasks: ${Object.keys(GLUE_TASKS).join(', ')}`,
    });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BitkitError(DataErrors.fileUnreadable, `cannot read ${file}: ${(e as Error).message}`, {
      place: { file }, hint: 'check data.train / data.dev in the recipe', cause: e,
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);

  let nFields: number;
  let first = 0;
  const index = (ref: ColumnRef, header: string[] | null): number => {
    if (typeof ref === 'number') return ref;
    const i = header!.indexOf(ref);
    if (i < 0) {
      throw new BitkitError(DataErrors.badHeader, `header has no column '${ref}'; expected ${describeLayout(spec)}`, {
        place: { file, line: 1 },
        hint: `found the columns ${header!.map((h) => `'${h}'`).join(', ')}: is this file of the ${spec.folder} task?`,
      });
    }
    return i;
  };
  let header: string[] | null = null;
  if (spec.header) {
    if (lines.length === 0) throw emptyError(file, spec);
    header = lines[0]!.split('\t');
    nFields = header.length;
    first = 1;
  } else {
    nFields = spec.columns!;
  }
  const iA = index(spec.textA, header);
  const iB = spec.textB === undefined ? -1 : index(spec.textB, header);
  const iLabel = index(spec.label, header);

  const labelNames = spec.labelNames ?? [];
  const labelIds = new Map(labelNames.map((n, i) => [n, i]));
  const examples: Example[] = [];
  for (let li = first; li < lines.length; li++) {
    const fields = lines[li]!.split('\t');
    const line = li + 1;
    if (fields.length !== nFields) {
      throw new BitkitError(
        DataErrors.badColumnCount,
        `expected ${nFields} tab-separated fields, found ${fields.length}; expected ${describeLayout(spec)}`,
        { place: { file, line }, hint: 'GLUE files are split on tabs only: a tab inside a text or a missing field breaks the row' },
      );
    }
    const raw = fields[iLabel]!;
    let label: number;
    if (spec.labelNames === null) {
      label = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(label)) {
        throw new BitkitError(DataErrors.badLabel, `label '${raw}' is not a number (${spec.folder} is a regression task)`, {
          place: { file, line }, hint: 'the score column must hold a number such as 3.800',
        });
      }
    } else {
      const id = labelIds.get(raw);
      if (id === undefined) {
        throw new BitkitError(DataErrors.badLabel, `unknown label '${raw}'; allowed labels: ${labelNames.join(', ')}`, {
          place: { file, line }, hint: `the ${spec.folder} label column holds one of ${labelNames.map((n) => `'${n}'`).join(', ')}`,
        });
      }
      label = id;
    }
    const ex: Example = { textA: fields[iA]!, label };
    if (iB >= 0) ex.textB = fields[iB]!;
    examples.push(ex);
  }
  if (examples.length === 0) throw emptyError(file, spec);
  return { examples, labelNames: [...labelNames], isRegression: spec.labelNames === null };
}

function emptyError(file: string, spec: TaskSpec): BitkitError {
  return new BitkitError(DataErrors.emptyDataset, `${file} has no examples`, {
    place: { file }, hint: `expected ${describeLayout(spec)} and at least one row`,
  });
}
