/** The git boundary of a worker node as pure rules: which refs may be fetched back for a worker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchRefspec, nodeBaseRef, refRefusal, workerRefPrefix } from '../../src/core/nodes/worker-refs.js';
import { packBytes } from '../../src/adapters/nodes/git-transfer.js';

test("only the worker's own plain branch names pass; the base ref is not one of them", () => {
  assert.equal(workerRefPrefix('s1', 'w01'), 'refs/heads/crewmux/s1/w01-');
  assert.equal(refRefusal('refs/heads/crewmux/s1/w01-implementer', 's1', 'w01'), undefined);
  assert.equal(refRefusal('refs/heads/crewmux/s1/w01-implementer/more', 's1', 'w01'), undefined);
  assert.equal(fetchRefspec('refs/heads/crewmux/s1/w01-a'), 'refs/heads/crewmux/s1/w01-a:refs/heads/crewmux/s1/w01-a');
  for (const bad of [
    nodeBaseRef('s1', 'w01'),
    'refs/heads/main',
    'refs/heads/crewmux/s1/w011-x',
    'refs/heads/crewmux/s1/w02-tester',
    'refs/heads/crewmux/s2/w01-implementer',
    'refs/heads/crewmux/s1/w01-',
    'refs/heads/crewmux/s1/w01-*',
    'refs/heads/crewmux/s1/w01-a:refs/heads/main',
    '+refs/heads/crewmux/s1/w01-a',
    'refs/heads/crewmux/s1/w01-a/../../main',
    'refs/heads/crewmux/s1/w01-a b',
    'refs/heads/crewmux/s1/w01-a\n',
    'refs/heads/crewmux/s1/w01-a.lock',
    'refs/heads/crewmux/s1/w01-a@{1}',
    'refs/heads/crewmux/s1/w01-a/.hidden',
    'refs/heads/crewmux/s1/w01-a/',
    'refs/tags/crewmux/s1/w01-a',
  ])
    assert.ok(refRefusal(bad, 's1', 'w01'), `should be refused: ${JSON.stringify(bad)}`);
});

test("bytes moved are read from git's progress line, in its units", () => {
  assert.equal(packBytes('Writing objects: 100% (3/3), 236 bytes | 236.00 KiB/s, done.\n', 'Writing'), 236);
  assert.equal(
    packBytes('Receiving objects:  50% (1/2)\rReceiving objects: 100% (2/2), 1.50 MiB | 3 MiB/s, done.', 'Receiving'),
    1572864,
  );
  assert.equal(packBytes('Everything up-to-date\n', 'Writing'), 0);
});
