import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliInvocation, distillArgs, shellQuote } from '../../extension/cli/cli-args.js';

test('the bundled CLI runs on the editor\'s Node; a .js override too; any other path is executed', () => {
  const s = { cliPath: '', kernels: '', threads: null };
  assert.deepEqual(cliInvocation('/ext', '/node', s, ['check', 'a.yaml']), { command: '/node', args: ['/ext/dist/cli.js', 'check', 'a.yaml'], env: { ELECTRON_RUN_AS_NODE: '1' } });
  assert.deepEqual(cliInvocation('/ext', '/node', { ...s, cliPath: '/repo/bin/bitkit.js' }, ['x']).args, ['/repo/bin/bitkit.js', 'x']);
  assert.deepEqual(cliInvocation('/ext', '/node', { ...s, cliPath: '/usr/bin/bitkit' }, ['x']), { command: '/usr/bin/bitkit', args: ['x'], env: {} });
});

test('distill arguments: events always, stage, resume over fresh, kernels and threads from the settings', () => {
  assert.deepEqual(distillArgs({ recipe: 'r.yaml' }, { kernels: '', threads: null }), ['distill', 'r.yaml', '--events', 'jsonl']);
  assert.deepEqual(distillArgs({ recipe: 'r.yaml', stage: 'w1a1', resume: true, fresh: true }, { kernels: 'native', threads: 2 }), ['distill', 'r.yaml', '--events', 'jsonl', '--stage', 'w1a1', '--resume', '--kernels', 'native', '--threads', '2']);
  assert.deepEqual(distillArgs({ recipe: 'r.yaml', fresh: true }, { kernels: 'recipe', threads: null }), ['distill', 'r.yaml', '--events', 'jsonl', '--fresh']);
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote('/x/y.yaml'), '/x/y.yaml');
});
