/**
 * Mutation fuzzing of the parsers bitkit owns for untrusted files: the safetensors header (runtime/io/safetensors.ts),
 * ONNX (runtime/io/onnx/reader.ts) and Hugging Face config.json (runtime/io/hf-folder.ts). Each mutated input must
 * either parse or throw a BitkitError with a code and a message: any other exception is a crash, any input taking
 * more than `hangMs` a hang, and the heap + array-buffer growth during one parse may not exceed a bound derived from
 * the input's size (a parser must not allocate from a size the file merely claims).
 * Used by test/runtime/io/inspect-fuzz.test.ts (a fast subset) and bench/fuzz-parsers.ts (>= 10,000 inputs).
 */
import { BitkitError } from '../../runtime/errors.js';
import { parseHfConfig } from '../../runtime/io/hf-folder.js';
import { encodeOnnx } from '../../runtime/io/onnx/export.js';
import { decodeOnnx } from '../../runtime/io/onnx/reader.js';
import { decodeSafetensors, encodeSafetensors } from '../../runtime/io/safetensors.js';
import { referenceKernels } from '../../runtime/kernels/reference.js';
import { BertModel } from '../../runtime/model/bert.js';
import type { BertConfig } from '../../runtime/model/types.js';
import { buildQuantPlan } from '../../runtime/quant/plan.js';
import { Rng } from '../../runtime/util/rng.js';

export interface FuzzStats {
  parser: string;
  inputs: number;
  parsed: number;
  rejected: number;
  /** error code -> count */
  codes: Record<string, number>;
  failures: string[];
  maxMs: number;
  maxGrowthBytes: number;
}

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  let b = new Uint8Array(src); // a copy (src may be a Buffer, whose slice() is a view)
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const op = rng.int(8);
    const at = b.length === 0 ? 0 : rng.int(b.length);
    if (op === 0 && b.length > 0) b[at] ^= 1 << rng.int(8); // bit flip
    else if (op === 1 && b.length > 0) b[at] = [0, 0xff, 0x7f, 0x80, 0x30, 0x22, 0x7b, 0x5d][rng.int(8)]!; // interesting byte
    else if (op === 2) b = b.subarray(0, at); // truncate
    else if (op === 3) { // delete a run
      const end = Math.min(b.length, at + 1 + rng.int(16));
      const c = new Uint8Array(b.length - (end - at));
      c.set(b.subarray(0, at));
      c.set(b.subarray(end), at);
      b = c;
    } else if (op === 4) { // insert random bytes
      const ins = Uint8Array.from({ length: 1 + rng.int(8) }, () => rng.int(256));
      const c = new Uint8Array(b.length + ins.length);
      c.set(b.subarray(0, at));
      c.set(ins, at);
      c.set(b.subarray(at), at + ins.length);
      b = c;
    } else if (op === 5 && b.length >= 8) { // overwrite 8 bytes with a huge little-endian number
      new DataView(b.buffer, b.byteOffset).setBigUint64(Math.min(at, b.length - 8), BigInt(rng.int(2 ** 30)) << BigInt(rng.int(34)), true);
    } else if (op === 6 && b.length > 0) { // protobuf varint / JSON digit inflation
      b[at] = 0x80 | rng.int(128);
    } else if (b.length > 1) { // duplicate a chunk
      const len = Math.min(b.length - at, 1 + rng.int(64));
      const c = new Uint8Array(b.length + len);
      c.set(b.subarray(0, at + len));
      c.set(b.subarray(at, at + len), at + len);
      c.set(b.subarray(at + len), at + 2 * len);
      b = c;
    }
  }
  return b;
}

/** Text-level mutations of JSON: swap values for hostile ones. */
function mutateJson(text: string, rng: Rng): string {
  const hostile = ['-1', '1e308', '0', '"x"', 'null', '[]', '{}', '1.5', '4294967296', '9007199254740993', 'true', '"gelu_new"', '"roberta"', '"relative_key"', '{"0":1}'];
  let t = text;
  if (rng.int(3) === 0) {
    const bytes = mutate(new TextEncoder().encode(t), rng);
    return new TextDecoder().decode(bytes);
  }
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const re = /:\s*("[^"]*"|-?\d+(\.\d+)?(e-?\d+)?|true|false|null)/g;
    const hits = [...t.matchAll(re)];
    if (hits.length === 0) break;
    const h = hits[rng.int(hits.length)]!;
    t = t.slice(0, h.index!) + ': ' + hostile[rng.int(hostile.length)]! + t.slice(h.index! + h[0].length);
  }
  return t;
}

