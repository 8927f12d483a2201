// Quick fixes through the real server: ask for the actions of the published diagnostics, apply their edits as a
// client does, send the result back and check the new text and that the diagnostic is gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits, LspClient, uriOf } from './lsp-client.js';
import { BASE, tempDir } from './fixtures.js';

let client: LspClient;
let dir: string;
let n = 0;
before(async () => {
  client = await LspClient.start();
  dir = tempDir('actions');
});
after(async () => {
  await client.stop();
});

/** Open `text`, take the actions for the diagnostics of `code`, apply the one titled `title`; the new text and diagnostics. */
async function fix(text: string, code: string, title: string): Promise<{ text: string; diagnostics: Diagnostic[]; actions: CodeAction[] }> {
  const uri = uriOf(join(dir, `fix${n++}.bitkit.yaml`));
  const diags = (await client.open(uri, text)).filter((d) => d.code === code);
  assert.equal(diags.length, 1, `one ${code} expected`);
  const actions = await client.codeActions(uri, diags);
  const action = actions.find((a) => a.title === title);
  assert.ok(action, `no action '${title}' among ${actions.map((a) => a.title).join(' | ')}`);
  assert.deepEqual(action.diagnostics, diags);
  const edits = action.edit!.changes![uri] as TextEdit[];
  const fixed = applyEdits(text, edits);
  return { text: fixed, diagnostics: await client.change(uri, fixed), actions };
}

test('a misspelt key and a misspelt enum value are changed to the suggestion', async () => {
  const key = await fix(BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    epoch: 3\n'), 'BK2001', "Change to 'epochs'");
  assert.equal(key.text, BASE.replace('    bits: W1A2\n', '    bits: W1A2\n    epochs: 3\n'));
  assert.deepEqual(key.diagnostics, []);
  assert.equal(key.actions[0]!.isPreferred, true);
  const value = await fix(BASE.replace('task: example', 'task: exmaple'), 'BK2005', "Change to 'example'");
  assert.equal(value.text, BASE);
  assert.deepEqual(value.diagnostics, []);
});

test('the direct FP -> W1A1 jump gets an intermediate W1A2 stage', async () => {
  const direct = `version: 1
task: example
teacher:
  architecture: { layers: 2, hidden: 64, heads: 4, intermediate: 128, maxPositions: 64 }
stages:
  - name: w1a1
    teacher: teacher
    bits: W1A1
    epochs: 2
`;
  const r = await fix(direct, 'BK3007', 'Insert an intermediate W1A2 stage (teacher -> W1A2 -> W1A1)');
  assert.equal(r.text, direct.replace('  - name: w1a1\n    teacher: teacher\n', '  - name: w1a2\n    teacher: teacher\n    bits: W1A2\n  - name: w1a1\n    teacher: w1a2\n'));
  assert.deepEqual(r.diagnostics, []);
  // without an explicit teacher (the first stage learns from the FP teacher implicitly)
  const implicit = direct.replace('    teacher: teacher\n', '');
  const r2 = await fix(implicit, 'BK3007', 'Insert an intermediate W1A2 stage (teacher -> W1A2 -> W1A1)');
  assert.equal(r2.text, implicit.replace('  - name: w1a1\n', '  - name: w1a2\n    teacher: teacher\n    bits: W1A2\n  - name: w1a1\n'));
  assert.deepEqual(r2.diagnostics, []);
});

test('the conventional activation set is set; mixed matches drop activationSet', async () => {
  const probs = `${BASE}overrides:\n  - match: bert.encoder.layer.*.attention.self.attention_probs\n    activationSet: signed\n    activationBits: 2\n`;
  const r = await fix(probs, 'BK4004', 'Set activationSet to unsigned (the two-set default)');
  assert.equal(r.text, probs.replace('activationSet: signed', 'activationSet: unsigned'));
  assert.deepEqual(r.diagnostics, []);
  const mixed = `${BASE}overrides:\n  - match: bert.encoder.layer.0.**\n    activationSet: unsigned\n    activationBits: 2\n`;
  const r2 = await fix(mixed, 'BK4005', 'Remove activationSet (each layer gets its two-set default)');
  assert.equal(r2.text, mixed.replace('    activationSet: unsigned\n', ''));
  assert.deepEqual(r2.diagnostics, []);
});

test('a teacher naming a missing stage: create it, or change to the nearest name', async () => {
  const missing = BASE.replace('teacher: w1a2', 'teacher: w1a4');
  const created = await fix(missing, 'BK3001', "Create stage 'w1a4'");
  assert.equal(created.text, missing.replace('  - name: w1a1\n', '  - name: w1a4\n    teacher: w1a2\n    bits: W1A2\n  - name: w1a1\n'));
  assert.deepEqual(created.diagnostics, []);
  const changed = await fix(missing, 'BK3001', "Change to 'w1a2'");
  assert.equal(changed.text, BASE);
});

test('a pattern that matches nothing offers the closest layer names', async () => {
  const text = `${BASE}overrides:\n  - match: bert.encoder.layer.*.attention.self.qeury\n    weightBits: 32\n`;
  const r = await fix(text, 'BK4003', "Change to 'bert.encoder.layer.*.attention.self.query'");
  assert.equal(r.text, text.replace('qeury', 'query'));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.actions.map((a) => a.title), [
    "Change to 'bert.encoder.layer.*.attention.self.query'",
    "Change to 'bert.encoder.layer.*.attention.self.key'",
    "Change to 'bert.encoder.layer.0.attention.self.query'",
  ]);
});

test('actions dispatch on code and data, not on the message', async () => {
  const uri = uriOf(join(dir, 'dispatch.bitkit.yaml'));
  await client.open(uri, BASE);
  const fake: Diagnostic = { range: { start: { line: 1, character: 6 }, end: { line: 1, character: 13 } }, code: 'BK2005', source: 'bitkit', message: 'anything at all', data: { suggestion: 'sst2' } };
  const actions = await client.codeActions(uri, [fake]);
  assert.deepEqual(actions.map((a) => a.title), ["Change to 'sst2'"]);
  assert.deepEqual(await client.codeActions(uri, [{ ...fake, data: { suggestion: null } }]), []);
});
