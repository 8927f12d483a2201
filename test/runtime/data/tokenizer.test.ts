/**
 * BertTokenizer against hand-checked bert-base-uncased encodings. Every expected id is looked up in the vocabulary
 * (vocab[id] === token) as well, so the test documents which token each id is.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { BertTokenizer } from '../../../runtime/data/tokenizer.js';
import { defaultVocab, writeVocabFile } from '../../../runtime/data/vocab.js';

const tmp = mkdtempSync(join(tmpdir(), 'bitkit-tok-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const tok = BertTokenizer.default();
const vocab = defaultVocab();

/** Check that `ids` spell `tokens` in the vocabulary, then that encode gives [CLS] ids [SEP]. */
function expectEncoding(text: string, tokens: string[], ids: number[]): void {
  assert.deepEqual(ids.map((i) => vocab[i]), tokens, 'expected ids must spell the expected tokens');
  assert.deepEqual(tok.tokenize(text), tokens);
  assert.deepEqual(tok.encode(text).inputIds, [101, ...ids, 102]);
}

/** A small vocab.txt written by the test; ids are line numbers. */
function smallTokenizer(tokens: string[], lowercase: boolean): BertTokenizer {
  const path = join(tmp, `vocab-${lowercase}-${tokens.length}.txt`);
  writeFileSync(path, ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...tokens].join('\n') + '\n');
  return BertTokenizer.fromVocabFile(path, { lowercase });
}

function expectError(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BitkitError && e.code === code && re.test(e.message));
}

describe('embedded bert-base-uncased vocabulary', () => {
  it('has the published layout', () => {
    assert.equal(vocab.length, 30522);
    assert.equal(tok.vocabSize, 30522);
    const fixed: [string, number][] = [['[PAD]', 0], ['[unused0]', 1], ['[unused1]', 2], ['[UNK]', 100], ['[CLS]', 101], ['[SEP]', 102], ['[MASK]', 103], ['the', 1996]];
    for (const [t, id] of fixed) {
      assert.equal(vocab[id], t);
      assert.equal(tok.tokenToId(t), id);
      assert.equal(tok.idToToken(id), t);
    }
    assert.equal(vocab.filter((t) => t.startsWith('##')).length, 5828);
    assert.equal(vocab[vocab.length - 1], '##～');
    assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId], [0, 100, 101, 102]);
  });

  it('writes vocab.txt (one token per line, newline-terminated) that reloads to the same tokenizer', () => {
    const path = join(tmp, 'vocab.txt');
    writeVocabFile(path);
    const text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('[PAD]\n[unused0]\n[unused1]\n'));
    assert.ok(text.endsWith('##～\n'));
    assert.equal(text.split('\n').length, 30523);
    const again = BertTokenizer.fromVocabFile(path);
    assert.equal(again.vocabSize, 30522);
    assert.deepEqual(again.encode('Hello, world!', 'Café'), tok.encode('Hello, world!', 'Café'));
  });
});

