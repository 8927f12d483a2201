/**
 * Rules about values that are legal but probably not meant, pure (plain data of the parsed recipe):
 *   BK2014 (hint)     suspicious hyper-parameters: the scale learning rate `scaleLr` above the main `lr`
 *                     (the reference uses 1e-4 for `a` under 1e-4 .. 5e-4 for the weights), an `lr` above 1e-2,
 *                     a warm-up longer than half the run;
 *   BK3008 (warning)  `init` from a stage whose model differs in a way the weights do not survive: another FFN
 *                     non-linearity (`quantization.ffnActivation`).
 */
import { DEFAULT_OPTIMIZER, DEFAULT_QUANTIZATION, TEACHER_STAGE, optimizerFieldsOf } from './defaults.js';
import { makeDiagnostic, type RecipeDiagnostic } from './diagnostics.js';
import { locate, rangeOfPath, type KeyPath, type RecipeSource } from './source.js';

type Raw = Record<string, unknown>;

function obj(x: unknown): Raw | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Raw) : undefined;
}

const HIGH_LR = 1e-2;
const LONG_WARMUP = 0.5;

/** Where a block writes an optimizer field (flat or nested), if it does. */
function writtenAt(src: RecipeSource, block: KeyPath, key: string): KeyPath | undefined {
  for (const path of [[...block, key], [...block, 'optimizer', key]]) if (locate(src, path).found === path.length) return path;
  return undefined;
}

export function checkAdviceRules(src: RecipeSource, raw: unknown, out: RecipeDiagnostic[]): void {
  const r = obj(raw);
  if (!r) return;
  const file = src.file;
  const defaults = optimizerFieldsOf(r.defaults);
  const blocks: KeyPath[] = [['defaults']];
  const stages = Array.isArray(r.stages) ? r.stages : [];
  stages.forEach((_, i) => blocks.push(['stages', i]));
  const reported = new Set<string>();
  const report = (path: KeyPath, rule: string, what: string, advice: string) => {
    const key = `${path.join('.')}|${rule}`;
    if (reported.has(key)) return;
    reported.add(key);
    out.push(makeDiagnostic('BK2014', file, rangeOfPath(src, path), { what, advice }, { path, rule }));
  };

  for (const block of blocks) {
    const raw = block.length === 1 ? r.defaults : stages[block[1] as number];
    if (!obj(raw)) continue;
    const own = optimizerFieldsOf(raw);
    const eff = { ...DEFAULT_OPTIMIZER, ...defaults, ...own };
    const lr = eff.lr;
    const scaleLr = eff.scaleLr;
    if (typeof lr === 'number' && typeof scaleLr === 'number' && lr > 0 && scaleLr > lr) {
      const at = writtenAt(src, block, 'scaleLr') ?? writtenAt(src, block, 'lr');
      if (at) {
        report(at, 'scale-lr-above-lr', `The learning rate of the scales a (scaleLr ${scaleLr}) is above the main learning rate (lr ${lr}).`,
          'The reference trains a at 1e-4 and the weights at 1e-4 .. 5e-4; a scale that moves faster than the weights it scales tends to oscillate. Lower scaleLr to at most lr.');
      }
    }
    if (typeof own.lr === 'number' && own.lr > HIGH_LR) {
      const at = writtenAt(src, block, 'lr');
      if (at) report(at, 'high-lr', `lr ${own.lr} is unusually high for distilling a binarized BERT.`, 'The reference uses 1e-4 .. 5e-4 with AdamW; above 1e-2 training usually diverges.');
    }
    if (typeof own.warmup === 'number' && own.warmup > LONG_WARMUP) {
      const at = writtenAt(src, block, 'warmup');
      if (at) report(at, 'long-warmup', `warmup ${own.warmup} spends more than half of the steps warming up.`, 'The reference warms up for 10 % of the steps (warmup: 0.1), then decays linearly.');
    }
  }
  checkInitCompatibility(src, r, out);
}

function ffnActivationOf(r: Raw, stage: unknown): string {
  const pick = (q: unknown) => obj(q)?.ffnActivation;
  const v = pick(obj(stage)?.quantization) ?? pick(obj(r.defaults)?.quantization) ?? pick(r.quantization) ?? DEFAULT_QUANTIZATION.ffnActivation;
  return typeof v === 'string' ? v : DEFAULT_QUANTIZATION.ffnActivation;
}

/** BK3008: `init` from an earlier stage with another FFN non-linearity. */
function checkInitCompatibility(src: RecipeSource, r: Raw, out: RecipeDiagnostic[]): void {
  if (!Array.isArray(r.stages)) return;
  const stages: unknown[] = r.stages;
  const index = new Map<string, number>();
  stages.forEach((s, i) => {
    const n = obj(s)?.name;
    if (typeof n === 'string' && !index.has(n)) index.set(n, i);
  });
  stages.forEach((s, i) => {
    const st = obj(s);
    if (!st || typeof st.init !== 'string' || st.init === TEACHER_STAGE) return;
    const j = index.get(st.init);
    if (j === undefined || j >= i) return; // BK3001 / BK3003
    const own = ffnActivationOf(r, st);
    const theirs = ffnActivationOf(r, stages[j]);
    if (own === theirs) return;
    const name = typeof st.name === 'string' ? st.name : `#${i + 1}`;
    out.push(
      makeDiagnostic('BK3008', src.file, rangeOfPath(src, ['stages', i, 'init']), {
        name,
        init: st.init,
        difference: `its FFN non-linearity is ${theirs}, this stage's is ${own}`,
        advice: "Weights trained under one FFN non-linearity do not carry over to the other; start from a stage with the same quantization.ffnActivation, or from 'teacher'.",
      }, { name, init: st.init, field: 'quantization.ffnActivation', own, theirs }),
    );
  });
}
