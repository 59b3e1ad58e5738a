import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutputBuffer } from '../../src/core/text/output-buffer.js';

test('reads from a cursor never overlap and continue where the last stopped', () => {
  const b = createOutputBuffer();
  b.append('hello ');
  const r1 = b.read(0);
  assert.deepEqual(r1, { text: 'hello ', start: 0, next: 6, end: 6, skipped: 0 });
  b.append('world');
  const r2 = b.read(r1.next);
  assert.equal(r2.text, 'world');
  assert.equal(b.read(r2.next).text, '');
});

test('without a cursor, the newest maxBytes', () => {
  const b = createOutputBuffer();
  b.append('0123456789');
  assert.equal(b.read(undefined, 4).text, '6789');
});

test('forward reads page by maxBytes; newest skips to the end and counts what it skipped', () => {
  const b = createOutputBuffer();
  b.append('abcdefghij');
  const r = b.read(0, 4);
  assert.equal(r.text, 'abcd');
  assert.equal(r.next, 4);
  const n = b.read(0, 4, true);
  assert.equal(n.text, 'ghij');
  assert.equal(n.skipped, 6);
});

test('old bytes fall off the front; offsets keep counting and dropped bytes count as skipped', () => {
  const b = createOutputBuffer(8);
  b.append('aaaa');
  b.append('bbbb');
  b.append('cccc');
  assert.equal(b.start(), 4);
  const r = b.read(0);
  assert.equal(r.text, 'bbbbcccc');
  assert.equal(r.skipped, 4);
  b.append('x'.repeat(20));
  assert.equal(b.start(), 24);
  assert.equal(b.read(undefined, 100).text, 'x'.repeat(8));
});

test('never splits a UTF-8 character or a trailing escape sequence', () => {
  const b = createOutputBuffer();
  b.append('é€'); // 2 + 3 bytes
  const r = b.read(0, 4);
  assert.equal(r.text, 'é');
  assert.equal(r.next, 2);
  assert.equal(b.read(r.next).text, '€');
  const c = createOutputBuffer();
  c.append('text\u001b[3');
  const s = c.read(0);
  assert.equal(s.text, 'text');
  c.append('1mred');
  assert.equal(c.read(s.next).text, '\u001b[31mred');
});
