import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { appendLine, tempPathFor, writeFileAtomic } from '../../../runtime/io/atomic-write.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitkit-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('tempPathFor is <path>.tmp-<pid>-<random> in the same folder', () => {
  const p = tempPathFor('/some/dir/model.safetensors');
  assert.equal(dirname(p), '/some/dir');
  assert.match(basename(p), new RegExp(`^model\\.safetensors\\.tmp-${process.pid}-[0-9a-f]{8}$`));
  assert.notEqual(tempPathFor('/a/b'), tempPathFor('/a/b'));
});

test('writeFileAtomic writes strings, bytes and chunk lists, replacing the old file and leaving no temp file', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.bin');
  writeFileAtomic(path, 'héllo');
  assert.equal(readFileSync(path, 'utf8'), 'héllo');
  writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
  writeFileAtomic(path, [new Uint8Array([4]), new Uint8Array(0), new Uint8Array([5, 6])]);
  assert.deepEqual([...readFileSync(path)], [4, 5, 6]);
  assert.deepEqual(readdirSync(dir), ['out.bin']);
});

test('a source that fails midway leaves the previous file untouched and no temp file', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ckpt.bin');
  writeFileSync(path, 'previous');
  function* failing(): Generator<Uint8Array> {
    yield new Uint8Array(1000).fill(7); // this part reaches the temp file
    throw new Error('simulated crash while encoding');
  }
  assert.throws(() => writeFileAtomic(path, failing()), /simulated crash/);
  assert.equal(readFileSync(path, 'utf8'), 'previous');
  assert.deepEqual(readdirSync(dir), ['ckpt.bin']);

  const fresh = join(dir, 'fresh.bin');
  assert.throws(() => writeFileAtomic(fresh, failing()), /simulated crash/);
  assert.deepEqual(readdirSync(dir), ['ckpt.bin'], 'no file at a new target either');
});

test('a failing rename (target is a folder) removes the fully written temp file', (t) => {
  const dir = tempDir(t);
  const target = join(dir, 'taken');
  mkdirSync(target);
  assert.throws(() => writeFileAtomic(target, 'data'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' || e.code === 'EEXIST' || e.code === 'ENOTEMPTY');
  assert.deepEqual(readdirSync(dir), ['taken']);
  assert.deepEqual(readdirSync(target), []);
});

test('a missing folder fails with ENOENT and creates nothing', (t) => {
  const dir = tempDir(t);
  assert.throws(() => writeFileAtomic(join(dir, 'nope', 'x.bin'), 'data'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.deepEqual(readdirSync(dir), []);
});

test('appendLine appends one line per call and refuses embedded newlines', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'log.jsonl');
  appendLine(path, JSON.stringify({ step: 1 }));
  appendLine(path, JSON.stringify({ step: 2 }) + '\n', { fsync: true });
  assert.equal(readFileSync(path, 'utf8'), '{"step":1}\n{"step":2}\n');
  assert.throws(() => appendLine(path, 'a\nb'), /newline/);
  assert.equal(readFileSync(path, 'utf8'), '{"step":1}\n{"step":2}\n');
});
