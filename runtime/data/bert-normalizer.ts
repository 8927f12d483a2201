/**
 * BERT's normalizer with the exact semantics of the Rust `tokenizers` crate (normalizers/bert.rs), which is what
 * BertTokenizerFast runs. Written here, not taken from @huggingface/tokenizers, because that library's
 * BertNormalizer differs in three places:
 *  - it looks for CJK ideographs one UTF-16 unit at a time, so ideographs outside the BMP (extension B and later,
 *    U+20000..) are never split off;
 *  - its control-character test omits unassigned code points (Cn), which Rust (`is_other`) and Python
 *    (`category.startswith('C')`) both drop;
 *  - it lowercases the whole string with `toLowerCase`, whose final-sigma rule turns a word-final Σ into ς, where
 *    Rust lowercases char by char (Σ -> σ always).
 *
 * Steps, in Rust's order: clean text (drop NUL, U+FFFD and control chars other than \t \n \r; map every
 * White_Space char to ' '), put spaces around CJK ideographs, strip accents (NFD, drop Mn), lowercase.
 * `stripAccents` defaults to `lowercase`, as `strip_accents: null` does in a tokenizer.json.
 */
export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null = follow `lowercase` */
  stripAccents: boolean | null;
  lowercase: boolean;
}

/** Rust `char::is_whitespace` (Unicode White_Space). */
const WHITESPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
/** Unicode "Other": Cc, Cf, Cn, Co, Cs. */
const OTHER = /^[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

export function isBertWhitespace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

export function isBertControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return OTHER.test(ch);
}

/** The CJK Unified Ideographs blocks BERT splits on (same ranges as the Rust and Python code). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export function normalizeBert(text: string, o: BertNormalizerOptions): string {
  let out = text;
  if (o.cleanText || o.handleChineseChars) {
    let s = '';
    for (const ch of out) {
      const cp = ch.codePointAt(0)!;
      if (o.cleanText) {
        if (cp === 0 || cp === 0xfffd || isBertControl(ch)) continue;
        if (isBertWhitespace(ch)) {
          s += ' ';
          continue;
        }
      }
      s += o.handleChineseChars && isChineseChar(cp) ? ` ${ch} ` : ch;
    }
    out = s;
  }
  if (o.stripAccents ?? o.lowercase) out = out.normalize('NFD').replace(NONSPACING_MARK, '');
  if (o.lowercase) {
    let s = '';
    for (const ch of out) s += ch.toLowerCase();
    out = s;
  }
  return out;
}

/**
 * A normalizer callable as @huggingface/tokenizers calls its normalizers (`normalizer(text)`), to install in place
 * of the library's BertNormalizer.
 */
export function bertNormalizerFn(options: BertNormalizerOptions): (text: string) => string {
  return (text) => normalizeBert(text, options);
}
