/**
 * The per-layer bit-width map as data: layers (quant points) down, stages across, each cell the weight and
 * activation bits of that point in that stage, the weight memory at that width, and which recipe override decided
 * it (so a click can jump there). Planned = from the recipe text as typed (runtime/recipe/parse.ts +
 * runtime/quant/plan.ts); actual = from a checkpoint's `bitkit.meta` (its config and plan). No 'vscode' import.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readHfConfig } from '../../runtime/io/hf-folder.js';
import { readSafetensorsHeader } from '../../runtime/io/safetensors.js';
import { paramEntries } from '../../runtime/model/param-table.js';
import type { BertConfig, QuantPlan } from '../../runtime/model/types.js';
import { buildQuantPlan, listQuantPoints, type QuantPointKind } from '../../runtime/quant/plan.js';
import { BUILTIN_VOCAB } from '../../runtime/recipe/defaults.js';
import { compileLayerPattern } from '../../runtime/recipe/layer-pattern.js';
import { analyzeRecipeText } from '../../runtime/recipe/parse.js';
import { rangeOfPath } from '../../runtime/recipe/source.js';
import type { ActivationSet, LayerOverride, ResolvedRecipe } from '../../runtime/recipe/types.js';

/** Vocabulary size of the embedded bert-base-uncased vocabulary (runtime/data/vocab.ts). */
const BUILTIN_VOCAB_SIZE = 30522;

export interface BitMapCell {
  weightBits: number;
  activationBits: number;
  activationSet: ActivationSet;
  keepFullPrecision: boolean;
  /** Bytes of the point's weight matrix at weightBits (0 for activation-only points). */
  weightBytes: number;
  /** Index into `overrides` of the last override that matched this point in this stage, or null. */
  override: number | null;
}

export interface BitMapRow {
  point: string;
  kind: QuantPointKind;
  layer: number | null;
  /** Weight shape [out, in] (embedding [V, C]); null for activation-only points. */
  shape: number[] | null;
  params: number;
  cells: BitMapCell[];
}

export interface BitMapOverride {
  index: number;
  match: string;
  /** 0-based line of the override in the recipe (null for an actual map). */
  line: number | null;
}

export interface BitMap {
  source: 'planned' | 'actual';
  title: string;
  file: string;
  stages: { name: string; bits: string }[];
  rows: BitMapRow[];
  overrides: BitMapOverride[];
  /** Weight bytes of the quant points per stage, same order as `stages`. */
  totals: number[];
  notes: string[];
}

export type BitMapResult = { ok: true; map: BitMap } | { ok: false; file: string; message: string };

function weightShapes(config: BertConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const e of paramEntries(config, null)) if (e.name.endsWith('.weight')) shapes.set(e.name.slice(0, -'.weight'.length), e.shape);
  return shapes;
}

function lastOverride(point: string, stage: string, overrides: LayerOverride[]): number | null {
  let found: number | null = null;
  overrides.forEach((o, i) => {
    if (o.stages !== undefined && !o.stages.includes(stage)) return;
    if (compileLayerPattern(o.match).test(point)) found = i;
  });
  return found;
}

function rowsFor(config: BertConfig, plans: { stage: string; plan: QuantPlan | null }[], overrides: LayerOverride[]): BitMapRow[] {
  const shapes = weightShapes(config);
  return listQuantPoints(config).map((pt) => {
    const shape = pt.kind === 'activation' ? null : (shapes.get(pt.name) ?? null);
    const params = shape ? shape.reduce((a, b) => a * b, 1) : 0;
    const cells = plans.map(({ stage, plan }): BitMapCell => {
      const p = plan?.layers.find((l) => l.layer === pt.name);
      const weightBits = p?.weightBits ?? 32;
      return {
        weightBits: pt.kind === 'activation' ? 32 : weightBits,
        activationBits: p?.activationBits ?? 32,
        activationSet: p?.activationSet ?? pt.twoSetDefault,
        keepFullPrecision: p?.keepFullPrecision ?? false,
        weightBytes: Math.ceil((params * (pt.kind === 'activation' ? 0 : weightBits)) / 8),
        override: plan === null ? null : lastOverride(pt.name, stage, overrides),
      };
    });
    return { point: pt.name, kind: pt.kind, layer: pt.layer, shape, params, cells };
  });
}

function totals(rows: BitMapRow[], n: number): number[] {
  const t = new Array<number>(n).fill(0);
  for (const r of rows) r.cells.forEach((c, i) => (t[i]! += c.weightBytes));
  return t;
}

