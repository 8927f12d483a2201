/**
 * Where the stages of a recipe are, for the CodeLens above each one (`Run stage`, `Evaluate`, `Show map`): read
 * from the YAML as typed, so the lenses stay while the recipe has errors elsewhere. No 'vscode' import.
 */
import { parseRecipeSource, rangeOfPath } from '../../runtime/recipe/source.js';

export interface StageLocation {
  /** Stage name ('teacher' for the implicit stage 0, placed on the `teacher:` key). */
  name: string;
  /** 0-based line of the stage's first line. */
  line: number;
  bits: string | null;
}

export function stageLocations(text: string, file: string): StageLocation[] {
  const src = parseRecipeSource(text, file);
  let js: unknown;
  try {
    js = src.doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return [];
  }
  if (js === null || typeof js !== 'object') return [];
  const root = js as { teacher?: unknown; stages?: unknown };
  const out: StageLocation[] = [];
  const lineOf = (path: (string | number)[], which: 'key' | 'value'): number | null => {
    try {
      return rangeOfPath(src, path, which).start.line - 1;
    } catch {
      return null;
    }
  };
  if (root.teacher !== undefined) {
    const line = lineOf(['teacher'], 'key');
    if (line !== null) out.push({ name: 'teacher', line, bits: 'W32A32' });
  }
  if (Array.isArray(root.stages)) {
    root.stages.forEach((s: unknown, i: number) => {
      const st = s as { name?: unknown; bits?: unknown } | null;
      if (st === null || typeof st !== 'object' || typeof st.name !== 'string') return;
      const line = lineOf(['stages', i], 'value');
      if (line !== null) out.push({ name: st.name, line, bits: typeof st.bits === 'string' ? st.bits : null });
    });
  }
  return out;
}
