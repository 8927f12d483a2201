import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../extension/runner/event-parser.js';
import { applyEvent, finishRun, initialProgress, progressFraction, progressMessage, resultMessage } from '../../extension/runner/run-progress.js';

const summary = { stage: 'w1a1', bits: 'W1A1', metric: 'accuracy', best: 0.875, bestStep: 12, metrics: { accuracy: 0.875 }, seconds: 1.2, checkpoint: '/r/w1a1/best.safetensors' };
const events: RunEvent[] = [
  { type: 'run-start', name: 'tiny', runDir: '/r', stages: ['teacher', 'w1a2', 'w1a1'], kernels: 'reference', resumed: false },
  { type: 'stage-start', stage: 'w1a2', index: 1, total: 3, bits: 'W1A2', epochs: 2, totalSteps: 12, startStep: 0 },
  { type: 'progress', stage: 'w1a2', epoch: 1, step: 6, totalSteps: 12, loss: 0.69314, lr: 0.001, tokensPerSecond: 800, etaSeconds: 75 },
  { type: 'checkpoint', stage: 'w1a2', kind: 'best', path: '/r/w1a2/best.safetensors', step: 6 },
  { type: 'eval', stage: 'w1a2', epoch: 1, step: 6, metrics: { accuracy: 0.5 }, main: 0.5, best: 0.5, improved: true },
];

test('events fold into the state the progress notification shows', () => {
  const s = events.reduce(applyEvent, initialProgress());
  assert.equal(s.status, 'running');
  assert.equal(s.runDir, '/r');
  assert.equal(progressMessage(s), 'w1a2 W1A2 (2/3) · epoch 1/2 · step 6/12 · loss 0.6931 · ETA 1 min 15 s');
  assert.equal(progressFraction(s), 1.5 / 3);
  assert.deepEqual(s.checkpoints, [{ stage: 'w1a2', kind: 'best', path: '/r/w1a2/best.safetensors', step: 6 }]);
  assert.equal(s.bestMain, 0.5);
  assert.equal(progressMessage(initialProgress()), 'starting…');
});

test('run-end and exit 0 make a finished run with its best metrics', () => {
  let s = events.reduce(applyEvent, initialProgress());
  s = applyEvent(s, { type: 'stage-end', summary });
  s = applyEvent(s, { type: 'run-end', stages: [summary], seconds: 4.2 });
  s = finishRun(s, 0, null);
  assert.equal(s.status, 'done');
  assert.equal(resultMessage(s), 'BitKit: tiny finished in 4 s — w1a1 accuracy 87.5');
});

test('cancelled (exit 130) is resumable; bad input (exit 2) carries the error event; SIGKILL is a failure', () => {
  const c = finishRun(applyEvent(events.reduce(applyEvent, initialProgress()), { type: 'cancelled', stage: 'w1a2', step: 6, resumeWith: 'bitkit distill r --resume' }), 130, null);
  assert.equal(c.status, 'cancelled');
  assert.equal(c.resumeWith, 'bitkit distill r --resume');
  assert.match(resultMessage(c), /stopped at w1a2 step 6; the checkpoint is saved/);

  const bad = finishRun(applyEvent(initialProgress(), { type: 'error', code: 'BK2001', message: 'tiny.bitkit.yaml:3:1: unknown key', hint: 'did you mean task?' }), 2, null);
  assert.equal(bad.status, 'failed');
  assert.deepEqual(bad.error, { code: 'BK2001', message: 'tiny.bitkit.yaml:3:1: unknown key', hint: 'did you mean task?' });

  const killed = finishRun(events.reduce(applyEvent, initialProgress()), null, 'SIGKILL');
  assert.equal(killed.status, 'failed');
  assert.equal(killed.error?.code, 'killed');
  assert.match(resultMessage(killed), /killed \(SIGKILL\)/);

  const crashed = finishRun(initialProgress(), 1, null, 'line 1\nbitkit distill: internal error: boom\n');
  assert.equal(crashed.error?.message, 'line 1 bitkit distill: internal error: boom');
});

test('the exit code wins over an event stream that ended early', () => {
  const s = finishRun(events.reduce(applyEvent, initialProgress()), 0, null);
  assert.equal(s.status, 'done');
  assert.equal(finishRun(initialProgress(), 3, null).error?.message, 'bitkit exited with code 3');
});
