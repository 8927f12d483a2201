/**
 * Renderings of an InspectReport: the terminal table and a self-contained HTML page (inline SVG charts of the
 * per-layer bit-width map and memory; no scripts, no network: a strict Content-Security-Policy meta tag allows only
 * inline styles).
 */
import type { InspectReport } from '../io/inspect.js';
import type { LayerRow } from './layer-stats.js';

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function bits(b: number | null): string {
  return b === null ? '-' : String(b);
}

function actCell(r: LayerRow): string {
  if (r.activationBits === null) return '-';
  return r.activationSet === null ? String(r.activationBits) : `${r.activationBits} ${r.activationSet === 'signed' ? '{-a,+a}' : '{0,a}'}`;
}

/** The terminal table. */
export function formatInspectTable(r: InspectReport): string {
  const head = ['layer', 'shape', 'W bits', 'A bits/set', 'params', 'memory', 'binary MACs', 'low-bit MACs', 'FP MACs', 'share'];
  const body = r.rows.map((x) => [
    x.layer, x.shape.join('x'), bits(x.weightBits), actCell(x), formatCount(x.params), formatBytes(x.bytes),
    formatCount(x.macs.binary), formatCount(x.macs.lowbit), formatCount(x.macs.fp), `${(100 * x.share).toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const t = r.totals;
  const allMacs = t.macs.binary + t.macs.lowbit + t.macs.fp;
  const out = [
    `${r.file}  (${r.format}${r.stage ? `, stage ${r.stage}` : ''}${r.task ? `, task ${r.task}` : ''})`,
    ...(r.config ? [`architecture: L${r.config.layers} H${r.config.hidden} A${r.config.heads} FFN${r.config.intermediate} vocab ${r.config.vocabSize} labels ${r.config.numLabels}`] : []),
    `MACs per sequence of ${r.seq} tokens`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    `params            ${formatCount(t.params)}`,
    `file size         ${formatBytes(t.fileBytes)}`,
    `FP32 equivalent   ${formatBytes(t.fp32Bytes)}  (compression ${t.compression.toFixed(2)}x)`,
    `packed 1-bit size ${formatBytes(t.packedBytes)}  (${t.packedBytes > 0 ? (t.fp32Bytes / t.packedBytes).toFixed(1) : '-'}x smaller than FP32)`,
    `MACs              ${formatCount(allMacs)}: binary ${formatCount(t.macs.binary)}, low-bit ${formatCount(t.macs.lowbit)}, FP ${formatCount(t.macs.fp)}`,
    `binarized share   ${(100 * t.binarizedMacShare).toFixed(1)}% of MACs`,
  ];
  const d = r.details as { opset?: { domain: string; version: number }[]; opCounts?: Record<string, number> };
  if (d.opset) out.push(`opset             ${d.opset.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  if (d.opCounts) out.push(`ops               ${Object.entries(d.opCounts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const BIT_COLORS: Record<string, string> = { '1': '#1b7837', '2': '#7fbf7b', '4': '#d9f0d3', '8': '#fee08b', '32': '#d73027', '-': '#eeeeee' };

function bitColor(b: number | null): string {
  return BIT_COLORS[b === null ? '-' : String(b)] ?? '#999999';
}

/** The bit-width map: one row per layer group, weight bits (left half) and activation bits (right half) per cell. */
function bitMapSvg(rows: LayerRow[]): string {
  const cell = 16;
  const labelW = 360;
  const h = rows.length * cell + 40;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + 2 * cell + 160}" height="${h}" role="img" aria-label="bit-width map">`,
    `<text x="${labelW}" y="12" font-size="11">W</text><text x="${labelW + cell}" y="12" font-size="11">A</text>`];
  rows.forEach((r, i) => {
    const y = 20 + i * cell;
    parts.push(`<text x="${labelW - 6}" y="${y + 12}" font-size="11" text-anchor="end">${esc(r.layer)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${bitColor(r.weightBits)}"><title>${esc(r.layer)}: weights ${bits(r.weightBits)} bit</title></rect>`);
    parts.push(`<rect x="${labelW + cell}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${bitColor(r.activationBits)}"><title>${esc(r.layer)}: activations ${actCell(r)}</title></rect>`);
  });
  let ly = 20;
  for (const [k, c] of Object.entries(BIT_COLORS)) {
    parts.push(`<rect x="${labelW + 2 * cell + 20}" y="${ly}" width="12" height="12" fill="${c}"/><text x="${labelW + 2 * cell + 38}" y="${ly + 10}" font-size="11">${k === '-' ? 'none' : k + ' bit'}</text>`);
    ly += 16;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Memory per layer as horizontal bars. */
function memorySvg(rows: LayerRow[]): string {
  const barH = 14;
  const labelW = 360;
  const width = 420;
  const max = Math.max(1, ...rows.map((r) => r.bytes));
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + width + 120}" height="${rows.length * (barH + 2) + 10}" role="img" aria-label="memory per layer">`];
  rows.forEach((r, i) => {
    const y = 5 + i * (barH + 2);
    const w = Math.max(r.bytes > 0 ? 1 : 0, (r.bytes / max) * width);
    parts.push(`<text x="${labelW - 6}" y="${y + 11}" font-size="11" text-anchor="end">${esc(r.layer)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${bitColor(r.weightBits)}"><title>${esc(r.layer)}: ${formatBytes(r.bytes)}</title></rect>`);
    parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 11}" font-size="11">${formatBytes(r.bytes)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A self-contained HTML report (no scripts, no external resources). */
export function renderInspectHtml(r: InspectReport): string {
  const t = r.totals;
  const rows = r.rows.map((x) => `<tr><td>${esc(x.layer)}</td><td>${x.shape.join('&times;')}</td><td>${bits(x.weightBits)}</td><td>${esc(actCell(x))}</td>` +
    `<td>${formatCount(x.params)}</td><td>${formatBytes(x.bytes)}</td><td>${formatCount(x.macs.binary)}</td><td>${formatCount(x.macs.lowbit)}</td>` +
    `<td>${formatCount(x.macs.fp)}</td><td>${(100 * x.share).toFixed(1)}%</td></tr>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>bitkit inspect: ${esc(r.file)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.totals td { text-align: left; }
h2 { margin-top: 1.5em; }
</style>
</head>
<body>
<h1>bitkit inspect</h1>
<p>${esc(r.file)} &mdash; ${esc(r.format)}${r.stage ? `, stage ${esc(r.stage)}` : ''}${r.task ? `, task ${esc(r.task)}` : ''}; MACs per sequence of ${r.seq} tokens</p>
<table class="totals">
<tr><td>params</td><td>${formatCount(t.params)}</td></tr>
<tr><td>file size</td><td>${formatBytes(t.fileBytes)}</td></tr>
<tr><td>FP32 equivalent</td><td>${formatBytes(t.fp32Bytes)} (compression ${t.compression.toFixed(2)}&times;)</td></tr>
<tr><td>packed 1-bit size</td><td>${formatBytes(t.packedBytes)}</td></tr>
<tr><td>binarized share of MACs</td><td>${(100 * t.binarizedMacShare).toFixed(1)}%</td></tr>
</table>
<h2>Bit-width map</h2>
<div id="bitmap">${bitMapSvg(r.rows)}</div>
<h2>Memory per layer</h2>
<div id="memory">${memorySvg(r.rows)}</div>
<h2>Layers</h2>
<table>
<tr><th>layer</th><th>shape</th><th>W bits</th><th>A bits/set</th><th>params</th><th>memory</th><th>binary MACs</th><th>low-bit MACs</th><th>FP MACs</th><th>share</th></tr>
${rows}
</table>
${r.notes.map((n) => `<p>note: ${esc(n)}</p>`).join('\n')}
</body>
</html>
`;
}
