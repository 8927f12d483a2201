/**
 * Crash-safe file writes. A checkpoint, a .bitpack or a results file is written to `<path>.tmp-<pid>-<random>` in
 * the same folder (so the rename stays on one file system), fsynced, then renamed over `path`: a reader, or a crash
 * at any moment, sees either the old file or the complete new one, never a partial one. On any error the temp file
 * is removed and the error rethrown unchanged (Node's own error, with its `code` such as ENOSPC or EACCES; callers
 * that know what the file is turn it into a BitkitError).
 *
 * Synchronous on purpose: these writes happen between training steps or at the end of a command, and a sync write
 * cannot interleave with another write to the same path from the same process.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** What can be written: bytes, a UTF-8 string, or a sequence of byte chunks (a generator is consumed lazily). */
export type FileContents = Uint8Array | string | Iterable<Uint8Array>;

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o666, minus the umask). */
  mode?: number;
}

/** The temp path used for `path`: same folder, `<name>.tmp-<pid>-<8 hex>`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Write `data` to `path` atomically (temp file in the same folder + fsync + rename). */
export function writeFileAtomic(path: string, data: FileContents, options: AtomicWriteOptions = {}): void {
  const tmp = tempPathFor(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', options.mode ?? 0o666);
    if (typeof data === 'string') writeAll(fd, Buffer.from(data, 'utf8'));
    else if (data instanceof Uint8Array) writeAll(fd, data);
    else for (const chunk of data) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
  syncDirectory(dirname(path));
}

/**
 * Append one line to a JSON-lines log (open, append, close; the line gets a trailing "\n" if it lacks one).
 * A single write with O_APPEND, so concurrent appenders do not interleave within a line.
 */
export function appendLine(path: string, line: string, options: { fsync?: boolean } = {}): void {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (body.includes('\n')) throw new Error(`appendLine: the line for ${path} contains a newline; one record per line`);
  const fd = openSync(path, 'a');
  try {
    writeAll(fd, Buffer.from(body + '\n', 'utf8'));
    if (options.fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked: loop until every byte is out. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Make the rename itself durable (best effort: not every platform can fsync a directory). */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // e.g. Windows (EISDIR/EPERM): the file's own fsync already happened
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
