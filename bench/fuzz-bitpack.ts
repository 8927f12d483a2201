/**
 * bench/fuzz-bitpack: 10,000 (or --cases N) mutated .bitpack files through the reader (and the engine when a mutation
 * leaves a valid file): no crash, no hang, a BitkitError naming the file each time. Prints the outcome table and
 * writes JSON. The same loop runs 2,000 cases in `npm test` (test/runtime/io/bitpack-fuzz.test.ts).
 *
 *   node --import tsx bench/fuzz-bitpack.ts [--cases N] [--seed S] [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packModel } from '../runtime/engine/packed-model.js';
import { encodeBitpack } from '../runtime/io/bitpack.js';
import { metaFor, tinyVocab } from '../test/runtime/engine/helpers.js';
import { fuzzBitpack } from '../test/runtime/io/bitpack-fuzz-run.js';
import { tinyBatch, tinyModel } from '../test/runtime/model/tiny-model.js';

const { values: args } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
const cases = args.cases ? Number(args.cases) : 10_000;
const seed = args.seed ? Number(args.seed) : 20261130;
const m = tinyModel(1, 1);
const good = encodeBitpack(packModel(m, metaFor(m), tinyVocab));
const t0 = performance.now();
const r = fuzzBitpack(good, cases, seed, tinyBatch());
const seconds = (performance.now() - t0) / 1000;
const lines = [
  `bench/fuzz-bitpack: ${cases} mutated files of a ${good.length}-byte W1A1 .bitpack, seed ${seed}, ${seconds.toFixed(1)} s, slowest case ${r.slowestMs.toFixed(1)} ms`,
  '',
  '| outcome | count |',
  '| --- | ---: |',
  ...Object.entries(r.errors).sort().map(([code, n]) => `| BitkitError ${code} | ${n} |`),
  `| valid file (checksums recomputed), ran a batch | ${r.loaded} |`,
  `| contract failures (crash, unnamed file, damaged file accepted) | ${r.failures.length} |`,
  '',
  `mutations: ${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ...r.failures.slice(0, 20).map((f) => `FAIL ${f}`),
];
process.stdout.write(lines.join('\n') + '\n');
const outDir = args.out ?? join('bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'fuzz-bitpack.json'), JSON.stringify({ bench: 'fuzz-bitpack', date: new Date().toISOString(), seed, seconds, fileBytes: good.length, ...r }, null, 2) + '\n');
process.exitCode = r.failures.length === 0 ? 0 : 1;
