import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const commandsTs = readFileSync(new URL('extension/commands.ts', root), 'utf8');

test('the manifest: CJS entry, every registered command contributed and every menu command registered', () => {
  assert.equal(pkg.main, './dist/extension.cjs');
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const registered = new Set([...commandsTs.matchAll(/reg\('([\w.]+)'/g)].map((m) => m[1]!));
  assert.deepEqual([...registered].filter((c) => !contributed.has(c)), []);
  assert.deepEqual([...contributed].filter((c) => !registered.has(c)), []);
  for (const [menu, items] of Object.entries(pkg.contributes.menus as Record<string, { command: string }[]>)) {
    for (const i of items) assert.ok(contributed.has(i.command), `${menu}: ${i.command} is not a contributed command`);
  }
  for (const c of pkg.contributes.viewsContainers.activitybar) assert.ok(existsSync(new URL(c.icon, root)), c.icon);
  assert.deepEqual(pkg.contributes.customEditors.map((e: { viewType: string }) => e.viewType), ['bitkit.inspector']);
});
