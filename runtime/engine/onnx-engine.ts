/**
 * The ONNX Runtime engine: runs an exported .onnx (runtime/io/onnx/export.ts, or any BERT-style model with the
 * inputs input_ids / token_type_ids / attention_mask int64 and the output logits) on tokenized batches, with
 * onnxruntime-node's CPU provider. Used by `bitkit eval --engine onnx`, `bitkit profile` and the export tests.
 *
 * Note: every InferenceSession.create leaves an empty mat-debug-<pid>.log in $TMPDIR (onnxruntime-node 1.30).
 */
import { BitkitError } from '../errors.js';
import { glueMetric } from '../data/metrics.js';
import type { Batch } from '../model/types.js';
import type { TaskName } from '../recipe/types.js';
import type { EvalResult } from '../train/evaluate.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

let ortPromise: Promise<Ort> | null = null;

/** onnxruntime-node, loaded on first use (its native binding costs ~100 ms to load). */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch((e: unknown) => {
    ortPromise = null;
    throw new BitkitError('BK6610', `onnxruntime-node cannot be loaded: ${(e as Error).message}`, {
      hint: 'reinstall the dependencies (npm install); the ONNX engine needs onnxruntime-node with its CPU provider', cause: e,
    });
  });
  return ortPromise;
}

export interface OnnxEngineOptions {
  /** Intra-op threads (default: ONNX Runtime's choice, all cores). */
  threads?: number;
  /** Write an ONNX Runtime profile (chrome-trace JSON, `<prefix>_<date>.json`) on endProfiling(). */
  profilePrefix?: string;
}

export interface OnnxRunResult {
  logits: Float32Array; // [B,NL]
  /** Extra outputs asked for, by name. */
  extra: Record<string, { data: Float32Array; dims: number[] }>;
}

export class OnnxEngine {
  private constructor(private readonly ort: Ort, private readonly session: Session, readonly path: string) {}

  static async create(path: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const ort = await loadOrt();
    const so: import('onnxruntime-node').InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
    if (options.threads !== undefined) {
      so.intraOpNumThreads = options.threads;
      so.interOpNumThreads = 1;
    }
    if (options.profilePrefix !== undefined) {
      so.enableProfiling = true;
      so.profileFilePrefix = options.profilePrefix;
    }
    let session: Session;
    try {
      session = await ort.InferenceSession.create(path, so);
    } catch (e) {
      throw new BitkitError('BK6611', `ONNX Runtime cannot load ${path}: ${(e as Error).message}`, {
        hint: 'check that the file is an .onnx model (bitkit inspect FILE); bitkit exports opset 17', place: { file: path }, cause: e,
      });
    }
    for (const n of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(n)) {
        throw new BitkitError('BK6612', `${path} has no input "${n}" (inputs: ${session.inputNames.join(', ')})`, {
          hint: 'the ONNX engine runs BERT-style models with inputs input_ids, token_type_ids, attention_mask', place: { file: path },
        });
      }
    }
    return new OnnxEngine(ort, session, path);
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** One forward on a batch: logits [B,NL] (first output when there is no "logits"), plus any extra outputs. */
  async run(batch: Batch, extraOutputs: string[] = []): Promise<OnnxRunResult> {
    const { B, T } = batch;
    const n = B * T;
    const toI64 = (a: Int32Array): BigInt64Array => {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(a[i]!);
      return out;
    };
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {
      input_ids: new this.ort.Tensor('int64', toI64(batch.inputIds), [B, T]),
      attention_mask: new this.ort.Tensor('int64', toI64(batch.attentionMask), [B, T]),
    };
    if (this.session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new this.ort.Tensor('int64', toI64(batch.tokenTypeIds), [B, T]);
    const logitsName = this.session.outputNames.includes('logits') ? 'logits' : this.session.outputNames[0]!;
    const fetches = [logitsName, ...extraOutputs];
    const out = await this.session.run(feeds, fetches);
    const extra: OnnxRunResult['extra'] = {};
    for (const name of extraOutputs) extra[name] = { data: out[name]!.data as Float32Array, dims: out[name]!.dims.slice() };
    return { logits: out[logitsName]!.data as Float32Array, extra };
  }

  /** Argmax (or the logit, regression) per example, batches in order. */
  async predict(batches: Batch[], isRegression: boolean): Promise<{ predictions: Float32Array; logits: Float32Array[] }> {
    const total = batches.reduce((s, b) => s + b.B, 0);
    const predictions = new Float32Array(total);
    const logits: Float32Array[] = [];
    let i = 0;
    for (const batch of batches) {
      const { logits: lg } = await this.run(batch);
      const nC = lg.length / batch.B;
      for (let b = 0; b < batch.B; b++, i++) {
        const row = lg.slice(b * nC, (b + 1) * nC);
        logits.push(row);
        if (isRegression) predictions[i] = row[0]!;
        else {
          let best = 0;
          for (let c = 1; c < nC; c++) if (row[c]! > row[best]!) best = c;
          predictions[i] = best;
        }
      }
    }
    return { predictions, logits };
  }

  /** The task's GLUE metric on labelled batches (as runtime/train/evaluate.ts does for the reference model). */
  async evaluate(batches: Batch[], task: TaskName, isRegression: boolean): Promise<EvalResult> {
    const { predictions } = await this.predict(batches, isRegression);
    const labels: number[] = [];
    for (const b of batches) for (let i = 0; i < b.B; i++) labels.push(b.labels![i]!);
    const r = glueMetric(task, Array.from(predictions), labels);
    return { metrics: r.metrics, main: r.main, mainName: r.mainName, predictions };
  }

  /** Stop profiling (when enabled) and write the profile file (`<profilePrefix>_<date>.json`). */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
