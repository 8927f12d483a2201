/**
 * bench/glue: the paper's comparison at laptop scale. For each task and seed, trains one FP teacher from scratch
 * on the GLUE files in ../shared/data/glue/, then distils every method of bench/glue-methods.ts from it, and writes
 * a Markdown table in the layout of the paper's (rows = methods, columns = tasks + average), the same as retention
 * (student / FP teacher) next to the paper's retention, and JSON.
 *
 *   node --import tsx bench/glue.ts --task sst2,cola,stsb --seeds 3 --preset small --out bench/results/glue
 *
 * Options: --task (comma list or all), --seeds N (seeds 1..N), --preset small|tiny, --out DIR, --kernels SET,
 * --methods id,id (subset), --max-train N (cap training examples; 0 = preset's), --set key=value,... (override
 * preset fields, e.g. `--set stageEpochs=4,evalEvery=100`).
 */
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readGlueFile } from '../runtime/data/glue.js';
import type { Kernels } from '../runtime/kernels/kernels.js';
import { selectKernels } from '../runtime/kernels/select.js';
import { loadRecipeText } from '../runtime/recipe/load.js';
import type { GlueTask, KernelsChoice } from '../runtime/recipe/types.js';
import { distill } from '../runtime/train/distill.js';
import type { StageSummary } from '../runtime/train/events.js';
import { TerminalSink } from '../runtime/train/progress.js';
import { measureRowCost, type RowCost } from './glue-cost.js';
import { EXAMPLE_RECIPES_DIR, exampleRecipeText, glueRoot, METHODS, type Method, overridePreset, PAPER, type Preset, presetFor, PRESETS, recipeYaml, TASKS } from './glue-methods.js';

interface RowResult {
  method: string;
  label: string;
  bits: string;
  task: string;
  seed: number;
  metric: number;
  teacher: number;
  seconds: number;
  /** the reported stage's best checkpoint */
  checkpoint: string;
}

const repo = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'sst2,cola,stsb' },
    seeds: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'small' },
    out: { type: 'string', default: 'bench/results/glue' },
    kernels: { type: 'string', default: 'auto' },
    methods: { type: 'string' },
    'max-train': { type: 'string', default: '0' },
    set: { type: 'string' },
    jobs: { type: 'string', default: '1' },
    reuse: { type: 'boolean', default: false },
    'write-recipes': { type: 'boolean', default: false },
    unit: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`bench/glue: ${message}`);
  process.exit(2);
}

/** Seeds from `--seeds N` (1..N) or `--seeds 2,3` (a list). */
function parseSeeds(spec: string): number[] {
  const list = spec.includes(',') ? spec.split(',').map(Number) : Array.from({ length: Number(spec) }, (_, i) => i + 1);
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < 1)) fail(`--seeds ${spec}: a count (3) or a list of positive seeds (2,3)`);
  return list;
}

const unitDir = (out: string, task: string, seed: number) => join(out, task, `seed${seed}`);

/** Train every method of one task and seed (the FP teacher once, in BiT's run) and record its rows. */
async function runUnit(task: string, seed: number, preset: Preset, methods: Method[], out: string, kernels: Kernels): Promise<RowResult[]> {
  const dir = unitDir(out, task, seed);
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const runs = new Map<string, StageSummary[]>();
  const rows: RowResult[] = [];
  // BiT first: its teacher stage trains the FP teacher every other method distils from.
  const ordered = [...methods.filter((m) => m.id === 'bit'), ...methods.filter((m) => m.id !== 'bit')];
  const teacherCkpt = join(dir, 'bit', 'teacher', 'best.safetensors');
  for (const method of ordered) {
    const source = method.sameRunAs ?? method.id;
    if (!runs.has(source)) {
      const m = METHODS.find((x) => x.id === source)!;
      const file = join(dir, `${source}.bitkit.yaml`);
      const text = recipeYaml({ task, method: m, preset, seed, teacherCheckpoint: source === 'bit' ? null : teacherCkpt });
      writeFileSync(file, text);
      const recipe = loadRecipeText(text, file);
      recipe.output = join(dir, source);
      const sink = new TerminalSink(process.stderr, true);
      const r = await distill(recipe, { kernels, sink, cancel: { requested: false }, resume: false });
      runs.set(source, r.stages);
    }
    const stages = runs.get(source)!;
    const teacher = runs.get('bit')?.[0]?.best ?? stages[0]!.best!;
    const reported = stages.find((s) => s.stage === method.reported)!;
    rows.push({
      method: method.id, label: method.label, bits: method.bits, task, seed, metric: reported.best!, teacher, seconds: reported.seconds,
      checkpoint: join(dir, source, method.reported, 'best.safetensors'),
    });
  }
  writeFileSync(join(dir, 'rows.json'), JSON.stringify({ minutes: (Date.now() - started) / 60000, preset, rows }, null, 2) + '\n');
  console.error(`${task} seed ${seed}: ${((Date.now() - started) / 60000).toFixed(1)} min`);
  return rows;
}

