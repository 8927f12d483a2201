/**
 * The server's view of the files recipes name: the RecipeFileIO of the recipe checks (runtime/recipe/model-source.ts)
 * with every read cached by path and invalidated when the file changes. Each lookup costs one stat(); a checkpoint
 * header, a config.json, a `.bitpack` or a TSV's first line is read again only when the file's (mtime, size) changed, or when
 * the client reports a change (workspace/didChangeWatchedFiles). `reads` counts real reads (tests, bench).
 */
import { directFileIO, type FileStat, type RecipeFileIO } from '../runtime/recipe/model-source.js';
import type { SafetensorsHeader } from '../runtime/io/safetensors.js';
import type { BertConfig } from '../runtime/model/types.js';

type Kind = 'firstLine' | 'safetensorsHeader' | 'hfConfig' | 'bitpackConfig';

interface Entry {
  stamp: string;
  value: unknown;
}

const MAX_ENTRIES = 256;

export class ModelCatalog implements RecipeFileIO {
  readonly reads: Record<Kind, number> = { firstLine: 0, safetensorsHeader: 0, hfConfig: 0, bitpackConfig: 0 };
  private entries = new Map<string, Entry>();

  constructor(private readonly io: RecipeFileIO = directFileIO) {}

  stat(path: string): FileStat | { error: string } {
    return this.io.stat(path);
  }

  firstLine(path: string): string | { error: string } {
    return this.cached('firstLine', path) as string | { error: string };
  }

  safetensorsHeader(path: string): SafetensorsHeader | { error: string } {
    return this.cached('safetensorsHeader', path) as SafetensorsHeader | { error: string };
  }

  hfConfig(path: string): { config: BertConfig } | { error: string } {
    return this.cached('hfConfig', path) as { config: BertConfig } | { error: string };
  }

  bitpackConfig(path: string): { config: BertConfig } | { error: string } {
    return this.cached('bitpackConfig', path) as { config: BertConfig } | { error: string };
  }

  /** Forget what was read from a file (or from every file under a folder). */
  invalidate(path: string): void {
    for (const key of [...this.entries.keys()]) {
      const p = key.slice(key.indexOf('|') + 1);
      if (p === path || p.startsWith(path.endsWith('/') ? path : `${path}/`)) this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private cached(kind: Kind, path: string): unknown {
    const st = this.io.stat(path);
    if ('error' in st) return st;
    const stamp = `${st.mtimeMs}:${st.size}`;
    const key = `${kind}|${path}`;
    const hit = this.entries.get(key);
    if (hit && hit.stamp === stamp) {
      this.entries.delete(key); // keep the map in least-recently-used order
      this.entries.set(key, hit);
      return hit.value;
    }
    this.reads[kind]++;
    const value = this.io[kind](path);
    this.entries.set(key, { stamp, value });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
