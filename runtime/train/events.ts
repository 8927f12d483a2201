/**
 * Events of a distillation run. The trainer emits them; the terminal progress display and the `--events jsonl`
 * stream (consumed by the VS Code extension) render them. One JSON object per line, `type` first.
 */
export interface StageSummary {
  stage: string;
  bits: string; // "W32A32", "W1A2", ...
  metric: string; // name of the main dev metric
  best: number | null; // best main dev metric
  bestStep: number | null;
  metrics: Record<string, number>; // all dev metrics at the best step
  seconds: number;
  checkpoint: string | null;
}

export type RunEvent =
  | { type: 'run-start'; name: string; runDir: string; stages: string[]; kernels: string; resumed: boolean }
  | { type: 'stage-start'; stage: string; index: number; total: number; bits: string; epochs: number; totalSteps: number; startStep: number }
  | { type: 'progress'; stage: string; epoch: number; step: number; totalSteps: number; loss: number; lr: number; tokensPerSecond: number; etaSeconds: number }
  | { type: 'eval'; stage: string; epoch: number; step: number; metrics: Record<string, number>; main: number; best: number; improved: boolean }
  | { type: 'checkpoint'; stage: string; kind: 'best' | 'resume'; path: string; step: number }
  | { type: 'stage-end'; summary: StageSummary }
  | { type: 'warning'; message: string }
  | { type: 'cancelled'; stage: string; step: number; resumeWith: string }
  | { type: 'run-end'; stages: StageSummary[]; seconds: number }
  | { type: 'error'; code: string; message: string; hint?: string };

export interface EventSink {
  emit(event: RunEvent): void;
}

export class MultiSink implements EventSink {
  constructor(private readonly sinks: EventSink[]) {}
  emit(event: RunEvent): void {
    for (const s of this.sinks) s.emit(event);
  }
}

/** JSON lines to a stream (stdout for `--events jsonl`). */
export class JsonlSink implements EventSink {
  constructor(private readonly write: (line: string) => void) {}
  emit(event: RunEvent): void {
    this.write(JSON.stringify(event) + '\n');
  }
}

export function bitsLabel(weightBits: number, activationBits: number): string {
  return `W${weightBits}A${activationBits}`;
}
