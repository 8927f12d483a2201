/** The embedded SpamAssassin example task: counts, split, determinism, cleaning. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadExampleDataset, messageText } from '../../../runtime/data/example-dataset.js';

describe('example dataset', () => {
  const d = loadExampleDataset();
  const spam = (xs: { label: number }[]) => xs.filter((x) => x.label === 1).length;

  // (no time limit here: speed is a benchmark's business, and a loaded CI machine is not a clock)
  it('has fixed counts per split and class', () => {
    assert.deepEqual(d.labelNames, ['ham', 'spam']);
    assert.equal(d.isRegression, false);
    // 6046 messages minus exact duplicates of the cleaned text, split by file-name hash (~15 % dev).
    assert.deepEqual([d.train.length, spam(d.train), d.dev.length, spam(d.dev)], [4927, 1463, 936, 295]);
    const devShare = d.dev.length / (d.train.length + d.dev.length);
    assert.ok(devShare > 0.13 && devShare < 0.17, `dev share ${devShare}`);
    assert.match(d.description, /SpamAssassin.*@stdlib\/datasets-spam-assassin.*PDDL.*CC0.*train 4927 \(3464 ham, 1463 spam\), dev 936 \(641 ham, 295 spam\)/);
  });

  it('is deterministic, has no text in both splits, and caps texts at 600 characters', () => {
    const again = loadExampleDataset();
    assert.deepEqual(again.dev.slice(0, 50), d.dev.slice(0, 50));
    const trainTexts = new Set(d.train.map((x) => x.textA));
    assert.equal(d.dev.filter((x) => trainTexts.has(x.textA)).length, 0);
    for (const x of [...d.train, ...d.dev]) {
      assert.ok(x.textA.length <= 600 && x.textA.length > 3 && x.textA === x.textA.replace(/\s+/g, ' ').trim(), x.textA);
    }
  });

  it('maxTrain / maxDev take a mix of both classes', () => {
    const small = loadExampleDataset({ maxTrain: 200, maxDev: 50 });
    assert.equal(small.train.length, 200);
    assert.equal(small.dev.length, 50);
    assert.deepEqual(small.train, d.train.slice(0, 200));
    const s = spam(small.train);
    assert.ok(s > 30 && s < 110, `spam in first 200: ${s}`);
  });

  it('cleans a message: headers dropped, subject decoded, HTML and quoted-printable decoded', () => {
    const raw = [
      'From someone@example.com  Mon Aug 26 2002',
      'Subject: =?iso-8859-1?Q?Caf=E9?= offer',
      '  continued',
      'Content-Type: multipart/alternative; boundary="XYZ"',
      '',
      '--XYZ',
      'Content-Type: text/html; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<html><head><style>p {color: red}</style></head><body><p>Buy&nbsp;now=',
      ' at caf=E9</p><br>&lt;cheap&gt;</body></html>',
      '--XYZ--',
      '',
    ].join('\n');
    assert.equal(messageText(raw), 'Café offer continued | Buy now at café <cheap>');
    assert.equal(messageText('Subject: hi\n\nplain   body\n\n\ttext'), 'hi | plain body text');
  });
});
