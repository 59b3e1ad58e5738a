import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionProtocol, findSentinel, parseDoneFlag } from '../../src/core/workers/completion.js';

test('a sentinel line with the turn nonce ends the turn; another nonce does not', () => {
  const out = 'working...\r\n\u001b[32mWORKER_DONE: abc123def456 all tests pass\u001b[0m\r\n';
  assert.deepEqual(findSentinel(out, 'abc123def456'), { status: 'done', summary: 'all tests pass' });
  assert.equal(findSentinel(out, 'ffffffffffff'), undefined);
  assert.deepEqual(findSentinel('● WORKER_BLOCKED: n1 need a key', 'n1'), { status: 'blocked', summary: 'need a key' });
  assert.deepEqual(findSentinel('WORKER_FAILED: n1', 'n1'), { status: 'failed', summary: '' });
});

test('the completion protocol an agent UI echoes back cannot trigger the sentinel', () => {
  const nonce = '0123456789ab';
  assert.equal(findSentinel(completionProtocol(nonce, '/w/.crewmux/done.flag'), nonce), undefined);
});

test('done.flag is accepted only for the current nonce and a valid shape', () => {
  assert.deepEqual(parseDoneFlag('{"nonce":"n2","status":"done","summary":"ok"}', 'n2'), {
    ok: true,
    completion: { status: 'done', summary: 'ok' },
  });
  assert.deepEqual(parseDoneFlag('{"nonce":"n1","status":"done"}', 'n2'), {
    ok: false,
    reason: 'done.flag belongs to an earlier turn (nonce mismatch)',
  });
  assert.equal(parseDoneFlag('not json', 'n2').ok, false);
  assert.equal(parseDoneFlag('{"nonce":"n2","status":"finished"}', 'n2').ok, false);
});
