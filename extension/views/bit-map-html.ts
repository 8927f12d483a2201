/**
 * The bit-width map webview's HTML: a table with layers down and stages across; each cell is a button coloured by
 * its bits, with a bar as long as the weight memory at that width, a tooltip (shape, params, set, override) and,
 * on click or Enter, a message asking the extension to reveal the governing override. No 'vscode' import.
 */
import { type BitMap, type BitMapResult, cellLabel, formatBytes } from './bit-map-model.js';
import { escapeHtml, webviewPage } from './webview-html.js';

/**
 * CSS class of a bit width; the classes map to theme colours below. (Classes, not style attributes: the CSP
 * allows no inline styles; bar widths are set by the nonce'd script from data-w.)
 */
export function bitsClass(bits: number): string {
  if (bits <= 1) return 'b1';
  if (bits <= 2) return 'b2';
  if (bits <= 4) return 'b4';
  if (bits <= 8) return 'b8';
  return 'b32';
}

const STYLE = `
.b1 { background: var(--vscode-charts-blue); } .b2 { background: var(--vscode-charts-green); }
.b4 { background: var(--vscode-charts-yellow); } .b8 { background: var(--vscode-charts-orange); }
.b32 { background: var(--vscode-charts-red); }
td.cell { padding: 1px 4px; }
td.cell button { width: 100%; min-width: 84px; text-align: left; border: none; padding: 2px 4px; color: var(--vscode-foreground);
  background: transparent; cursor: pointer; display: flex; gap: 6px; align-items: center; }
td.cell button .swatch { width: 10px; height: 10px; border-radius: 2px; flex: none; }
td.cell button .bar { height: 6px; }
td.cell button.ov { text-decoration: underline dotted; }
td.point { font-family: var(--vscode-editor-font-family); white-space: nowrap; }
tr.layerstart td { border-top: 1px solid var(--vscode-editorWidget-border, var(--vscode-descriptionForeground)); }
.legend span { margin-right: 12px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
`;

const SCRIPT = `
const vscode = acquireVsCodeApi();
document.querySelectorAll('[data-w]').forEach((el) => { el.style.width = el.dataset.w + 'px'; });
document.addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-line]');
  if (b) vscode.postMessage({ type: 'reveal', line: Number(b.dataset.line) });
});
const sel = document.getElementById('stage');
if (sel) sel.addEventListener('change', () => {
  const v = sel.value;
  document.querySelectorAll('[data-stage]').forEach((el) => { el.hidden = v !== 'all' && el.dataset.stage !== v; });
});
`;

function shortPoint(point: string): string {
  return point.replace(/^bert\.encoder\.layer\.(\d+)\./, 'L$1 ').replace(/^bert\./, '');
}

function mapBody(map: BitMap): string {
  const maxBytes = Math.max(1, ...map.rows.flatMap((r) => r.cells.map((c) => c.weightBytes)));
  const head = map.stages.map((s, i) => `<th data-stage="${i}" scope="col">${escapeHtml(s.name)}<br><span class="muted">${escapeHtml(s.bits)}</span></th>`).join('');
  const rows = map.rows.map((r, ri) => {
    const prev = map.rows[ri - 1];
    const start = prev !== undefined && prev.layer !== r.layer ? ' class="layerstart"' : '';
    const cells = r.cells.map((c, si) => {
      const label = cellLabel(r.kind, c);
      const colour = bitsClass(r.kind === 'activation' ? c.activationBits : Math.min(c.weightBits, r.kind === 'embedding' ? 32 : c.activationBits));
      const ov = c.override === null ? undefined : map.overrides[c.override];
      const tip = [
        r.point,
        r.shape ? `shape [${r.shape.join(', ')}], ${r.params.toLocaleString('en-US')} params` : 'activation quantizer (no weights)',
        r.kind !== 'activation' ? `weights ${c.weightBits} bit, ${formatBytes(c.weightBytes)}` : '',
        r.kind !== 'embedding' ? `input activation ${c.activationBits} bit, set ${c.activationSet} (${c.activationSet === 'signed' ? '{-a, +a}' : '{0, a}'}), learned scale a` : '',
        ov ? `override #${ov.index + 1}: ${ov.match}` : 'no override',
      ].filter(Boolean).join('\n');
      const width = Math.round((c.weightBytes / maxBytes) * 60);
      const line = ov && ov.line !== null ? ` data-line="${ov.line}"` : '';
      return `<td class="cell" data-stage="${si}"><button type="button"${line}${ov ? ' class="ov"' : ''} title="${escapeHtml(tip)}" aria-label="${escapeHtml(`${r.point}, ${map.stages[si]!.name}: ${label}`)}"><span class="swatch ${colour}"></span><span class="lbl">${escapeHtml(label)}</span>${width > 0 ? `<span class="bar" data-w="${width}"></span>` : ''}</button></td>`;
    }).join('');
    return `<tr${start} data-point="${escapeHtml(r.point)}"><td class="point" title="${escapeHtml(r.point)}">${escapeHtml(shortPoint(r.point))}</td>${cells}</tr>`;
  }).join('\n');
  const foot = map.totals.map((t, i) => `<td class="num" data-stage="${i}">${formatBytes(t)}</td>`).join('');
  const options = map.stages.map((s, i) => `<option value="${i}">${escapeHtml(s.name)}</option>`).join('');
  const legend = [[1, '1 bit'], [2, '2 bits'], [4, '4 bits'], [8, '8 bits'], [32, 'full precision']]
    .map(([b, t]) => `<span><i class="${bitsClass(b as number)}"></i>${t}</span>`).join('');
  return `<h1 id="title">${escapeHtml(map.title)}</h1>
<p class="muted">${escapeHtml(map.file)} · ${map.source === 'planned' ? 'planned from the recipe as typed (updates live)' : 'actual, from the checkpoint'} · ${map.rows.length} quant points · bar = weight memory at that width</p>
<p class="legend">${legend}</p>
${map.stages.length > 1 ? `<p><label for="stage">Stages </label><select id="stage"><option value="all">all</option>${options}</select></p>` : ''}
${map.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('')}
<table id="bitmap"><thead><tr><th scope="col">layer</th>${head}</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><td>weights total</td>${foot}</tr></tfoot></table>`;
}

export function bitMapHtml(result: BitMapResult, cspSource: string, nonce: string): string {
  if (!result.ok) {
    return webviewPage({ cspSource, nonce, title: 'Bit-width map', body: `<h1>Bit-width map</h1><p class="muted">${escapeHtml(result.file)}</p><p class="error" id="message">${escapeHtml(result.message)}</p>` });
  }
  return webviewPage({ cspSource, nonce, title: result.map.title, body: mapBody(result.map), style: STYLE, script: SCRIPT });
}
