// Language-server latency, measured as a client sees it: the server is spawned over stdio and driven through
// vscode-languageserver-protocol. For a 2,000-line and a 20-line recipe (teacher = a safetensors checkpoint, whose
// header the server caches), 200 one-character edits each: time from didChange to the publishDiagnostics of that
// version; then 200 completion requests (a `match:` value: layer names from the checkpoint header). The server
// measured is the bundle as shipped (server/main.ts bundled by esbuild like dist/server.js; --source runs it
// through tsx instead). Prints a table; writes JSON to bench/results/lsp.json (or --out FILE).
//   node --import tsx bench/lsp.ts [--out FILE] [--edits N] [--source]
import { mkdirSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LspClient, ROOT, uriOf } from '../test/server/lsp-client.js';
import { tempDir, writeCheckpoint } from '../test/server/fixtures.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, edits: { type: 'string' }, source: { type: 'boolean' } } });
const EDITS = Number(values.edits ?? 200);
const OUT = values.out ?? join(ROOT, 'bench', 'results', 'lsp.json');

function recipe(stages: number, overrides: number): string {
  let t = 'version: 1\nname: bench\ntask: example\nteacher:\n  checkpoint: teacher.safetensors\ndefaults:\n  batchSize: 16\n  lr: 5e-4\nstages:\n';
  for (let i = 0; i < stages; i++) {
    t += `  - name: s${i}\n    teacher: ${i === 0 ? 'teacher' : `s${i - 1}`}\n    bits: ${i === 0 ? 'W1A2' : 'W1A1'}\n    epochs: 3\n    loss: { pred: 1, rep: 1 }\n`;
  }
  t += 'overrides:\n';
  for (let i = 0; i < overrides; i++) t += `  - match: bert.encoder.layer.${i % 12}.attention.self.query\n    activationBits: 2\n    stages: [s${i % stages}]\n`;
  return t;
}

interface Stats {
  median: number;
  p95: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { median: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

async function main(): Promise<void> {
  const dir = tempDir('bench');
  writeCheckpoint(join(dir, 'teacher.safetensors'), 12);
  const docs = { 'recipe-2000-lines': recipe(160, 400), 'recipe-20-lines': recipe(2, 1) };
  let serverArgs: string[] | undefined;
  if (!values.source) {
    const outfile = join(dir, 'server.mjs');
    await esbuild.build({
      entryPoints: [join(ROOT, 'server', 'main.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning',
      banner: { js: "import { createRequire as __bitkitRequire } from 'node:module'; const require = __bitkitRequire(import.meta.url);" },
    });
    serverArgs = [outfile];
  }
  const client = await LspClient.start({}, serverArgs);
  const results: Record<string, { lines: number; diagnostics: Stats; completion: Stats; completionItems: number }> = {};
  try {
    for (const [name, text] of Object.entries(docs)) {
      const uri = uriOf(join(dir, `${name}.bitkit.yaml`));
      const first = await client.open(uri, text);
      if (first.length > 0) throw new Error(`${name}: expected a clean recipe, got ${first.map((d) => d.code).join(', ')}`);
      const lines = text.split('\n');
      const epochLines = lines.map((l, i) => (l === '    epochs: 3' ? i : -1)).filter((i) => i >= 0);
      const diag: number[] = [];
      for (let k = 0; k < EDITS + 10; k++) {
        const line = epochLines[k % epochLines.length]!;
        const digit = String(1 + (k % 9));
        const t0 = performance.now();
        await client.change(uri, digit, { start: { line, character: 12 }, end: { line, character: 13 } });
        if (k >= 10) diag.push(performance.now() - t0); // the first 10 warm the JIT
      }
      const matchLine = lines.findIndex((l) => l.startsWith('  - match: '));
      const comp: number[] = [];
      let items = 0;
      for (let k = 0; k < EDITS + 10; k++) {
        const t0 = performance.now();
        const got = await client.completion(uri, { line: matchLine, character: 11 + (k % 5) });
        if (k >= 10) comp.push(performance.now() - t0);
        items = got.length;
      }
      results[name] = { lines: lines.length, diagnostics: stats(diag), completion: stats(comp), completionItems: items };
    }
  } finally {
    await client.stop();
  }
  const rows = Object.entries(results).map(([name, r]) => [
    name, String(r.lines),
    r.diagnostics.median.toFixed(2), r.diagnostics.p95.toFixed(2),
    r.completion.median.toFixed(2), r.completion.p95.toFixed(2), String(r.completionItems),
  ]);
  const header = ['document', 'lines', 'didChange->diagnostics median ms', 'p95 ms', 'completion median ms', 'p95 ms', 'items'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(fmt(header));
  for (const r of rows) console.log(fmt(r));
  const targets = { diagnosticsP95Ms: 25, completionP95Ms: 10 };
  const pass = Object.values(results).every((r) => r.diagnostics.p95 <= targets.diagnosticsP95Ms && r.completion.p95 <= targets.completionP95Ms);
  console.log(`targets: diagnostics p95 <= ${targets.diagnosticsP95Ms} ms, completion p95 <= ${targets.completionP95Ms} ms: ${pass ? 'met' : 'NOT met'}`);
  mkdirSync(dirname(OUT), { recursive: true });
  const server = values.source ? 'source (tsx)' : 'esbuild bundle';
  console.log(`server: ${server}`);
  writeFileSync(OUT, JSON.stringify({ bench: 'lsp', date: new Date().toISOString(), node: process.version, server, edits: EDITS, targets, pass, results }, null, 2) + '\n');
  console.log(`wrote ${OUT}`);
}

await main();
