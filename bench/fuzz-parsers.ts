/**
 * Fuzzing of bitkit's file parsers (safetensors header, ONNX, Hugging Face config.json; the .bitpack reader has its
 * own fuzzing with the packed engine): >= 10,000 mutated inputs in total. Prints a table and writes JSON.
 *   node --import tsx bench/fuzz-parsers.ts [--n 12000] [--seed 1] [--json bench/fuzz-parsers.json]
 * Exit code 1 when any input crashed (an exception other than a BitkitError), hung, or over-allocated.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzzParsers } from '../test/helpers/parser-fuzz.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '12000' }, seed: { type: 'string', default: '1' }, json: { type: 'string' } } });
const n = Number(values.n);
const started = Date.now();
const stats = fuzzParsers({ safetensors: Math.ceil(n * 0.4), onnx: Math.ceil(n * 0.3), config: Math.ceil(n * 0.3) }, Number(values.seed));
const seconds = (Date.now() - started) / 1000;
console.log('parser        inputs  parsed  rejected  max ms  max growth  failures  error codes');
for (const s of stats) {
  const codes = Object.entries(s.codes).sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c}:${k}`).join(' ');
  console.log(`${s.parser.padEnd(12)} ${String(s.inputs).padStart(7)} ${String(s.parsed).padStart(7)} ${String(s.rejected).padStart(9)} ${s.maxMs.toFixed(1).padStart(7)} ` +
    `${(s.maxGrowthBytes / 2 ** 20).toFixed(1).padStart(8)} MiB ${String(s.failures.length).padStart(9)}  ${codes}`);
  for (const f of s.failures) console.log(`  FAIL ${f}`);
}
const total = stats.reduce((a, s) => a + s.inputs, 0);
console.log(`${total} inputs in ${seconds.toFixed(1)} s`);
if (values.json) writeFileSync(values.json, JSON.stringify({ total, seconds, stats }, null, 2) + '\n');
process.exitCode = stats.some((s) => s.failures.length > 0) ? 1 : 0;
