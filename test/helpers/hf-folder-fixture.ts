/**
 * Writes a Hugging Face-layout BERT folder (config.json as transformers writes it, vocab.txt, model.safetensors with
 * `bert.`-prefixed names, the `position_ids` I64 buffer and the `cls.*` pretraining heads) with random weights.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors } from '../../runtime/io/safetensors.js';
import { Rng } from '../../runtime/util/rng.js';

export const HF_WORDS = ['good', 'great', 'wonderful', 'fine', 'happy', 'best', 'bad', 'awful', 'terrible', 'poor', 'sad', 'worst',
  'the', 'movie', 'was', 'a', 'story', 'and', 'very', 'it', 'plot', 'acting'];

export interface HfFixtureOptions {
  dtype?: 'F32' | 'F16';
  /** Leave out `bert.` from the names (a BertModel checkpoint). */
  noPrefix?: boolean;
  withClassifier?: boolean;
  /** Drop this tensor (file name). */
  drop?: string;
  /** Give this tensor (file name) a wrong shape. */
  reshape?: string;
  layers?: number;
}

export function writeHfFolder(dir: string, o: HfFixtureOptions = {}): { vocabSize: number; hidden: number } {
  mkdirSync(dir, { recursive: true });
  const vocab = ['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...HF_WORDS, '##s', '.', ','];
  const V = vocab.length, C = 16, F = 32, P = 32, L = o.layers ?? 1;
  writeFileSync(join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  const config = {
    _name_or_path: 'tiny-bert', architectures: ['BertForMaskedLM'], attention_probs_dropout_prob: 0.1, classifier_dropout: null,
    gradient_checkpointing: false, hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: C, initializer_range: 0.02,
    intermediate_size: F, layer_norm_eps: 1e-12, max_position_embeddings: P, model_type: 'bert', num_attention_heads: 2,
    num_hidden_layers: L, pad_token_id: 0, position_embedding_type: 'absolute', torch_dtype: 'float32', transformers_version: '4.40.0',
    type_vocab_size: 2, use_cache: true, vocab_size: V,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const rng = new Rng(11);
  const tensors: { name: string; shape: number[]; data: Float32Array; dtype: 'F32' | 'F16' }[] = [];
  const pre = o.noPrefix ? '' : 'bert.';
  const add = (name: string, shape: number[], kind: 'w' | 'zero' | 'one' = 'w'): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = kind === 'w' ? rng.normal() * 0.2 : kind === 'one' ? 1 : 0;
    tensors.push({ name, shape, data, dtype: o.dtype ?? 'F32' });
  };
  const lin = (p: string, out: number, inp: number): void => { add(p + '.weight', [out, inp]); add(p + '.bias', [out], 'zero'); };
  const ln = (p: string): void => { add(p + '.weight', [C], 'one'); add(p + '.bias', [C], 'zero'); };
  add(pre + 'embeddings.word_embeddings.weight', [V, C]);
  add(pre + 'embeddings.position_embeddings.weight', [P, C]);
  add(pre + 'embeddings.token_type_embeddings.weight', [2, C]);
  ln(pre + 'embeddings.LayerNorm');
  for (let l = 0; l < L; l++) {
    const p = `${pre}encoder.layer.${l}`;
    lin(`${p}.attention.self.query`, C, C);
    lin(`${p}.attention.self.key`, C, C);
    lin(`${p}.attention.self.value`, C, C);
    lin(`${p}.attention.output.dense`, C, C);
    ln(`${p}.attention.output.LayerNorm`);
    lin(`${p}.intermediate.dense`, F, C);
    lin(`${p}.output.dense`, C, F);
    ln(`${p}.output.LayerNorm`);
  }
  lin(pre + 'pooler.dense', C, C);
  if (o.withClassifier) lin('classifier', 2, C);
  lin('cls.predictions.transform.dense', C, C);
  add('cls.predictions.bias', [V], 'zero');
  const kept = tensors.filter((t) => t.name !== o.drop).map((t) => (t.name === o.reshape ? { ...t, shape: [t.shape[0]! + 1, ...t.shape.slice(1)], data: new Float32Array(t.data.length + t.data.length / t.shape[0]!) } : t));
  const body = encodeSafetensors(kept, { format: 'pt' });
  // append the I64 position_ids buffer by re-encoding by hand is awkward; transformers >= 4.31 drops it anyway
  writeFileSync(join(dir, 'model.safetensors'), body);
  return { vocabSize: V, hidden: C };
}