describe('bert-base-uncased encodings', () => {
  it('"Hello, world!"', () => {
    expectEncoding('Hello, world!', ['hello', ',', 'world', '!'], [7592, 1010, 2088, 999]);
    assert.deepEqual(tok.encode('Hello, world!'), {
      inputIds: [101, 7592, 1010, 2088, 999, 102], tokenTypeIds: [0, 0, 0, 0, 0, 0], attentionMask: [1, 1, 1, 1, 1, 1],
    });
  });

  it('lowercases and strips accents', () => {
    expectEncoding('Café naïve', ['cafe', 'naive'], [7668, 15743]);
    expectEncoding('ÉCOLE', ['ecole'], [12431]);
  });

  it('splits every punctuation character', () => {
    expectEncoding("don't stop...", ['don', "'", 't', 'stop', '.', '.', '.'], [2123, 1005, 1056, 2644, 1012, 1012, 1012]);
    expectEncoding('(a)-b', ['(', 'a', ')', '-', 'b'], [1006, 1037, 1007, 1011, 1038]);
  });

  it('splits CJK ideographs into single characters; one not in the vocabulary is [UNK]', () => {
    // 我 1855, 北 1781, 京 1755 are in the vocabulary; 爱 is not.
    expectEncoding('我北京', ['我', '北', '京'], [1855, 1781, 1755]);
    expectEncoding('我爱北京', ['我', '[UNK]', '北', '京'], [1855, 100, 1781, 1755]);
    expectEncoding('ok北ok', ['ok', '北', 'ok'], [7929, 1781, 7929]);
  });

  it('[UNK] for unknown characters and for words over 100 characters', () => {
    expectEncoding('🥰 hi', ['[UNK]', 'hi'], [100, 7632]);
    expectEncoding('x'.repeat(101), ['[UNK]'], [100]);
    const hundred = tok.tokenize('x'.repeat(100));
    assert.ok(hundred.length > 1 && !hundred.includes('[UNK]'), 'exactly 100 characters is still split into pieces');
  });

  it('WordPiece: greedy longest match with ## continuations', () => {
    // The BERT README's "un ##aff ##able" uses a toy vocabulary: bert-base-uncased has 'una' and no '##aff',
    // so the greedy longest match gives una ##ffa ##ble (as HF's tokenizer does).
    expectEncoding('unaffable', ['una', '##ffa', '##ble'], [14477, 20961, 3468]);
    expectEncoding('tokenization', ['token', '##ization'], [19204, 3989]);
  });

  it('keeps special tokens written in the text; drops control characters', () => {
    expectEncoding('[MASK] is', ['[MASK]', 'is'], [103, 2003]);
    expectEncoding('he\u0000llo\u200b', ['hello'], [7592]);
  });

  it('pairs: [CLS] A [SEP] B [SEP] with token types 0 / 1; padding', () => {
    assert.deepEqual(tok.encode('Hello', 'world!'), {
      inputIds: [101, 7592, 102, 2088, 999, 102], tokenTypeIds: [0, 0, 0, 1, 1, 1], attentionMask: [1, 1, 1, 1, 1, 1],
    });
    assert.deepEqual(tok.encode('Hello', '', { padTo: 6 }), {
      inputIds: [101, 7592, 102, 102, 0, 0], tokenTypeIds: [0, 0, 0, 1, 0, 0], attentionMask: [1, 1, 1, 1, 0, 0],
    });
  });
});

describe('truncation (BertTokenizerFast semantics)', () => {
  // One-letter words are one token each: a=1037, b=1038, ... (a..h = 1037..1044).
  const words = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + from + i)).join(' ');

  it('single text: keeps max_length - 2 pieces', () => {
    assert.deepEqual(tok.encode(words(5), undefined, { maxLength: 4 }).inputIds, [101, 1037, 1038, 102]);
    assert.deepEqual(tok.encode(words(2), undefined, { maxLength: 4, padTo: 5 }).inputIds, [101, 1037, 1038, 102, 0]);
  });

  it('longest_first on pairs: budget max_length - 3 shared as Rust truncate_encodings', () => {
    // 7 + 2 content tokens > budget 10 - 3 = 7: n1 = 2 fits, the longer gets 7 - 2 = 5.
    let e = tok.encode(words(7), words(2, 10), { maxLength: 10 });
    assert.deepEqual(e.inputIds, [101, 1037, 1038, 1039, 1040, 1041, 102, 1047, 1048, 102]);
    assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    // 4 + 4 > 7: both cut, first gets floor(7/2) = 3, second 4 (the tie goes to the second).
    e = tok.encode(words(4), words(4, 10), { maxLength: 10 });
    assert.deepEqual(e.inputIds, [101, 1037, 1038, 1039, 102, 1047, 1048, 1049, 1050, 102]);
  });

  it('only_first and only_second cut the named text by the overflow', () => {
    // 4 + 4 = 8 > 7: overflow 1.
    assert.deepEqual(tok.encode(words(4), words(4, 10), { maxLength: 10, truncation: 'only_first' }).inputIds,
      [101, 1037, 1038, 1039, 102, 1047, 1048, 1049, 1050, 102]);
    assert.deepEqual(tok.encode(words(4), words(4, 10), { maxLength: 10, truncation: 'only_second' }).inputIds,
      [101, 1037, 1038, 1039, 1040, 102, 1047, 1048, 1049, 102]);
  });

  it('fails like Rust when the named text is too short, or only_second has no second text', () => {
    expectError(() => tok.encode(words(1), words(8, 10), { maxLength: 10, truncation: 'only_first' }), 'BK5104', /too short/);
    expectError(() => tok.encode(words(5), undefined, { maxLength: 4, truncation: 'only_second' }), 'BK5104', /second sequence/);
    expectError(() => tok.encode('a', 'b', { maxLength: 2 }), 'BK5111', /special tokens/);
    // no truncation needed: no error even for only_second on a single text
    assert.deepEqual(tok.encode('a', undefined, { maxLength: 4, truncation: 'only_second' }).inputIds, [101, 1037, 102]);
  });
});

