/**
 * Truncation of a (pair of) token sequences to a budget, with the exact semantics of the Rust `tokenizers` crate
 * (utils/truncation.rs, `truncate_encodings`), i.e. what BertTokenizerFast does with `truncation=...`.
 * @huggingface/tokenizers has no truncation at all, so this part is ours.
 *
 * `budget` is max_length minus the special tokens the post-processor adds (2 for a single text, 3 for a pair).
 *  - longest_first, pair: with n1 <= n2 the shorter/longer lengths, the longer one is cut to max(n1, budget - n1);
 *    if that still does not fit, the shorter gets floor(budget/2) and the longer the rest (the longer keeps the odd
 *    token; on a tie the second sequence is "the longer"). Python's slow tokenizer removes one token at a time and
 *    breaks ties the other way; we follow the fast tokenizer.
 *  - only_first / only_second: cut the named sequence by the overflow; if it is not longer than the overflow, or
 *    only_second is asked for a single text, Rust fails (SequenceTooShort / SecondSequenceNotProvided): so do we.
 * Tokens are always removed from the right (truncation_side='right', the default).
 */
import type { TruncationStrategy } from '../recipe/types.js';

export class TruncationFailure extends Error {}

/** Lengths [nA, nB] after truncation (nB = 0 when there is no second sequence). */
export function truncatedLengths(
  lenA: number,
  lenB: number | null,
  budget: number,
  strategy: TruncationStrategy,
): [number, number] {
  const total = lenA + (lenB ?? 0);
  if (budget <= 0) return [0, 0];
  if (total <= budget) return [lenA, lenB ?? 0];
  const toRemove = total - budget;
  if (strategy === 'longest_first') {
    if (lenB === null) return [lenA - toRemove, 0];
    let n1 = lenA;
    let n2 = lenB;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    return [Math.min(lenA, n1), Math.min(lenB, n2)];
  }
  if (strategy === 'only_first') {
    if (lenA <= toRemove) throw new TruncationFailure('the first sequence is too short to truncate to max_length');
    return [lenA - toRemove, lenB ?? 0];
  }
  if (lenB === null) throw new TruncationFailure('only_second needs a second sequence');
  if (lenB <= toRemove) throw new TruncationFailure('the second sequence is too short to truncate to max_length');
  return [lenA, lenB - toRemove];
}
