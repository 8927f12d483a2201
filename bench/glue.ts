/**
 * bench/glue: the paper's comparison at laptop scale. For each task and seed, trains one FP teacher from scratch
 * on the GLUE files in ../shared/data/glue/, then distils every method of bench/glue-methods.ts from it, and writes
 * a Markdown table in the layout of the paper's (rows = methods, columns = tasks + average), the same as retention
 * (student / FP teacher) next to the paper's retention, and JSON.
 *
 *   node --import tsx bench/glue.ts --task sst2,cola,stsb --seeds 3 --preset small --out bench/results/glue
 *
 * Options: --task (comma list or all), --seeds N (seeds 1..N), --preset small|tiny, --out DIR, --kernels SET,
 * --methods id,id (subset), --max-train N (cap training examples; 0 = preset's).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { selectKernels } from '../runtime/kernels/select.js';
import { loadRecipeText } from '../runtime/recipe/load.js';
import type { KernelsChoice } from '../runtime/recipe/types.js';
import { distill } from '../runtime/train/distill.js';
import type { StageSummary } from '../runtime/train/events.js';
import { TerminalSink } from '../runtime/train/progress.js';
import { glueRoot, METHODS, type Method, PAPER, PRESETS, recipeYaml, TASKS } from './glue-methods.js';

interface RowResult {
  method: string;
  label: string;
  bits: string;
  task: string;
  seed: number;
  metric: number;
  teacher: number;
  seconds: number;
}

const repo = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      task: { type: 'string', default: 'sst2,cola,stsb' },
      seeds: { type: 'string', default: '1' },
      preset: { type: 'string', default: 'small' },
      out: { type: 'string', default: 'bench/results/glue' },
      kernels: { type: 'string', default: 'auto' },
      methods: { type: 'string' },
      'max-train': { type: 'string', default: '0' },
    },
  });
  if (!existsSync(glueRoot)) {
    console.error(`bench/glue: ${glueRoot} is absent; it needs the GLUE files of ../shared/data/glue/`);
    process.exit(2);
  }
  const tasks = values.task === 'all' ? Object.keys(TASKS) : values.task!.split(',');
  const preset = PRESETS[values.preset!];
  if (!preset || tasks.some((t) => !TASKS[t])) {
    console.error(`bench/glue: --task from ${Object.keys(TASKS).join(',')}; --preset from ${Object.keys(PRESETS).join(',')}`);
    process.exit(2);
  }
  const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
  const methods = values.methods ? METHODS.filter((m) => values.methods!.split(',').includes(m.id)) : METHODS;
  const maxTrain = Number(values['max-train']) || preset.maxTrain;
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const { kernels, reason } = selectKernels(values.kernels as KernelsChoice);
  console.error(`kernels: ${kernels.name} (${reason})`);

  const rows: RowResult[] = [];
  const started = Date.now();
  for (const task of tasks) {
    for (const seed of seeds) {
      const seedStart = Date.now();
      const runs = new Map<string, StageSummary[]>();
      // BiT first: its teacher stage trains the FP teacher every other method distils from.
      const ordered = [...methods.filter((m) => m.id === 'bit'), ...methods.filter((m) => m.id !== 'bit')];
      for (const method of ordered) {
        const source = method.sameRunAs ?? method.id;
        if (!runs.has(source)) {
          const m = METHODS.find((x) => x.id === source)!;
          const teacherCkpt = source === 'bit' ? null : join(out, task, `seed${seed}`, 'bit', 'teacher', 'best.safetensors');
          const file = join(out, task, `seed${seed}`, `${source}.bitkit.yaml`);
          const text = recipeYaml(task, m, preset, seed, maxTrain, teacherCkpt);
          mkdirSync(join(out, task, `seed${seed}`), { recursive: true });
          writeFileSync(file, text);
          const recipe = loadRecipeText(text, file);
          recipe.output = join(out, task, `seed${seed}`, source);
          const sink = new TerminalSink(process.stderr, true);
          const r = await distill(recipe, { kernels, sink, cancel: { requested: false }, resume: false });
          runs.set(source, r.stages);
        }
        const stages = runs.get(source)!;
        const teacher = runs.get('bit')?.[0]?.best ?? stages[0]!.best!;
        const reported = stages.find((s) => s.stage === method.reported)!;
        rows.push({ method: method.id, label: method.label, bits: method.bits, task, seed, metric: reported.best!, teacher, seconds: reported.seconds });
      }
      console.error(`${task} seed ${seed}: ${((Date.now() - seedStart) / 60000).toFixed(1)} min`);
    }
  }
  const report = buildReport(rows, tasks, methods, {
    command: `node --import tsx bench/glue.ts ${process.argv.slice(2).join(' ')}`,
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}, kernels ${kernels.name}`,
    revision: gitRevision(),
    minutes: (Date.now() - started) / 60000,
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

function buildReport(rows: RowResult[], tasks: string[], methods: Method[], info: { command: string; date: string; machine: string; revision: string; minutes: number }) {
  const cell = (xs: number[]) => {
    const { mean, std } = meanStd(xs.map((x) => x * 100));
    return xs.length > 1 ? `${mean.toFixed(1)} ± ${std.toFixed(1)}` : mean.toFixed(1);
  };
  const lines = [
    `# GLUE dev at laptop scale (metric x100; mean ± std over seeds)`,
    '',
    `command: \`${info.command}\`  `,
    `date: ${info.date}; machine: ${info.machine}; git revision: ${info.revision}; ${info.minutes.toFixed(1)} min`,
    '',
    `| method | bits | ${tasks.join(' | ')} | avg |`,
    `| --- | --- | ${tasks.map(() => '---').join(' | ')} | --- |`,
  ];
  const teacherRow = tasks.map((t) => rows.filter((r) => r.task === t && r.method === methods[0]!.id).map((r) => r.teacher));
  const avg = (cols: number[][]) => (cols.every((c) => c.length) ? (cols.reduce((a, c) => a + meanStd(c).mean, 0) / cols.length) * 100 : NaN);
  lines.push(`| FP teacher | W32A32 | ${teacherRow.map(cell).join(' | ')} | ${avg(teacherRow).toFixed(1)} |`);
  const json: Record<string, unknown>[] = [];
  for (const m of methods) {
    const cols = tasks.map((t) => rows.filter((r) => r.task === t && r.method === m.id).map((r) => r.metric));
    lines.push(`| ${m.label} | ${m.bits} | ${cols.map(cell).join(' | ')} | ${avg(cols).toFixed(1)} |`);
    json.push({ method: m.id, label: m.label, bits: m.bits, results: Object.fromEntries(tasks.map((t, i) => [t, { ...meanStd(cols[i]!), values: cols[i] }])) });
  }
  lines.push('', '## Retention (student / FP teacher) next to the paper\'s', '', `| method | ${tasks.map((t) => `${t} (ours) | ${t} (paper)`).join(' | ')} |`, `| --- | ${tasks.map(() => '--- | ---').join(' | ')} |`);
  for (const m of methods) {
    const parts = tasks.map((t) => {
      const rs = rows.filter((r) => r.task === t && r.method === m.id);
      const ours = rs.length ? meanStd(rs.map((r) => r.metric / r.teacher)).mean * 100 : NaN;
      const paper = PAPER[m.id]?.[t] !== undefined ? (100 * PAPER[m.id]![t]!) / PAPER['fp']![t]! : NaN;
      return `${Number.isNaN(ours) ? '-' : ours.toFixed(1) + ' %'} | ${Number.isNaN(paper) ? '-' : paper.toFixed(1) + ' %'}`;
    });
    lines.push(`| ${m.label} | ${parts.join(' | ')} |`);
  }
  lines.push('');
  return { markdown: lines.join('\n') + '\n', json: { ...info, tasks, rows, methods: json } };
}

await main();
