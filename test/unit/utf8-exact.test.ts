/**
 * core/text/utf8-exact.ts: bytes as text of the same UTF-8 length (a node's usage mirror is kept in step by byte
 * offsets): valid sequences kept, each byte of an invalid one replaced by `?`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Exact } from '../../src/core/text/utf8-exact.js';

test('utf8Exact: valid UTF-8 is kept as it is; each byte of an invalid sequence becomes one "?"', () => {
  const valid = Buffer.from('Tokens: 1.2k sent — ✓ 𝄞 é\n');
  assert.equal(utf8Exact(valid), valid.toString('utf8'));
  const cases: [number[], string][] = [
    [[0x61, 0xff, 0x62], 'a?b'],
    [[0xc3], '?'], // a sequence cut short
    [[0xe2, 0x9c, 0x0a], '??\n'],
    [[0xc0, 0xaf], '??'], // overlong
    [[0xed, 0xa0, 0x80], '???'], // a surrogate
    [[0xf4, 0x90, 0x80, 0x80], '????'], // past U+10FFFF
  ];
  for (const [bytes, want] of cases) {
    const got = utf8Exact(Uint8Array.from(bytes));
    assert.equal(got, want, JSON.stringify(bytes));
    assert.equal(Buffer.byteLength(got), bytes.length);
  }
});