/** Run the units as `jobs` child processes at a time, each on cores/jobs kernel threads, logs in the unit folders. */
async function runUnitsInChildren(units: { task: string; seed: number }[], jobs: number, out: string): Promise<void> {
  const threads = Math.max(1, Math.floor(cpus().length / jobs));
  const passThrough = process.argv.slice(2).filter((a, i, all) => !['--jobs', '--unit'].includes(a) && !['--jobs', '--unit'].includes(all[i - 1] ?? '') && !a.startsWith('--jobs=') && !a.startsWith('--unit='));
  const queue = [...units];
  const failures: string[] = [];
  const worker = async () => {
    for (let u = queue.shift(); u; u = queue.shift()) {
      const dir = unitDir(out, u.task, u.seed);
      mkdirSync(dir, { recursive: true });
      const log = openSync(join(dir, 'log.txt'), 'w');
      console.error(`${u.task} seed ${u.seed}: started (${threads} thread(s); log ${relative(process.cwd(), join(dir, 'log.txt'))})`);
      const code = await new Promise<number>((done) => {
        const child = spawn(process.execPath, [...process.execArgv, self, ...passThrough, '--unit', `${u.task}:${u.seed}`], {
          stdio: ['ignore', log, log],
          env: { ...process.env, BITKIT_THREADS: String(threads) },
        });
        child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
      });
      if (code !== 0) failures.push(`${u.task} seed ${u.seed} (exit ${code}; see ${join(dir, 'log.txt')})`);
      else console.error(`${u.task} seed ${u.seed}: done`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, units.length) }, worker));
  if (failures.length) fail(`failed: ${failures.join(', ')}`);
}

/** Size and packed-engine latency per method and task, measured on seed 1's checkpoints (they do not vary by seed). */
function measureCosts(rows: RowResult[], tasks: string[], kernels: Kernels): Map<string, RowCost> {
  const costs = new Map<string, RowCost>();
  for (const task of tasks) {
    const dev = readGlueFile(task as GlueTask, join(glueRoot, TASKS[task]!.dir, 'dev.tsv')).examples;
    const firstSeed = Math.min(...rows.filter((r) => r.task === task).map((r) => r.seed));
    const seen = new Set<string>();
    for (const r of rows.filter((x) => x.task === task && x.seed === firstSeed)) {
      const teacherPath = join(r.checkpoint, '..', '..', '..', 'bit', 'teacher', 'best.safetensors');
      for (const [key, path] of [[r.method, r.checkpoint], ['fp', teacherPath]] as const) {
        if (seen.has(key) || !existsSync(path)) continue;
        seen.add(key);
        costs.set(`${task}/${key}`, measureRowCost(path, dev, kernels));
      }
    }
  }
  return costs;
}

/** Every row's example recipe into examples/glue/<task>/<method>.bitkit.yaml (test/bench/glue-recipes checks them). */
function writeRecipes(tasks: string[], methods: Method[]): void {
  for (const task of tasks) {
    mkdirSync(join(repo, EXAMPLE_RECIPES_DIR, task), { recursive: true });
    for (const m of methods.filter((x) => !x.sameRunAs)) {
      const file = join(repo, EXAMPLE_RECIPES_DIR, task, `${m.id}.bitkit.yaml`);
      writeFileSync(file, exampleRecipeText(task, m, values.preset));
      console.error(`wrote ${relative(process.cwd(), file)}`);
    }
  }
}

