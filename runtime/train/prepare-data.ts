/**
 * Turns a recipe's task, data and tokenizer sections into encoded train and dev sets.
 */
import { BitkitError } from '../errors.js';
import { encodeDataset, type EncodedDataset } from '../data/batches.js';
import { loadExampleDataset } from '../data/example-dataset.js';
import { readGlueFile } from '../data/glue.js';
import { BertTokenizer } from '../data/tokenizer.js';
import type { ResolvedRecipe, TaskName, TokenizerSpec } from '../recipe/types.js';

export interface PreparedData {
  tokenizer: BertTokenizer;
  train: EncodedDataset;
  dev: EncodedDataset;
  labelNames: string[];
  isRegression: boolean;
  numLabels: number;
}

/** The recipe's (or a checkpoint's) tokenizer: the embedded bert-base-uncased, a vocab.txt, a tokenizer.json or a folder. */
export function loadTokenizer(spec: Pick<TokenizerSpec, 'vocab' | 'lowercase'>): BertTokenizer {
  return BertTokenizer.load(spec.vocab, { lowercase: spec.lowercase });
}

export function prepareData(recipe: ResolvedRecipe): PreparedData {
  const tokenizer = loadTokenizer(recipe.tokenizer);
  const { maxLength, maxTrainExamples, maxDevExamples } = recipe.data;
  const enc = { maxLength, truncation: recipe.tokenizer.truncation };
  let trainEx, devEx, labelNames: string[], isRegression: boolean;
  if (recipe.task === 'example') {
    const ds = loadExampleDataset({ maxTrain: maxTrainExamples || undefined, maxDev: maxDevExamples || undefined });
    trainEx = ds.train;
    devEx = ds.dev;
    labelNames = ds.labelNames;
    isRegression = false;
  } else {
    const task = recipe.task as Exclude<TaskName, 'example' | 'custom'>;
    if (!recipe.data.train || !recipe.data.dev) {
      throw new BitkitError('BK5002', `task ${recipe.task} needs data.train and data.dev`, { hint: 'add the paths of the task\'s train.tsv and dev.tsv under data:', place: { file: recipe.file } });
    }
    const train = readGlueFile(task, recipe.data.train);
    const dev = readGlueFile(task, recipe.data.dev);
    trainEx = maxTrainExamples ? train.examples.slice(0, maxTrainExamples) : train.examples;
    devEx = maxDevExamples ? dev.examples.slice(0, maxDevExamples) : dev.examples;
    labelNames = train.labelNames;
    isRegression = train.isRegression;
  }
  return {
    tokenizer,
    train: encodeDataset(trainEx, tokenizer, enc),
    dev: encodeDataset(devEx, tokenizer, enc),
    labelNames,
    isRegression,
    numLabels: isRegression ? 1 : labelNames.length,
  };
}