describe('normalizer details that follow Rust rather than @huggingface/tokenizers', () => {
  it('lowercases char by char: a word-final Σ becomes σ, not ς', () => {
    assert.deepEqual(tok.tokenize('ΟΔΟΣ'), ['ο', '##δ', '##ο', '##σ']);
  });

  it('splits ideographs outside the BMP and drops unassigned code points', () => {
    const small = smallTokenizer(['a', 'b', '\u{20000}', 'ab'], true);
    assert.deepEqual(small.tokenize('a\u{20000}b'), ['a', '\u{20000}', 'b']);
    assert.deepEqual(small.tokenize('a\u0378b'), ['ab']); // U+0378 is unassigned (Cn)
  });
});

describe('other vocabularies', () => {
  const words = ['Hello', 'hello', 'World', 'world', '##s', 'un', '##aff', '##able', '!', 'cafe', 'Café'];

  it('cased vocab.txt (lowercase false keeps case and accents)', () => {
    const cased = smallTokenizer(words, false);
    assert.equal(cased.vocabSize, 16);
    assert.deepEqual(cased.tokenize('Hello Worlds! unaffable Café'), ['Hello', 'World', '##s', '!', 'un', '##aff', '##able', 'Café']);
    assert.deepEqual(cased.encode('Hello', 'world').inputIds, [2, 5, 3, 8, 3]);
    assert.deepEqual(cased.tokenize('HELLO'), ['[UNK]']);
  });

  it('uncased small vocab.txt', () => {
    const uncased = smallTokenizer(words, true);
    assert.deepEqual(uncased.tokenize('HELLO Worlds! Café'), ['hello', 'world', '##s', '!', 'cafe']);
  });

  it('tokenizer.json round trip', () => {
    const path = join(tmp, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(tok.toTokenizerJson()));
    const loaded = BertTokenizer.fromTokenizerJson(path);
    assert.equal(loaded.vocabSize, 30522);
    assert.equal(loaded.lowercase, true);
    for (const [a, b] of [['Hello, world!', 'Café naïve'], ['我爱北京', 'ΟΔΟΣ']] as const) {
      assert.deepEqual(loaded.encode(a, b, { maxLength: 8 }), tok.encode(a, b, { maxLength: 8 }));
    }
    assert.equal(BertTokenizer.load(tmp).source, path, 'a folder with tokenizer.json loads it');
  });

  it('rejects a vocabulary without [CLS], an empty one, a missing file and a non-WordPiece tokenizer.json', () => {
    const bad = join(tmp, 'bad-vocab.txt');
    writeFileSync(bad, '[PAD]\n[UNK]\n[SEP]\nhello\n');
    expectError(() => BertTokenizer.fromVocabFile(bad), 'BK5102', /no \[CLS\] token/);
    writeFileSync(bad, '');
    expectError(() => BertTokenizer.fromVocabFile(bad), 'BK5102', /empty/);
    expectError(() => BertTokenizer.fromVocabFile(join(tmp, 'nope.txt')), 'BK5101', /cannot read/);
    const bpe = join(tmp, 'bpe.json');
    writeFileSync(bpe, JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
    expectError(() => BertTokenizer.fromTokenizerJson(bpe), 'BK5103', /not a BERT WordPiece tokenizer/);
    writeFileSync(bpe, '{ nope');
    expectError(() => BertTokenizer.fromTokenizerJson(bpe), 'BK5103', /cannot read/);
  });
});
