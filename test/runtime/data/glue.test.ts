/**
 * GLUE readers: row counts on the real files in ../shared/data/glue (skipped when absent), written fixtures in the
 * released layouts of the other tasks, and the errors for bad files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { BitkitError } from '../../../runtime/errors.js';
import { readGlueFile } from '../../../runtime/data/glue.js';
import type { GlueTask } from '../../../runtime/recipe/types.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const glueDir = join(repoRoot, '../shared/data/glue');
const tmp = mkdtempSync(join(tmpdir(), 'bitkit-glue-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function fixture(name: string, lines: string[], finalNewline = true): string {
  const path = join(tmp, name);
  writeFileSync(path, lines.join('\n') + (finalNewline ? '\n' : ''));
  return path;
}

const tsv = (...fields: string[]) => fields.join('\t');

describe('real GLUE files', () => {
  // Counted with `awk 'END{print NR}'` (minus the header for SST-2 / STS-B); CoLA dev.tsv has 1043 rows and no
  // final newline (GLUE's CoLA dev = in-domain 527 + out-of-domain 516).
  const cases: [GlueTask, string, string, number, string[], boolean][] = [
    ['sst2', 'SST-2', 'train.tsv', 67349, ['0', '1'], false],
    ['sst2', 'SST-2', 'dev.tsv', 872, ['0', '1'], false],
    ['cola', 'CoLA', 'train.tsv', 8551, ['0', '1'], false],
    ['cola', 'CoLA', 'dev.tsv', 1043, ['0', '1'], false],
    ['stsb', 'STS-B', 'train.tsv', 5749, [], true],
    ['stsb', 'STS-B', 'dev.tsv', 1500, [], true],
  ];
  for (const [task, folder, file, rows, labelNames, isRegression] of cases) {
    const path = join(glueDir, folder, file);
    it(`${folder}/${file} has ${rows} examples`, { skip: existsSync(path) ? false : `${path} not present` }, () => {
      const d = readGlueFile(task, path);
      assert.equal(d.examples.length, rows);
      assert.deepEqual(d.labelNames, labelNames);
      assert.equal(d.isRegression, isRegression);
    });
  }

  it('first rows read as the files say', { skip: existsSync(glueDir) ? false : `${glueDir} not present` }, () => {
    const sst = readGlueFile('sst2', join(glueDir, 'SST-2/dev.tsv')).examples[0]!;
    assert.deepEqual(sst, { textA: "it 's a charming and often affecting journey . ", label: 1 });
    const cola = readGlueFile('cola', join(glueDir, 'CoLA/train.tsv')).examples[0]!;
    assert.deepEqual(cola, { textA: "Our friends won't buy this analysis, let alone the next one we propose.", label: 1 });
    const sts = readGlueFile('stsb', join(glueDir, 'STS-B/dev.tsv')).examples[0]!;
    assert.deepEqual(sts, { textA: 'A man with a hard hat is dancing.', textB: 'A man wearing a hard hat is dancing.', label: 5 });
  });
});

describe('fixtures in the released layouts', () => {
  it('MRPC (BOM, header with spaces, CRLF)', () => {
    const path = join(tmp, 'mrpc.tsv');
    writeFileSync(path, '\ufeff' + [
      tsv('Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'),
      tsv('1', '702876', '702977', 'Amrozi accused his brother .', 'Referring to him as only " the witness " .'),
      tsv('0', '2108705', '2108831', "Yucaipa owned Dominick 's .", 'Yucaipa bought Dominick \'s in 1995 .'),
    ].join('\r\n') + '\r\n');
    const d = readGlueFile('mrpc', path);
    assert.deepEqual(d.examples, [
      { textA: 'Amrozi accused his brother .', textB: 'Referring to him as only " the witness " .', label: 1 },
      { textA: "Yucaipa owned Dominick 's .", textB: "Yucaipa bought Dominick 's in 1995 .", label: 0 },
    ]);
  });

  it('QQP', () => {
    const path = fixture('qqp.tsv', [
      tsv('id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'),
      tsv('133273', '213221', '213222', 'How is the life of a math student?', 'Which level of prepration is enough?', '0'),
      tsv('402555', '536040', '536041', 'How do I control my horny emotions?', 'How do you control your horniness?', '1'),
    ]);
    assert.deepEqual(readGlueFile('qqp', path).examples.map((e) => [e.textB, e.label]), [
      ['Which level of prepration is enough?', 0], ['How do you control your horniness?', 1],
    ]);
  });

  it('MNLI train (12 fields) and dev_matched (16 fields); quotes are text', () => {
    const parse = '( ( x ) )';
    const train = fixture('mnli-train.tsv', [
      tsv('index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse', 'sentence1_parse',
        'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'gold_label'),
      tsv('0', '31193', '31193n', 'government', parse, parse, parse, parse, '"Conceptually cream skimming has two basic dimensions',
        'Product and geography are what make cream skimming work. ', 'neutral', 'neutral'),
      tsv('1', '101457', '101457e', 'telephone', parse, parse, parse, parse, 'you know during the season "i guess"',
        "You lose the things to the following level if the people recall.", 'entailment', 'entailment'),
    ]);
    const d = readGlueFile('mnli', train);
    assert.deepEqual(d.labelNames, ['contradiction', 'entailment', 'neutral']);
    assert.deepEqual(d.examples.map((e) => e.label), [2, 1]);
    assert.equal(d.examples[0]!.textA, '"Conceptually cream skimming has two basic dimensions');
    const dev = fixture('mnli-dev.tsv', [
      tsv('index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse', 'sentence1_parse',
        'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'label2', 'label3', 'label4', 'label5', 'gold_label'),
      tsv('0', '63735', '63735n', 'slate', parse, parse, parse, parse, 'The new rights are nice enough',
        'Everyone really likes the newest benefits ', 'neutral', 'entailment', 'neutral', 'neutral', 'neutral', 'contradiction'),
    ]);
    assert.deepEqual(readGlueFile('mnli', dev).examples, [
      { textA: 'The new rights are nice enough', textB: 'Everyone really likes the newest benefits ', label: 0 },
    ]);
  });

  it('QNLI, RTE, WNLI', () => {
    const qnli = fixture('qnli.tsv', [
      tsv('index', 'question', 'sentence', 'label'),
      tsv('0', 'What came into force after the new constitution was herald?', 'As of that day, the new constitution heralding the Second Republic came into force.', 'entailment'),
      tsv('1', 'What is the first major city in the stream of the Rhine?', 'The most important tributaries in this area are the Ill below of Strasbourg', 'not_entailment'),
    ]);
    assert.deepEqual(readGlueFile('qnli', qnli).examples.map((e) => e.label), [0, 1]);
    const rte = fixture('rte.tsv', [
      tsv('index', 'sentence1', 'sentence2', 'label'),
      tsv('0', 'No Weapons of Mass Destruction Found in Iraq Yet.', 'Weapons of Mass Destruction Found in Iraq.', 'not_entailment'),
    ]);
    assert.deepEqual(readGlueFile('rte', rte).labelNames, ['entailment', 'not_entailment']);
    assert.equal(readGlueFile('rte', rte).examples[0]!.label, 1);
    const wnli = fixture('wnli.tsv', [
      tsv('index', 'sentence1', 'sentence2', 'label'),
      tsv('0', 'I stuck a pin through a carrot. When I pulled the pin out, it had a hole.', 'The carrot had a hole.', '1'),
    ], false);
    assert.equal(readGlueFile('wnli', wnli).examples[0]!.label, 1);
  });
});

describe('bad files', () => {
  function expectError(fn: () => unknown, code: string, line: number | undefined, re: RegExp): void {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof BitkitError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.place.line, line);
      assert.match(e.message, re);
      assert.ok(e.format().startsWith(`${e.place.file}${line === undefined ? '' : ':' + line}: error ${code}: `), e.format());
      return true;
    });
  }

  it('wrong column count names file:line and the expected layout', () => {
    const path = fixture('cola-bad.tsv', [tsv('gj04', '1', '', 'Fine.'), tsv('gj04', '1', 'Three fields only.')]);
    expectError(() => readGlueFile('cola', path), 'BK5106', 2, /expected 4 tab-separated fields, found 3; .*no header \(GLUE CoLA layout\)/);
    const sst = fixture('sst-bad.tsv', [tsv('sentence', 'label'), tsv('good', '1'), tsv('a tab', 'inside', '0')]);
    expectError(() => readGlueFile('sst2', sst), 'BK5106', 3, /expected 2 tab-separated fields, found 3/);
  });

  it('wrong header names the missing column', () => {
    const path = fixture('sst-header.tsv', [tsv('text', 'label'), tsv('good', '1')]);
    expectError(() => readGlueFile('sst2', path), 'BK5105', 1, /header has no column 'sentence'; expected a header naming the columns 'sentence', 'label'/);
  });

  it('unknown label names file:line and the allowed labels', () => {
    const path = fixture('rte-label.tsv', [tsv('index', 'sentence1', 'sentence2', 'label'), tsv('0', 'a', 'b', 'entailment'), tsv('1', 'a', 'b', 'neutral')]);
    expectError(() => readGlueFile('rte', path), 'BK5107', 3, /unknown label 'neutral'; allowed labels: entailment, not_entailment/);
    const sts = fixture('sts-label.tsv', [
      tsv('index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'),
      tsv('0', 'g', 'f', 'y', '0', 'n', 'n', 'a', 'b', 'high'),
    ]);
    expectError(() => readGlueFile('stsb', sts), 'BK5107', 2, /label 'high' is not a number/);
  });

  it('empty dataset names the file', () => {
    const headerOnly = fixture('sst-empty.tsv', [tsv('sentence', 'label')]);
    expectError(() => readGlueFile('sst2', headerOnly), 'BK5108', undefined, /sst-empty\.tsv has no examples/);
    const empty = fixture('cola-empty.tsv', [], false);
    expectError(() => readGlueFile('cola', empty), 'BK5108', undefined, /has no examples/);
    expectError(() => readGlueFile('cola', join(tmp, 'missing.tsv')), 'BK5101', undefined, /cannot read/);
  });
});
