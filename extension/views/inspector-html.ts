/**
 * The checkpoint inspector's HTML: summary facts, dev metrics, totals with a size chart (FP32 vs packed 1-bit),
 * and the tensor table; or a generic key/value rendering of `bitkit inspect --json` output for other formats.
 * No 'vscode' import.
 */
import { formatBytes } from './bit-map-model.js';
import type { InspectorView } from './inspector-model.js';
import { escapeHtml, webviewPage } from './webview-html.js';

const STYLE = `
.chart div { display: flex; align-items: center; gap: 8px; margin: 2px 0; } .chart .bar { height: 12px; }
.chart .fp { background: var(--vscode-charts-red); } .chart .packed { background: var(--vscode-charts-blue); }
td.name { font-family: var(--vscode-editor-font-family); }
.actions { margin: 8px 0; } .actions button { margin-right: 6px; }
`;

const SCRIPT = `
const vscode = acquireVsCodeApi();
document.querySelectorAll('[data-w]').forEach((el) => { el.style.width = el.dataset.w + 'px'; });
document.addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-command]');
  if (b) vscode.postMessage({ type: 'command', command: b.dataset.command });
});
`;

const pct = (v: number): string => (v * 100).toFixed(2);

export function inspectorBody(v: InspectorView): string {
  const facts = v.facts.map(([k, x]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(x)}</td></tr>`).join('');
  const metrics = Object.entries(v.metrics).map(([k, x]) => `<tr><th scope="row">${escapeHtml(k)}</th><td class="num">${pct(x)}</td></tr>`).join('');
  const max = Math.max(v.totals.fp32Bytes, v.totals.packedBytes, 1);
  const w = (n: number): number => Math.max(1, Math.round((n / max) * 300));
  const ratio = v.totals.packedBytes > 0 ? (v.totals.fp32Bytes / v.totals.packedBytes).toFixed(1) : '?';
  const rows = v.tensors.map((t) => `<tr><td class="name">${escapeHtml(t.name)}</td><td>${escapeHtml(t.dtype)}</td><td>[${t.shape.join(', ')}]</td><td class="num">${t.params.toLocaleString('en-US')}</td><td class="num">${formatBytes(t.bytes)}</td><td class="num">${t.bits === null ? '' : t.bits}</td><td>${t.role}</td></tr>`).join('\n');
  const actions = v.kind === 'safetensors' ? '' : `<p class="actions"><button type="button" data-command="evaluate">Evaluate</button><button type="button" data-command="bitmap">Show bit-width map</button></p>`;
  return `<h1 id="title">${escapeHtml(v.kind)}${v.stage ? `: stage ${escapeHtml(v.stage)}` : ''}</h1>
<p class="muted">${escapeHtml(v.file)}</p>
${actions}
<table id="facts">${v.task ? `<tr><th scope="row">task</th><td>${escapeHtml(v.task)}${v.labels.length ? ` (${v.labels.map(escapeHtml).join(', ')})` : ''}</td></tr>` : ''}${facts}</table>
${metrics ? `<h2>Dev metrics</h2><table id="metrics">${metrics}</table>` : ''}
<h2>Totals</h2>
<table id="totals">
<tr><th scope="row">tensors</th><td class="num">${v.totals.tensors}</td></tr>
<tr><th scope="row">model parameters</th><td class="num" id="params">${v.totals.modelParams.toLocaleString('en-US')}</td></tr>
<tr><th scope="row">binarized parameters</th><td class="num">${v.totals.binarizedParams.toLocaleString('en-US')}</td></tr>
<tr><th scope="row">file size</th><td class="num">${formatBytes(v.totals.fileBytes)}</td></tr>
</table>
<div class="chart" id="size-chart" aria-label="model size, full precision versus packed">
<div><span class="bar fp" data-w="${w(v.totals.fp32Bytes)}"></span>FP32 ${formatBytes(v.totals.fp32Bytes)}</div>
<div><span class="bar packed" data-w="${w(v.totals.packedBytes)}"></span>packed ${formatBytes(v.totals.packedBytes)} (${ratio}× smaller)</div>
</div>
${v.resume ? `<h2>Resume state</h2><p>step ${escapeHtml(String(v.resume['step'] ?? '?'))}, epoch ${escapeHtml(String(v.resume['epoch'] ?? '?'))}; continue with <code>bitkit distill RECIPE --resume</code></p>` : ''}
<h2>Tensors</h2>
<table id="tensors"><thead><tr><th>name</th><th>dtype</th><th>shape</th><th class="num">params</th><th class="num">bytes</th><th class="num">bits</th><th>role</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

/** A JSON value as nested definition tables (for `bitkit inspect --json` of .bitpack / .onnx / HF folders). */
export function jsonBody(title: string, file: string, value: unknown): string {
  const render = (x: unknown, depth: number): string => {
    if (x === null || typeof x !== 'object') return escapeHtml(String(x));
    if (depth > 4) return escapeHtml(JSON.stringify(x));
    const entries = Array.isArray(x) ? x.map((e, i) => [String(i), e] as const) : Object.entries(x);
    return `<table>${entries.slice(0, 500).map(([k, e]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${render(e, depth + 1)}</td></tr>`).join('')}</table>`;
  };
  return `<h1 id="title">${escapeHtml(title)}</h1><p class="muted">${escapeHtml(file)}</p>${render(value, 0)}`;
}

export function inspectorHtml(body: string, cspSource: string, nonce: string, title = 'Checkpoint inspector'): string {
  return webviewPage({ cspSource, nonce, title, body, style: STYLE, script: SCRIPT });
}