function runOne(stats: FuzzStats, input: Uint8Array | string, parse: () => unknown, hangMs: number): void {
  const size = typeof input === 'string' ? input.length : input.length;
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  try {
    parse();
    stats.parsed++;
  } catch (e) {
    if (e instanceof BitkitError && /^BK\d{4}$/.test(e.code) && e.message.length > 0) {
      stats.rejected++;
      stats.codes[e.code] = (stats.codes[e.code] ?? 0) + 1;
    } else if (stats.failures.length < 10) {
      stats.failures.push(`${stats.parser} input #${stats.inputs}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
  }
  const ms = performance.now() - t0;
  const m1 = process.memoryUsage();
  const growth = Math.max(0, m1.heapUsed - m0.heapUsed) + Math.max(0, m1.arrayBuffers - m0.arrayBuffers);
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.maxGrowthBytes = Math.max(stats.maxGrowthBytes, growth);
  if (ms > hangMs && stats.failures.length < 10) stats.failures.push(`${stats.parser} input #${stats.inputs}: took ${ms.toFixed(0)} ms`);
  // generous bound: parsed objects of the input (JS objects cost ~50x their bytes) plus GC noise
  if (growth > 64 * 2 ** 20 + 200 * size && stats.failures.length < 10) stats.failures.push(`${stats.parser} input #${stats.inputs}: grew memory by ${growth} bytes for ${size} input bytes`);
  stats.inputs++;
}

function newStats(parser: string): FuzzStats {
  return { parser, inputs: 0, parsed: 0, rejected: 0, codes: {}, failures: [], maxMs: 0, maxGrowthBytes: 0 };
}

/** Seed inputs: a small safetensors file, a tiny exported W1A1 ONNX model, a real-layout BERT config.json. */
export function fuzzSeeds(): { safetensors: Uint8Array; onnx: Uint8Array; config: string } {
  const rng = new Rng(3);
  const t = (name: string, shape: number[], dtype: 'F32' | 'F16' = 'F32') => ({ name, shape, dtype, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()) });
  const safetensors = encodeSafetensors([t('a.weight', [3, 4]), t('a.bias', [3], 'F16'), t('b', [2, 2, 2])], { format: 'pt', note: 'seed' });
  const config: BertConfig = { layers: 1, hidden: 8, heads: 2, intermediate: 16, maxPositions: 8, vocabSize: 12, typeVocabSize: 2, hiddenAct: 'gelu',
    hiddenDropout: 0, attentionDropout: 0, layerNormEps: 1e-12, initializerRange: 0.02, numLabels: 2 };
  const plan = buildQuantPlan(config, { name: 's', weightBits: 1, activationBits: 1, quantization: { weightCentering: true, binarizeEmbeddings: true, elastic: true, twoSet: true,
    scaleInit: 'reference', attentionShifts: false, ffnActivation: 'relu', unsignedMinOffset: true, fixedClip: null } }, []);
  const model = new BertModel(config, plan, referenceKernels);
  model.initWeights(new Rng(1));
  for (const s of model.params) if (s.name.endsWith('.act_quant.scale')) model.param(s.name)[0] = 0.5;
  const onnx = new Uint8Array(encodeOnnx(model).bytes);
  const hf = JSON.stringify({ architectures: ['BertForSequenceClassification'], attention_probs_dropout_prob: 0.1, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    hidden_size: 768, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12,
    max_position_embeddings: 512, model_type: 'bert', num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0,
    position_embedding_type: 'absolute', type_vocab_size: 2, vocab_size: 30522 }, null, 2);
  return { safetensors, onnx, config: hf };
}

/** Run `counts` mutated inputs through each parser. */
export function fuzzParsers(counts: { safetensors: number; onnx: number; config: number }, seed = 1, hangMs = 10000): FuzzStats[] {
  const seeds = fuzzSeeds();
  const rng = new Rng(seed);
  const st = newStats('safetensors');
  for (let i = 0; i < counts.safetensors; i++) {
    const input = mutate(seeds.safetensors, rng);
    runOne(st, input, () => decodeSafetensors(input, 'fuzz.safetensors'), hangMs);
  }
  const on = newStats('onnx');
  for (let i = 0; i < counts.onnx; i++) {
    const input = mutate(seeds.onnx, rng);
    runOne(on, input, () => decodeOnnx(input, 'fuzz.onnx'), hangMs);
  }
  const cf = newStats('hf-config');
  for (let i = 0; i < counts.config; i++) {
    const input = mutateJson(seeds.config, rng);
    runOne(cf, input, () => parseHfConfig(input, 'config.json'), hangMs);
  }
  return [st, on, cf];
}
