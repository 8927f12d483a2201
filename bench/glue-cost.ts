/**
 * What a row of the GLUE table costs to deploy: the size of its checkpoint as a `.bitpack` (packed 1-bit weights,
 * FP remainder and vocabulary, exactly as `bitkit export --format bitpack` writes it) and its latency on the packed
 * engine, from raw text (tokenizer inside) at batch 1 over the first dev sentences, median per example.
 */
import { encodeBitpack } from '../runtime/io/bitpack.js';
import type { Example } from '../runtime/data/glue.js';
import { PackedEngine } from '../runtime/engine/packed-engine.js';
import { packModel } from '../runtime/engine/packed-model.js';
import type { Kernels } from '../runtime/kernels/kernels.js';
import { loadCheckpoint } from '../runtime/train/checkpoint.js';
import { loadTokenizer } from '../runtime/train/prepare-data.js';

export interface RowCost {
  /** bytes of the `.bitpack` */
  bitpackBytes: number;
  /** bytes of the same parameters in FP32 */
  fp32Bytes: number;
  /** median ms per example, batch 1, packed engine */
  latencyMs: number;
  /** examples timed */
  examples: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measureRowCost(checkpoint: string, dev: readonly Example[], kernels: Kernels, examples = 128): RowCost {
  const { model, meta } = loadCheckpoint(checkpoint, kernels);
  const tokenizer = loadTokenizer(meta.tokenizer);
  const packed = packModel(model, meta, tokenizer.vocab, checkpoint);
  const bitpackBytes = encodeBitpack(packed).length;
  const engine = new PackedEngine(packed, kernels);
  const inputs = dev.slice(0, examples).map((e) => ({ textA: e.textA, textB: e.textB }));
  // warm-up: buffers, caches and the JIT (a model this small runs in a fraction of a millisecond, where an unwarmed
  // path would dominate)
  for (let i = 0; i < 3; i++) engine.predict(inputs.slice(0, 32), 1);
  const times: number[] = [];
  for (const input of inputs) {
    const t0 = performance.now();
    engine.predict([input], 1);
    times.push(performance.now() - t0);
  }
  return { bitpackBytes, fp32Bytes: model.paramData.length * 4, latencyMs: median(times), examples: times.length };
}
