/**
 * The formats `bitkit export` writes, as a table: each entry turns a loaded checkpoint into one file. The command
 * (export-command.ts) takes its `--format` choices and help from this list, so a new format is one entry appended
 * here (e.g. `onnx`, from runtime/io/onnx/).
 */
import { statSync } from 'node:fs';
import { BitkitError } from '../errors.js';
import { packModel } from '../engine/packed-model.js';
import { writeBitpack } from '../io/bitpack.js';
import { exportOnnx } from '../io/onnx/export.js';
import type { Kernels } from '../kernels/kernels.js';
import { type LoadedCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { loadTokenizer } from '../train/prepare-data.js';

export interface ExportJob {
  /** The checkpoint file given on the command line. */
  checkpointPath: string;
  checkpoint: LoadedCheckpoint;
  /** Output path (the format's default extension appended by the command when --out is absent). */
  out: string;
  kernels: Kernels;
}

export interface ExportResult {
  path: string;
  bytes: number;
  /** Lines for the user (what was written, what was left out). */
  notes: string[];
}

export interface ExportFormat {
  name: string;
  /** Default file extension, with the dot. */
  extension: string;
  description: string;
  run(job: ExportJob): ExportResult;
}

/** `.bitpack`: packed 1-bit weights + FP remainder + tokenizer, for `bitkit predict` and the packed engine. */
export const bitpackFormat: ExportFormat = {
  name: 'bitpack',
  extension: '.bitpack',
  description: 'packed 1-bit weights, scales, FP remainder and vocabulary in one file (bitkit predict, eval --engine packed)',
  run(job) {
    const { model, meta } = job.checkpoint;
    const tokenizer = loadTokenizer(meta.tokenizer);
    const packed = packModel(model, meta, tokenizer.vocab, job.checkpointPath);
    const bytes = writeBitpack(job.out, packed);
    const fp32Bytes = model.paramData.length * 4;
    return {
      path: job.out,
      bytes,
      notes: [`${(bytes / 2 ** 20).toFixed(2)} MiB (the FP32 parameters: ${(fp32Bytes / 2 ** 20).toFixed(2)} MiB, ${(fp32Bytes / bytes).toFixed(1)}x)`],
    };
  },
};

/** Latent FP32 weights with the bitkit metadata (a checkpoint without optimiser state), for further training. */
export const safetensorsFormat: ExportFormat = {
  name: 'safetensors',
  extension: '.safetensors',
  description: 'latent FP32 weights, scales and shifts with the bitkit metadata (further training, other tools)',
  run(job) {
    const { model, meta } = job.checkpoint;
    saveCheckpoint(job.out, model, meta);
    return { path: job.out, bytes: statSync(job.out).size, notes: ['latent weights (not binarized): the file trains on, as a stage checkpoint'] };
  },
};

/** ONNX (opset 17) fake-quantized graph: binarized weights as constants, quantizers as standard ops (runtime/io/onnx/export.ts). */
export const onnxFormat: ExportFormat = {
  name: 'onnx',
  extension: '.onnx',
  description: 'ONNX opset 17 graph (FP teacher or fake-quantized student) for ONNX Runtime and other tools (eval --engine onnx)',
  run(job) {
    const { model, meta } = job.checkpoint;
    const r = exportOnnx(model, job.out, { meta: { stage: meta.stage, task: meta.task, labelNames: meta.labelNames, isRegression: meta.isRegression, tokenizer: meta.tokenizer, metrics: meta.metrics, provenance: meta.provenance } });
    return {
      path: job.out,
      bytes: r.bytes,
      notes: [`${r.nodes} nodes, ${r.initializers} initializers; inputs input_ids/token_type_ids/attention_mask int64 [batch, sequence], output logits`,
        'binarized weights are stored as FP32 constants (+-alpha): the file is for interoperability, `.bitpack` is the compact one'],
    };
  },
};

/** Every export format; append to this list to add one. */
export const EXPORT_FORMATS: ExportFormat[] = [bitpackFormat, safetensorsFormat, onnxFormat];

export function exportFormat(name: string): ExportFormat {
  const f = EXPORT_FORMATS.find((x) => x.name === name);
  if (f === undefined) {
    throw new BitkitError('BK9001', `unknown export format "${name}"`, { hint: `formats: ${EXPORT_FORMATS.map((x) => x.name).join(', ')}` });
  }
  return f;
}
