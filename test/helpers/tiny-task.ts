/**
 * A tiny SST-2-layout task and recipe written into a temp folder, for end-to-end tests of the trainer and the CLI.
 * Sentences are drawn from small word lists; the label says whether a "good" word outnumbers a "bad" one, so a
 * model can learn it in a few steps.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../runtime/util/rng.js';

const GOOD = ['good', 'great', 'wonderful', 'fine', 'happy', 'best'];
const BAD = ['bad', 'awful', 'terrible', 'poor', 'sad', 'worst'];
const FILLER = ['the', 'movie', 'was', 'a', 'story', 'and', 'very', 'it', 'plot', 'acting'];

export function tinySentences(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['sentence\tlabel'];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const words: string[] = [];
    const len = 4 + rng.int(5);
    for (let j = 0; j < len; j++) words.push(FILLER[rng.int(FILLER.length)]!);
    const polar = label === 1 ? GOOD : BAD;
    for (let j = 0; j < 2; j++) words.splice(rng.int(words.length + 1), 0, polar[rng.int(polar.length)]!);
    lines.push(`${words.join(' ')}\t${label}`);
  }
  return lines.join('\n') + '\n';
}

export interface TinyRun {
  dir: string;
  recipe: string;
}

/** Writes train.tsv, dev.tsv and tiny.bitkit.yaml (teacher from scratch -> w1a2 -> w1a1) into a new temp folder. */
export function writeTinyRun(options: { epochs?: number; teacherLr?: number; studentLr?: number; extraYaml?: string } = {}): TinyRun {
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-tiny-'));
  writeFileSync(join(dir, 'train.tsv'), tinySentences(48, 1));
  writeFileSync(join(dir, 'dev.tsv'), tinySentences(16, 2));
  const epochs = options.epochs ?? 2;
  const teacherLr = options.teacherLr ?? 0.002;
  const studentLr = options.studentLr ?? 0.001;
  const recipe = join(dir, 'tiny.bitkit.yaml');
  writeFileSync(
    recipe,
    `version: 1
name: tiny
task: sst2
data:
  train: train.tsv
  dev: dev.tsv
  maxLength: 16
teacher:
  architecture: { layers: 1, hidden: 16, heads: 2, intermediate: 32, maxPositions: 32 }
  train: { epochs: ${epochs}, batchSize: 8, lr: ${teacherLr}, seed: 7 }
stages:
  - name: w1a2
    teacher: teacher
    bits: W1A2
    epochs: ${epochs}
    batchSize: 8
    lr: ${studentLr}
  - name: w1a1
    teacher: w1a2
    bits: W1A1
    epochs: ${epochs}
    batchSize: 8
    lr: ${studentLr}
kernels: reference
output: run
${options.extraYaml ?? ''}`,
  );
  return { dir, recipe };
}
