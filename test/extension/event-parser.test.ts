import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, parseEventLine } from '../../extension/runner/event-parser.js';

test('a JSON line with a known type is an event; anything else is text', () => {
  assert.deepEqual(parseEventLine('{"type":"warning","message":"kernels: reference"}'), { kind: 'event', event: { type: 'warning', message: 'kernels: reference' } });
  assert.deepEqual(parseEventLine('{"type":"nonsense"}'), { kind: 'text', text: '{"type":"nonsense"}' });
  assert.deepEqual(parseEventLine('{"type":"progress",'), { kind: 'text', text: '{"type":"progress",' });
  assert.deepEqual(parseEventLine('plain log line'), { kind: 'text', text: 'plain log line' });
  assert.deepEqual(parseEventLine('[1,2]'), { kind: 'text', text: '[1,2]' });
  assert.deepEqual(parseEventLine('null'), { kind: 'text', text: 'null' });
});

test('lines split across chunks are joined; CRLF and empty lines handled; flush returns the tail', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"type":"warn'), []);
  assert.deepEqual(s.push('ing","message":"a"}\r\n\n{"type":"run-end",'), ['{"type":"warning","message":"a"}']);
  assert.deepEqual(s.push('"stages":[],"seconds":1}\npartial'), ['{"type":"run-end","stages":[],"seconds":1}']);
  assert.deepEqual(s.flush(), ['partial']);
  assert.deepEqual(s.flush(), []);
});