/** The teacher's architecture: from the recipe, or from the checkpoint it names (HF config.json or bitkit meta). */
function teacherConfig(recipe: ResolvedRecipe, notes: string[]): BertConfig | string {
  const arch = recipe.teacher.architecture;
  if (arch) {
    let vocabSize = arch.vocabSize;
    if (vocabSize === undefined) {
      vocabSize = BUILTIN_VOCAB_SIZE;
      if (recipe.tokenizer.vocab !== BUILTIN_VOCAB) notes.push(`vocabulary size assumed ${BUILTIN_VOCAB_SIZE} (the embedded vocabulary); the run uses that of ${recipe.tokenizer.vocab}`);
    }
    return { ...arch, vocabSize, numLabels: recipe.task === 'stsb' ? 1 : 2 };
  }
  const ckpt = recipe.teacher.checkpoint;
  if (ckpt === null) return 'the recipe gives neither a teacher architecture nor a teacher checkpoint';
  try {
    if (ckpt.endsWith('.safetensors')) {
      const meta = readSafetensorsHeader(ckpt).metadata['bitkit.meta'];
      if (meta) return (JSON.parse(meta) as { config: BertConfig }).config;
      const beside = join(dirname(ckpt), 'config.json');
      if (existsSync(beside)) return readHfConfig(beside).config;
    }
    return readHfConfig(ckpt).config;
  } catch (e) {
    return `cannot read the teacher's architecture from ${ckpt}: ${(e as Error).message}`;
  }
}

/** The planned map of a recipe as typed. */
export function plannedBitMap(text: string, file: string): BitMapResult {
  const analysis = analyzeRecipeText(text, file);
  const recipe = analysis.recipe;
  if (recipe === null) {
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    return { ok: false, file, message: `The recipe has ${errors.length} error${errors.length === 1 ? '' : 's'}; the map shows once it is valid. First: ${errors[0]?.message ?? '?'}` };
  }
  const notes: string[] = [];
  const config = teacherConfig(recipe, notes);
  if (typeof config === 'string') return { ok: false, file, message: config };
  const plans: { stage: string; plan: QuantPlan | null }[] = [{ stage: 'teacher', plan: null }];
  try {
    for (const s of recipe.stages) plans.push({ stage: s.name, plan: buildQuantPlan(config, { name: s.name, weightBits: s.weightBits, activationBits: s.activationBits, quantization: s.quantization }, recipe.overrides) });
  } catch (e) {
    return { ok: false, file, message: (e as Error).message };
  }
  const rows = rowsFor(config, plans, recipe.overrides);
  const overrides = recipe.overrides.map((o, index) => {
    let line: number | null = null;
    try {
      line = rangeOfPath(analysis.source, ['overrides', index]).start.line - 1;
    } catch {
      // position unknown
    }
    return { index, match: o.match, line };
  });
  const stages = [{ name: 'teacher', bits: 'W32A32' }, ...recipe.stages.map((s) => ({ name: s.name, bits: `W${s.weightBits}A${s.activationBits}` }))];
  return { ok: true, map: { source: 'planned', title: `${recipe.name}: planned bit widths`, file, stages, rows, overrides, totals: totals(rows, stages.length), notes } };
}

/** The actual map of a bitkit checkpoint (its stage's plan), from the safetensors metadata alone. */
export function actualBitMap(metadata: Record<string, string>, file: string): BitMapResult {
  const raw = metadata['bitkit.meta'];
  if (raw === undefined) return { ok: false, file, message: `${file} has no bitkit metadata: not a bitkit checkpoint` };
  let meta: { config: BertConfig; plan: QuantPlan | null; stage: string };
  try {
    meta = JSON.parse(raw) as typeof meta;
  } catch {
    return { ok: false, file, message: `${file}: the bitkit metadata is not valid JSON` };
  }
  const rows = rowsFor(meta.config, [{ stage: meta.stage, plan: meta.plan }], []);
  const lin = meta.plan?.layers.find((l) => l.kind === 'linear');
  const bits = lin ? `W${lin.weightBits}A${lin.activationBits}` : 'W32A32';
  const stages = [{ name: meta.stage, bits }];
  return { ok: true, map: { source: 'actual', title: `${meta.stage}: actual bit widths`, file, stages, rows, overrides: [], totals: totals(rows, 1), notes: [] } };
}

/** Short label of a cell: "W1 A2" / "A1" / "FP". */
export function cellLabel(kind: QuantPointKind, c: BitMapCell): string {
  if (c.keepFullPrecision) return 'FP';
  if (kind === 'activation') return c.activationBits >= 32 ? 'FP' : `A${c.activationBits}`;
  if (kind === 'embedding') return c.weightBits >= 32 ? 'FP' : `W${c.weightBits}`;
  if (c.weightBits >= 32 && c.activationBits >= 32) return 'FP';
  return `W${c.weightBits} A${c.activationBits}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
