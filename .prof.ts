import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentCache } from './server/document-cache.ts';
import { computeDiagnostics } from './server/features/diagnostics.ts';
import { ModelCatalog } from './server/model-catalog.ts';
import { DEFAULT_SETTINGS } from './server/settings.ts';
import { tempDir, writeCheckpoint } from './test/server/fixtures.ts';
import { validateRecipeSource } from './runtime/recipe/validate.ts';
import { extraDiagnostics } from './runtime/recipe/extra-checks.ts';
const dir = tempDir('prof'); writeCheckpoint(join(dir, 'teacher.safetensors'), 12);
let t = 'version: 1\nname: bench\ntask: example\nteacher:\n  checkpoint: teacher.safetensors\ndefaults:\n  batchSize: 16\n  lr: 5e-4\nstages:\n';
for (let i = 0; i < 160; i++) t += `  - name: s${i}\n    teacher: ${i === 0 ? 'teacher' : `s${i - 1}`}\n    bits: ${i === 0 ? 'W1A2' : 'W1A1'}\n    epochs: 3\n    loss: { pred: 1, rep: 1 }\n`;
t += 'overrides:\n';
for (let i = 0; i < 400; i++) t += `  - match: bert.encoder.layer.${i % 12}.attention.self.query\n    activationBits: 2\n    stages: [s${i % 160}]\n`;
const cache = new DocumentCache(); const cat = new ModelCatalog();
const uri = 'file://' + join(dir, 'big.bitkit.yaml');
const parts: Record<string, number[]> = { total: [], validate: [], extra: [] };
for (let k = 0; k < 300; k++) {
  const tt = t.replace(`name: s${k % 160}\n    teacher`, `name: s${k % 160}\n    teacher`).replace('epochs: 3', `epochs: ${1 + k % 9}`);
  const t0 = performance.now();
  const doc = cache.get(TextDocument.create(uri, 'bitkit-recipe', k + 1, tt));
  const t1 = performance.now();
  const d = computeDiagnostics(doc, DEFAULT_SETTINGS, cat);
  const t2 = performance.now();
  if (d.length) throw new Error(JSON.stringify(d[0]));
  parts.total.push(t2 - t0); parts.validate.push(t1 - t0); parts.extra.push(t2 - t1);
}
for (const [k, v] of Object.entries(parts)) { v.sort((a, b) => a - b); console.log(k, v[150]!.toFixed(2), v[285]!.toFixed(2)); }
