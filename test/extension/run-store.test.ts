import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectRuns, displayStatus, findRunFolders, lastCheckpoint, readRunFolder, type RunRecord, stageDescription } from '../../extension/runner/run-store.js';

const root = mkdtempSync(join(tmpdir(), 'bitkit-runstore-'));
after(() => rmSync(root, { recursive: true, force: true }));

function runFolder(name: string, stages: Record<string, 'done' | 'stopped' | 'pending'>): string {
  const dir = join(root, 'runs', name);
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(stages).filter((s) => s !== 'teacher');
  writeFileSync(join(dir, 'recipe.resolved.json'), JSON.stringify({ name, file: `/w/${name}.bitkit.yaml`, stages: names.map((n) => ({ name: n, weightBits: 1, activationBits: n === 'w1a2' ? 2 : 1 })) }));
  for (const [s, state] of Object.entries(stages)) {
    if (state === 'pending') continue;
    mkdirSync(join(dir, s), { recursive: true });
    writeFileSync(join(dir, s, 'resume.safetensors'), '');
    if (state === 'done') {
      writeFileSync(join(dir, s, 'best.safetensors'), '');
      writeFileSync(join(dir, s, 'summary.json'), JSON.stringify({ stage: s, bits: s === 'teacher' ? 'W32A32' : 'W1A1', metric: 'accuracy', best: 0.75, bestStep: 6, metrics: { accuracy: 0.75 }, seconds: 2.4, checkpoint: join(dir, s, 'best.safetensors') }));
    }
  }
  return dir;
}

const done = runFolder('done-run', { teacher: 'done', w1a2: 'done', w1a1: 'done' });
const stopped = runFolder('stopped-run', { teacher: 'done', w1a2: 'stopped', w1a1: 'pending' });
mkdirSync(join(root, 'runs', 'not-a-run'));

test('a run folder reads into stages with their state, metrics and checkpoints', () => {
  const r = readRunFolder(done)!;
  assert.equal(r.name, 'done-run');
  assert.equal(r.recipe, '/w/done-run.bitkit.yaml');
  assert.deepEqual(r.stages.map((s) => [s.name, s.bits, s.state]), [['teacher', 'W32A32', 'done'], ['w1a2', 'W1A1', 'done'], ['w1a1', 'W1A1', 'done']]);
  assert.equal(r.folderStatus, 'done');
  assert.equal(displayStatus(r), 'done');
  assert.equal(lastCheckpoint(r), join(done, 'w1a1', 'best.safetensors'));
  assert.equal(stageDescription(r.stages[0]!), 'W32A32 · accuracy 75.0 @ step 6 · 2 s');
  assert.equal(readRunFolder(join(root, 'runs', 'not-a-run')), null);
});

test('a stopped run is resumable, its pending stage shows its planned bits', () => {
  const r = readRunFolder(stopped)!;
  assert.deepEqual(r.stages.map((s) => s.state), ['done', 'stopped', 'pending']);
  assert.equal(r.folderStatus, 'stopped');
  assert.equal(displayStatus(r), 'stopped (resumable)');
  assert.equal(stageDescription(r.stages[1]!), 'W1A2 · stopped (resumable)');
  assert.equal(lastCheckpoint(r), join(stopped, 'teacher', 'best.safetensors'));
});

test('collectRuns merges folders and the extension\'s records: running and failed win, a failure without folder is kept', () => {
  assert.deepEqual(findRunFolders(join(root, 'runs')), [done, stopped]);
  assert.deepEqual(findRunFolders(done), [done]);
  const rec = (runDir: string, status: RunRecord['status']): RunRecord => ({ runDir, recipe: '/w/r.yaml', status, started: 1, ended: null, message: null, log: '/logs/1.log' });
  const runs = collectRuns([join(root, 'runs')], [rec(stopped, 'cancelled'), rec(done, 'running'), rec(join(root, 'runs', 'gone'), 'failed')]);
  const by = new Map(runs.map((r) => [r.dir, r]));
  assert.equal(runs.length, 3);
  assert.equal(displayStatus(by.get(done)!), 'running');
  assert.equal(displayStatus(by.get(stopped)!), 'cancelled (resumable)');
  assert.equal(displayStatus(by.get(join(root, 'runs', 'gone'))!), 'failed');
  assert.equal(by.get(join(root, 'runs', 'gone'))!.record!.log, '/logs/1.log');
});
