import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integrationBranch, sessionIdFrom, workerBranch, workerId } from '../../src/core/session/naming.js';
import { placeWorker } from '../../src/core/workers/layout.js';
import { canTransition } from '../../src/core/workers/state.js';
import { shellJoin, shellQuote } from '../../src/core/text/shell-quote.js';
import { splitCommand, verifyCommandsFromProject } from '../../src/core/integration/verify-commands.js';

test('worker ids, branches and session ids follow the naming scheme (wNN, crewmux/<sid>/wNN-<perspective>)', () => {
  assert.equal(workerId(3), 'w03');
  assert.equal(workerId(120), 'w120');
  assert.equal(integrationBranch('sabc'), 'crewmux/sabc/integration');
  assert.equal(workerBranch('sabc', 7, 'tester'), 'crewmux/sabc/w07-tester');
  assert.match(sessionIdFrom(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /^s[0-9a-z]{7}$/);
});

test('workers fill the lead window to 5 panes, then overflow windows, reusing free names', () => {
  const name = (i: number) => `workers-${i}`;
  assert.deepEqual(placeWorker({ windowId: '@1', name: 'lead', panes: 4 }, [], 5, name), {
    kind: 'split',
    windowId: '@1',
  });
  assert.deepEqual(placeWorker({ windowId: '@1', name: 'lead', panes: 5 }, [], 5, name), {
    kind: 'new-window',
    name: 'workers-2',
  });
  assert.deepEqual(
    placeWorker({ windowId: '@1', name: 'lead', panes: 5 }, [{ windowId: '@3', name: 'workers-2', panes: 2 }], 5, name),
    { kind: 'split', windowId: '@3' },
  );
  assert.deepEqual(
    placeWorker({ windowId: '@1', name: 'lead', panes: 5 }, [{ windowId: '@3', name: 'workers-2', panes: 5 }], 5, name),
    { kind: 'new-window', name: 'workers-3' },
  );
});

test('the worker state machine allows new turns and restarts, but nothing after merge', () => {
  assert.equal(canTransition('running', 'done'), true);
  assert.equal(canTransition('done', 'running'), true);
  assert.equal(canTransition('crashed', 'running'), true); // restart_worker
  assert.equal(canTransition('running', 'merged'), false);
  assert.equal(canTransition('merged', 'discarded'), false);
  assert.equal(canTransition('starting', 'merged'), false);
});

test('shell quoting keeps metacharacters inert', () => {
  assert.equal(shellQuote('plain-arg'), 'plain-arg');
  assert.equal(shellQuote("it's $(rm -rf /)"), `'it'\\''s $(rm -rf /)'`);
  assert.equal(shellJoin(['node', '/a b/c.js', '']), "node '/a b/c.js' ''");
});

test('verify commands: PROJECT.md section, and lead commands split without a shell', () => {
  const md = '# P\n\n## How to verify\n\n```sh\nnpm test\n# comment\nnpm run lint\n```\n\n## Other\n- `nope`\n';
  assert.deepEqual(verifyCommandsFromProject(md), ['npm test', 'npm run lint']);
  assert.deepEqual(verifyCommandsFromProject('## How to verify\n- `make check`\n- cargo test\n'), [
    'make check',
    'cargo test',
  ]);
  assert.deepEqual(splitCommand('node "a b.js" --x'), { argv: ['node', 'a b.js', '--x'] });
  assert.ok('error' in splitCommand('npm test && rm -rf /'));
  assert.ok('error' in splitCommand('echo $(id)'));
});
