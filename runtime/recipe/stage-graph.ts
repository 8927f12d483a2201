/**
 * Checks of the chain of stages (BK3xxx) and of the stage names overrides refer to (BK4xxx), on the plain data of a
 * parsed recipe; pure (part of validation on every keystroke).
 *
 * The chain is a list run in order: every stage learns from `teacher` (the FP model, stage 0) or an earlier stage,
 * and starts from the weights of `init` (the same rule). A stage without `teacher:` learns from the previous one.
 */
import { makeDiagnostic, nearestName, type RecipeDiagnostic, type SourceRange } from './diagnostics.js';
import { TEACHER_STAGE, bitsWrittenValid, stageBits, stageTeacherName } from './defaults.js';
import { headRange, locate, rangeOfPath, type RecipeSource } from './source.js';

type Raw = Record<string, unknown>;

function obj(x: unknown): Raw | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : undefined;
}

export function checkStageGraph(src: RecipeSource, raw: unknown, out: RecipeDiagnostic[]): void {
  const r = obj(raw);
  if (!r || !Array.isArray(r.stages)) return;
  const file = src.file;
  const stages: unknown[] = r.stages;
  const names = stages.map((s) => {
    const n = obj(s)?.name;
    return typeof n === 'string' ? n : undefined;
  });

  // names: reserved, duplicates
  const indexOf = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === undefined) return;
    const at = rangeOfPath(src, ['stages', i, 'name']);
    if (name === TEACHER_STAGE) {
      out.push(makeDiagnostic('BK3005', file, at, {}, { name }));
    } else if (indexOf.has(name)) {
      const first = rangeOfPath(src, ['stages', indexOf.get(name)!, 'name']);
      out.push(makeDiagnostic('BK3002', file, at, { name, line: first.start.line }, { name, firstLine: first.start.line }));
    } else {
      indexOf.set(name, i);
    }
  });
  const known = [...indexOf.keys()];

  const unknown = (field: 'teacher' | 'init', name: string, i: number) => {
    const candidates = [TEACHER_STAGE, ...known.filter((n) => indexOf.get(n)! < i)];
    const near = nearestName(name, [TEACHER_STAGE, ...known]);
    const suggestion = near !== undefined ? `Did you mean '${near}'?` : `Use one of: ${candidates.join(', ')}.`;
    out.push(makeDiagnostic('BK3001', file, rangeOfPath(src, ['stages', i, field]), { field, name, suggestion }, { field, name, suggestion: near ?? null, candidates }));
  };

  stages.forEach((s, i) => {
    const st = obj(s);
    if (!st) return;
    const teacherName = stageTeacherName(stages, i);
    let teacherIndex: number | undefined; // index of a valid earlier teacher stage
    if (typeof st.teacher === 'string' && st.teacher !== TEACHER_STAGE) {
      const j = indexOf.get(st.teacher);
      if (j === undefined) unknown('teacher', st.teacher, i);
      else if (j >= i) {
        const cycle = teacherCycle(stages, indexOf, i);
        if (cycle) out.push(makeDiagnostic('BK3004', file, rangeOfPath(src, ['stages', i, 'teacher']), { cycle: cycle.join(' -> ') }, { cycle }));
        else out.push(makeDiagnostic('BK3003', file, rangeOfPath(src, ['stages', i, 'teacher']), { field: 'teacher', name: st.teacher, index: j + 1, self: i + 1 }, { field: 'teacher', name: st.teacher }));
      } else teacherIndex = j;
    } else if (st.teacher === undefined && i > 0 && teacherName !== undefined) {
      teacherIndex = indexOf.get(teacherName) === i - 1 ? i - 1 : undefined;
    }

    if (typeof st.init === 'string' && st.init !== TEACHER_STAGE) {
      const j = indexOf.get(st.init);
      if (j === undefined) unknown('init', st.init, i);
      else if (j >= i) out.push(makeDiagnostic('BK3003', file, rangeOfPath(src, ['stages', i, 'init']), { field: 'init', name: st.init, index: j + 1, self: i + 1 }, { field: 'init', name: st.init }));
    }

    // bits along the chain (only where every bits field involved is valid; validation reports the others)
    const bitsKnown = (k: number) => bitsWrittenValid(stages[k]) && bitsWrittenValid(r.defaults);
    if (!bitsKnown(i)) return;
    if (teacherIndex !== undefined && !bitsKnown(teacherIndex)) teacherIndex = undefined;
    const own = stageBits(st, r.defaults);
    const name = names[i] ?? `#${i + 1}`;
    if (teacherName === TEACHER_STAGE && own.weightBits === 1 && own.activationBits === 1) {
      out.push(makeDiagnostic('BK3007', file, bitsRange(src, i), { name }, { name }));
    } else if (teacherIndex !== undefined) {
      const tb = stageBits(stages[teacherIndex], r.defaults);
      if (own.weightBits > tb.weightBits || own.activationBits > tb.activationBits) {
        out.push(
          makeDiagnostic('BK3006', file, bitsRange(src, i), {
            name,
            studentBits: `W${own.weightBits}A${own.activationBits}`,
            teacher: names[teacherIndex]!,
            teacherBits: `W${tb.weightBits}A${tb.activationBits}`,
          }, { name, teacher: names[teacherIndex] }),
        );
      }
    }
  });

  // overrides
  const overrides = Array.isArray(r.overrides) ? r.overrides : [];
  overrides.forEach((o, k) => {
    const ov = obj(o);
    if (!ov) return;
    if (Array.isArray(ov.stages)) {
      ov.stages.forEach((name, m) => {
        if (typeof name !== 'string' || indexOf.has(name)) return;
        const near = nearestName(name, known);
        const suggestion = near !== undefined ? `Did you mean '${near}'?` : `Stages of this recipe: ${known.join(', ')}.`;
        out.push(makeDiagnostic('BK4001', file, rangeOfPath(src, ['overrides', k, 'stages', m]), { name, suggestion }, { name, suggestion: near ?? null, candidates: known }));
      });
    }
    const effective = ['weightBits', 'activationBits', 'activationSet', 'keepFullPrecision'].some((key) => ov[key] !== undefined && ov[key] !== null);
    if (!effective && typeof ov.match === 'string') {
      out.push(makeDiagnostic('BK4002', file, rangeOfPath(src, ['overrides', k, 'match']), { match: ov.match }, { index: k }));
    }
  });
}

/** The chain of teacher names from stage i back to itself, if following the teachers from stage i returns there. */
function teacherCycle(stages: unknown[], indexOf: Map<string, number>, i: number): string[] | undefined {
  const chain = [String(obj(stages[i])!.name)];
  const visited = new Set<number>([i]);
  let cur = i;
  for (;;) {
    const t = stageTeacherName(stages, cur);
    if (t === undefined || t === TEACHER_STAGE) return undefined;
    const next = indexOf.get(t);
    if (next === undefined) return undefined;
    chain.push(t);
    if (next === i) return chain;
    if (visited.has(next)) return undefined;
    visited.add(next);
    cur = next;
  }
}

/** Where to report a stage's bits: its `bits` (or weightBits / activationBits), else its name. */
function bitsRange(src: RecipeSource, i: number): SourceRange {
  for (const key of ['bits', 'activationBits', 'weightBits', 'name']) {
    const path = ['stages', i, key];
    if (locate(src, path).found === path.length) return rangeOfPath(src, path);
  }
  return headRange(src, ['stages', i]);
}
