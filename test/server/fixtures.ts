// Fixtures of the server tests, written by the tests: recipes, tiny safetensors checkpoints (plain, bitkit-style
// with `bitkit.meta`, corrupt), Hugging Face folders and GLUE-style TSVs; and the expected LSP diagnostic of a code.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic, Range } from 'vscode-languageserver-protocol';
import { packModel } from '../../runtime/engine/packed-model.js';
import { writeBitpack } from '../../runtime/io/bitpack.js';
import { writeSafetensors } from '../../runtime/io/safetensors.js';
import { metaFor, tinyVocab } from '../runtime/engine/helpers.js';
import { tinyConfig, tinyModel } from '../runtime/model/tiny-model.js';
import { makeDiagnostic, type DiagnosticCode } from '../../runtime/recipe/diagnostics.js';
import { toLspDiagnostic } from '../../server/convert.js';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `bitkit-lsp-${tag}-`));
}

/** A valid recipe with no diagnostics: a 2-layer teacher from scratch, W1A2, then W1A1. */
export const BASE = `version: 1
task: example
teacher:
  architecture: { layers: 2, hidden: 64, heads: 4, intermediate: 128, maxPositions: 64 }
stages:
  - name: w1a2
    bits: W1A2
  - name: w1a1
    teacher: w1a2
    bits: W1A1
`;

/** The expected LSP diagnostic: message and hint from the registry filled with `args` (the one template source). */
export function expected(code: DiagnosticCode, range: Range, args: Record<string, string | number> = {}, data?: Record<string, unknown>): Diagnostic {
  const zero = { line: 1, column: 1, offset: 0 };
  const d = toLspDiagnostic(makeDiagnostic(code, 'x', { start: zero, end: zero }, args, data));
  return { ...d, range };
}

/** Tensor names and shapes of a tiny BERT (hidden C, FFN F) with `layers` layers, HF names. */
export function bertTensors(layers: number, C = 8, F = 16, V = 32): { name: string; shape: number[] }[] {
  const t: { name: string; shape: number[] }[] = [{ name: 'bert.embeddings.word_embeddings.weight', shape: [V, C] }];
  for (let l = 0; l < layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) t.push({ name: `${p}.${n}.weight`, shape: [C, C] });
    t.push({ name: `${p}.intermediate.dense.weight`, shape: [F, C] }, { name: `${p}.output.dense.weight`, shape: [C, F] });
  }
  t.push({ name: 'bert.pooler.dense.weight', shape: [C, C] });
  return t;
}

export function writeCheckpoint(path: string, layers: number, metadata: Record<string, string> = {}): void {
  const tensors = bertTensors(layers).map((t) => ({ ...t, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)) }));
  writeSafetensors(path, tensors, metadata);
}

export function writeHfFolder(dir: string, layers: number, config: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', num_hidden_layers: layers, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 64, vocab_size: 32, ...config }));
  writeCheckpoint(join(dir, 'model.safetensors'), layers);
}

/** A recipe whose teacher is a checkpoint path (relative to the recipe) and with the given overrides block. */
export function checkpointRecipe(checkpoint: string, overrides: string): string {
  return `version: 1
task: example
teacher:
  checkpoint: ${checkpoint}
stages:
  - name: w1a2
    bits: W1A2
  - name: w1a1
    bits: W1A1
overrides:
${overrides}`;
}

/** A real `.bitpack` of the tiny W1A1 test model (runtime/io/bitpack.ts); returns its layer count. */
export function writeBitpackFixture(path: string): number {
  const m = tinyModel(1, 1);
  writeBitpack(path, packModel(m, metaFor(m), tinyVocab));
  return tinyConfig.layers;
}
