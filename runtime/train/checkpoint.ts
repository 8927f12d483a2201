/**
 * Model checkpoints (safetensors): the parameters under their Hugging Face names plus metadata that makes the
 * file self-describing (architecture, quantization plan, task, labels, tokenizer, stage, metrics, provenance).
 * Written through an atomic rename (runtime/io/atomic-write.ts), validated before use on read.
 *
 * Resume state (`resume.safetensors` in a stage folder) is the same file plus the optimiser moments and the loop
 * position, so a cancelled or crashed stage continues exactly where its last save left it.
 */
import { BitkitError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { BertModel } from '../model/bert.js';
import type { BertConfig, QuantPlan } from '../model/types.js';
import type { TaskName, TruncationStrategy } from '../recipe/types.js';

export const CHECKPOINT_FORMAT = 'bitkit-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointTokenizer {
  /** 'bert-base-uncased' (embedded) or a path to a vocab.txt / tokenizer.json */
  vocab: string;
  lowercase: boolean;
  truncation: TruncationStrategy;
  maxLength: number;
}

export interface CheckpointMeta {
  config: BertConfig;
  plan: QuantPlan | null;
  stage: string;
  task: TaskName;
  labelNames: string[];
  isRegression: boolean;
  tokenizer: CheckpointTokenizer;
  metrics: Record<string, number>;
  provenance: { recipe: string; recipeHash: string; teacher: string | null; init: string | null; step: number; createdAt: string };
}

/** The loop position and optimiser state saved with a resume checkpoint. */
export interface ResumeState {
  step: number;
  epoch: number;
  batchInEpoch: number;
  optimizerStep: number;
  dropoutRngState: number;
  teacherRngState: number;
  best: number | null;
  bestStep: number | null;
  bestMetrics: Record<string, number>;
  seconds: number;
}

export function saveCheckpoint(path: string, model: BertModel, meta: CheckpointMeta, resume?: { state: ResumeState; m: Float32Array; v: Float32Array }): void {
  const tensors = model.params.map((p) => ({ name: p.name, shape: p.shape, data: model.paramData.subarray(p.offset, p.offset + p.size) }));
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    'bitkit.meta': JSON.stringify(meta),
  };
  if (resume) {
    tensors.push({ name: 'optimizer.m', shape: [resume.m.length], data: resume.m });
    tensors.push({ name: 'optimizer.v', shape: [resume.v.length], data: resume.v });
    metadata['bitkit.resume'] = JSON.stringify(resume.state);
  }
  writeSafetensors(path, tensors, metadata);
}

export interface LoadedCheckpoint {
  model: BertModel;
  meta: CheckpointMeta;
  resume: { state: ResumeState; m: Float32Array; v: Float32Array } | null;
}

/** Load a bitkit checkpoint into a new model; every parameter must be present with its planned shape. */
export function loadCheckpoint(path: string, kernels: Kernels): LoadedCheckpoint {
  const file = readSafetensors(path);
  if (file.metadata['format'] !== CHECKPOINT_FORMAT) {
    throw new BitkitError('BK6101', `${path} is a safetensors file but not a bitkit checkpoint (no "format": "${CHECKPOINT_FORMAT}" in its metadata)`, {
      hint: 'pass a checkpoint written by `bitkit distill` (runs/<name>/<stage>/best.safetensors); Hugging Face folders are imported as teachers through the recipe',
      place: { file: path },
    });
  }
  const version = Number(file.metadata['format_version']);
  if (version !== CHECKPOINT_VERSION) {
    throw new BitkitError('BK6102', `${path} has checkpoint format version ${file.metadata['format_version']}, this bitkit reads version ${CHECKPOINT_VERSION}`, {
      hint: 'use the bitkit version that wrote it, or re-run the stage',
      place: { file: path },
    });
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(file.metadata['bitkit.meta'] ?? '') as CheckpointMeta;
  } catch {
    throw new BitkitError('BK6103', `${path}: the bitkit metadata is not valid JSON`, { hint: 'the file is corrupt; re-run the stage that wrote it', place: { file: path } });
  }
  const model = new BertModel(meta.config, meta.plan, kernels);
  for (const p of model.params) {
    const t = file.tensors.get(p.name);
    if (!t) {
      throw new BitkitError('BK6104', `${path}: tensor "${p.name}" is missing`, { hint: 'the checkpoint does not match its own metadata; re-run the stage that wrote it', place: { file: path } });
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new BitkitError('BK6105', `${path}: tensor "${p.name}" has shape [${t.shape.join(', ')}], expected [${p.shape.join(', ')}]`, {
        hint: 'the checkpoint does not match its own metadata; re-run the stage that wrote it',
        place: { file: path },
      });
    }
    model.paramData.set(t.data as Float32Array, p.offset);
  }
  let resume: LoadedCheckpoint['resume'] = null;
  const state = file.metadata['bitkit.resume'];
  if (state !== undefined) {
    const m = file.tensors.get('optimizer.m');
    const v = file.tensors.get('optimizer.v');
    if (!m || !v || m.data.length !== model.paramData.length || v.data.length !== model.paramData.length) {
      throw new BitkitError('BK6106', `${path}: the optimiser state is missing or has the wrong size`, { hint: 'delete the file to restart this stage from its beginning', place: { file: path } });
    }
    resume = { state: JSON.parse(state) as ResumeState, m: m.data as Float32Array, v: v.data as Float32Array };
  }
  return { model, meta, resume };
}