async function main(): Promise<void> {
  const tasks = values.task === 'all' ? Object.keys(TASKS) : values.task!.split(',');
  const base = PRESETS[values.preset!];
  if (!base || tasks.some((t) => !TASKS[t])) fail(`--task from ${Object.keys(TASKS).join(',')}; --preset from ${Object.keys(PRESETS).join(',')}`);
  let preset: Preset;
  try {
    preset = overridePreset(base, values.set);
  } catch (e) {
    fail((e as Error).message.replace(/^bench\/glue: /, ''));
  }
  if (Number(values['max-train'])) preset = overridePreset(preset, `maxTrain=${Number(values['max-train'])}`);
  const methods = values.methods ? METHODS.filter((m) => values.methods!.split(',').includes(m.id)) : METHODS;
  if (values['write-recipes']) {
    writeRecipes(tasks, methods);
    return;
  }
  if (!existsSync(glueRoot)) fail(`${glueRoot} is absent; it needs the GLUE files of ../shared/data/glue/`);
  const seeds = parseSeeds(values.seeds!);
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const { kernels, reason } = selectKernels(values.kernels as KernelsChoice);

  if (values.unit) {
    // A child of --jobs: one task and seed.
    const [task, seed] = values.unit.split(':');
    await runUnit(task!, Number(seed), presetFor(preset, task!), methods, out, kernels);
    return;
  }
  console.error(`kernels: ${kernels.name} (${reason})`);
  const started = Date.now();
  const units = tasks.flatMap((task) => seeds.map((seed) => ({ task, seed })));
  const todo = units.filter((u) => !(values.reuse && existsSync(join(unitDir(out, u.task, u.seed), 'rows.json'))));
  if (todo.length < units.length) console.error(`--reuse: ${units.length - todo.length} task-seed result(s) already in ${out}`);
  const jobs = Math.max(1, Number(values.jobs) || 1);
  if (jobs > 1) await runUnitsInChildren(todo, jobs, out);
  else for (const u of todo) await runUnit(u.task, u.seed, presetFor(preset, u.task), methods, out, kernels);

  const rows: RowResult[] = [];
  let unitMinutes = 0;
  const settings: Record<string, Preset> = {};
  for (const u of units) {
    const r = JSON.parse(readFileSync(join(unitDir(out, u.task, u.seed), 'rows.json'), 'utf8')) as { minutes: number; preset: Preset; rows: RowResult[] };
    unitMinutes += r.minutes;
    // The settings each task ran with, as its units recorded them: a --reuse'd unit must have run with this
    // command's settings for its task (compared without the per-task table, which other tasks' changes alter).
    const effective = (p: Preset) => JSON.stringify({ ...p, perTask: undefined });
    if (effective(r.preset) !== effective(presetFor(preset, u.task))) {
      fail(`${u.task}: ${unitDir(out, u.task, u.seed)} ran with other settings than this command's (${effective(r.preset)}); delete it or rerun without --reuse`);
    }
    settings[u.task] = r.preset;
    rows.push(...r.rows.filter((x) => methods.some((m) => m.id === x.method)));
  }
  console.error('measuring size and packed-engine latency (seed 1 checkpoints, batch 1)...');
  const costs = measureCosts(rows, tasks, kernels);
  const report = buildReport(rows, tasks, methods, costs, {
    command: `node --import tsx bench/glue.ts ${process.argv.slice(2).join(' ')}`,
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}, kernels ${kernels.name}`,
    revision: gitRevision(),
    minutes: (Date.now() - started) / 60000,
    unitMinutes: unitMinutes / units.length,
    units: units.length,
    ran: todo.length,
    jobs,
    preset: values.preset!,
    settings,
  });
  writeFileSync(join(out, 'glue.md'), report.markdown);
  writeFileSync(join(out, 'glue.json'), JSON.stringify(report.json, null, 2) + '\n');
  process.stdout.write(report.markdown);
}

function gitRevision(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

interface ReportInfo {
  command: string;
  date: string;
  machine: string;
  revision: string;
  minutes: number;
  unitMinutes: number;
  /** task-seeds in the table, and how many this invocation trained (the rest were --reuse'd) */
  units: number;
  ran: number;
  jobs: number;
  preset: string;
  settings: Record<string, Preset>;
}

/** The paper's orderings (bit-algorithm.md §5-6) as pairs: `better` should beat (or, with orEqual, match) `worse`. */
const ORDERINGS: { name: string; better: string; worse: string; orEqual?: boolean }[] = [
  { name: 'BiT > BiT*', better: 'bit', worse: 'bit-star' },
  { name: 'BiT* > BinaryBERT-style', better: 'bit-star', worse: 'binarybert' },
  { name: 'W1A4 >= W1A2', better: 'bit-w1a4', worse: 'bit-w1a2', orEqual: true },
  { name: 'W1A2 >= W1A1', better: 'bit-w1a2', worse: 'bit', orEqual: true },
  { name: 'elastic helps (BiT > elastic off)', better: 'bit', worse: 'no-elastic' },
  { name: 'two-set helps (BiT > two-set off)', better: 'bit', worse: 'no-two-set' },
];

function buildReport(rows: RowResult[], tasks: string[], methods: Method[], costs: Map<string, RowCost>, info: ReportInfo) {
  const cell = (xs: number[]) => {
    if (!xs.length) return '-';
    const { mean, std } = meanStd(xs.map((x) => x * 100));
    return xs.length > 1 ? `${mean.toFixed(1)} ± ${std.toFixed(1)}` : mean.toFixed(1);
  };
  const seedsOf = (t: string) => [...new Set(rows.filter((r) => r.task === t).map((r) => r.seed))].sort((a, b) => a - b);
  const lines = [
    `# GLUE dev at laptop scale (metric x100; mean ± std over seeds)`,
    '',
    `command: \`${info.command}\`  `,
    `date: ${info.date}; machine: ${info.machine}; git revision: ${info.revision}  `,
    `this invocation: ${info.minutes.toFixed(1)} min wall, ${info.ran} of ${info.units} task-seed(s) trained (${info.units - info.ran} reused), ${info.jobs} job(s) in parallel; one task and seed (every row) takes ${info.unitMinutes.toFixed(1)} min of one job on one core  `,
    `seeds: ${tasks.map((t) => `${t} ${seedsOf(t).join(',')}`).join('; ')}; preset ${info.preset}: ${tasks.map((t) => { const p = info.settings[t]!; return `${t}: ${p.arch.replace(/[{}]/g, '').trim()}, len ${p.maxLength}, ${p.maxTrain} train examples, teacher ${p.teacherEpochs} ep lr ${p.teacherLr}, stages ${p.stageEpochs} ep lr ${p.lr}, batch ${p.batchSize}, eval every ${p.evalEvery || 'epoch'}`; }).join('; ')}`,
    '',
    'Metrics: SST-2 accuracy, CoLA Matthews correlation, STS-B mean of Pearson and Spearman; the best dev evaluation of each stage, as in the paper. Teachers are trained from scratch (no pretrained BERT here) and no data augmentation is used.',
    '',
    `| method | bits | ${tasks.join(' | ')} | avg |`,
    `| --- | --- | ${tasks.map(() => '---').join(' | ')} | --- |`,
  ];
  const valuesOf = (t: string, id: string) => (id === 'fp' ? rows.filter((r) => r.task === t && r.method === methods[0]!.id).map((r) => r.teacher) : rows.filter((r) => r.task === t && r.method === id).map((r) => r.metric));
  const meanOf = (t: string, id: string) => meanStd(valuesOf(t, id)).mean;
  const avg = (id: string) => (tasks.every((t) => valuesOf(t, id).length) ? (tasks.reduce((a, t) => a + meanOf(t, id), 0) / tasks.length) * 100 : NaN);
  const fmt = (x: number, digits = 1) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
  lines.push(`| FP teacher | W32A32 | ${tasks.map((t) => cell(valuesOf(t, 'fp'))).join(' | ')} | ${fmt(avg('fp'))} |`);
  const json: Record<string, unknown>[] = [];
  for (const m of methods) {
    lines.push(`| ${m.label} | ${m.bits} | ${tasks.map((t) => cell(valuesOf(t, m.id))).join(' | ')} | ${fmt(avg(m.id))} |`);
    json.push({
      method: m.id, label: m.label, bits: m.bits,
      results: Object.fromEntries(tasks.map((t) => [t, { ...meanStd(valuesOf(t, m.id)), values: valuesOf(t, m.id), cost: costs.get(`${t}/${m.id}`) ?? null }])),
    });
  }
  json.unshift({ method: 'fp', label: 'FP teacher', bits: 'W32A32', results: Object.fromEntries(tasks.map((t) => [t, { ...meanStd(valuesOf(t, 'fp')), values: valuesOf(t, 'fp'), cost: costs.get(`${t}/fp`) ?? null }])) });

  lines.push('', '## Retention (student / FP teacher) next to the paper\'s', '', `| method | ${tasks.map((t) => `${t} (ours) | ${t} (paper)`).join(' | ')} |`, `| --- | ${tasks.map(() => '--- | ---').join(' | ')} |`);
  const retention: Record<string, Record<string, number>> = {};
  for (const m of methods) {
    const parts = tasks.map((t) => {
      const rs = rows.filter((r) => r.task === t && r.method === m.id);
      const ours = rs.length ? meanStd(rs.map((r) => r.metric / r.teacher)).mean * 100 : NaN;
      (retention[m.id] ??= {})[t] = ours;
      const paper = PAPER[m.id]?.[t] !== undefined ? (100 * PAPER[m.id]![t]!) / PAPER['fp']![t]! : NaN;
      return `${Number.isNaN(ours) ? '-' : ours.toFixed(1) + ' %'} | ${Number.isNaN(paper) ? '-' : paper.toFixed(1) + ' %'}`;
    });
    lines.push(`| ${m.label} | ${parts.join(' | ')} |`);
  }

  // The orderings, on the mean over seeds, per task and on the average.
  const present = (id: string) => methods.some((m) => m.id === id);
  const orderings = ORDERINGS.filter((o) => present(o.better) && present(o.worse)).map((o) => {
    const margins = Object.fromEntries(tasks.map((t) => [t, (meanOf(t, o.better) - meanOf(t, o.worse)) * 100]));
    const average = avg(o.better) - avg(o.worse);
    const holds = (d: number) => (o.orEqual ? d >= 0 : d > 0);
    return { ...o, margins, average, holds: Object.fromEntries([...tasks.map((t) => [t, holds(margins[t]!)]), ['avg', holds(average)]]) };
  });
  if (orderings.length) {
    lines.push('', '## The paper\'s orderings on the mean over seeds (margin in points; ✓ holds, ✗ does not)', '', `| ordering | ${tasks.join(' | ')} | avg |`, `| --- | ${tasks.map(() => '---').join(' | ')} | --- |`);
    for (const o of orderings) {
      const mark = (d: number, ok: boolean) => `${ok ? '✓' : '✗'} ${d >= 0 ? '+' : ''}${d.toFixed(1)}`;
      lines.push(`| ${o.name} | ${tasks.map((t) => mark(o.margins[t]!, o.holds[t]!)).join(' | ')} | ${mark(o.average, o.holds['avg']!)} |`);
    }
  }

  if (costs.size) {
    lines.push('', '## Size and latency (packed engine, raw text to label, batch 1, median over the first 128 dev examples of seed 1\'s checkpoints)', '');
    lines.push(`| method | .bitpack | FP32 params | ${tasks.map((t) => `${t} ms/example`).join(' | ')} |`, `| --- | ---: | ---: | ${tasks.map(() => '---:').join(' | ')} |`);
    for (const [id, label] of [['fp', 'FP teacher'], ...methods.map((m) => [m.id, m.label])] as [string, string][]) {
      const any = tasks.map((t) => costs.get(`${t}/${id}`)).find((c) => c);
      if (!any) continue;
      lines.push(`| ${label} | ${(any.bitpackBytes / 2 ** 20).toFixed(2)} MiB | ${(any.fp32Bytes / 2 ** 20).toFixed(2)} MiB | ${tasks.map((t) => fmt(costs.get(`${t}/${id}`)?.latencyMs ?? NaN, 2)).join(' | ')} |`);
    }
    lines.push('', 'The word-embedding table (30,522 x hidden) dominates the size of a model this small: BiT binarizes it too (1 bit + one scale per row).');
  }
  lines.push('');
  return { markdown: lines.join('\n') + '\n', json: { ...info, tasks, rows, methods: json, retention, orderings } };
}

await main();
