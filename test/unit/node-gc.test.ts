/**
 * The lead host's side of node clean-up (app/nodes/node-gc.ts) on fakes: a finished node worker's copy is asked to
 * go with the heads the lead host holds of its branches (only that worker's), an active one is not touched, each
 * outcome is an event, and a node that cannot be asked keeps its copy (reported unreachable, never a throw).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanNodeWorkers } from '../../src/app/nodes/node-gc.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { changeWorkerState } from '../../src/app/workers/state-change.js';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';
import type { WorktreeFiles } from '../../src/app/ports/worktree-files.js';

test('cleanNodeWorkers: finished node workers only, with the lead host heads of their own branches; events; unreachable kept', async () => {
  const node = createFakeNode('gpu1', {
    remove: (p) =>
      p.id.endsWith('w02')
        ? { removed: false, reason: 'uncommitted changes in 1 file(s) there', branches: [], bytes: 0 }
        : { removed: true, branches: Object.keys(p.heads), bytes: 10 },
  });
  const asked = node.removed;
  const f = await createFakeNodesRuntime(node);
  f.git.scriptRaw(['checkout', '-q', '--detach'], '');
  try {
    for (const task of ['one', 'two', 'three']) await spawnWorker(f.rt, { task, node: 'gpu1' });
    await spawnWorker(f.rt, { task: 'here' });
    for (const id of ['w01', 'w02']) changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, id)!, 'killed', 'stopped');
    changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, 'w04')!, 'killed', 'stopped');
    const w1 = f.store.getWorker(f.rt.sid, 'w01')!;

    const r = await cleanNodeWorkers(f.rt);
    // w03 still runs, w04 is local: neither is touched.
    assert.deepEqual(
      asked.map((a) => a.id),
      [`${f.rt.sid}/w01`, `${f.rt.sid}/w02`],
    );
    assert.deepEqual(asked[0]!.heads, { [w1.branch]: f.git.resolve(w1.branch) });
    assert.equal(asked[0]!.force, false);
    assert.deepEqual(
      r.map((c) => [c.workerId, c.removed, c.reason ?? null]),
      [
        ['w01', true, null],
        ['w02', false, 'uncommitted changes in 1 file(s) there'],
      ],
    );
    const events = f.store.eventsAfter(f.rt.sid).filter((e) => e.type.startsWith('node.worktree'));
    assert.deepEqual(
      events.map((e) => [e.type, e.message]),
      [
        ['node.worktree_removed', 'w01: its worktree and branches on node gpu1 were removed'],
        ['node.worktree_kept', 'w02: its worktree on node gpu1 was kept: uncommitted changes in 1 file(s) there'],
      ],
    );

    node.up = false;
    const down = await cleanNodeWorkers(f.rt, { dryRun: true });
    assert.deepEqual(
      down.map((c) => [c.workerId, c.removed, c.unreachable]),
      [
        ['w01', false, true],
        ['w02', false, true],
      ],
    );
  } finally {
    f.cleanup();
  }
});

test('cleanNodeWorkers: the teardown kept on the node runs before its worktree goes; a failure is bootstrap.teardown_failed', async () => {
  const node = createFakeNode('gpu1', {
    teardown: (commands, id) =>
      id === 'w02'
        ? {
            ran: 1,
            failed: { command: commands[0]!, exitCode: 3, timedOut: false },
            log: '/n/logs/s/w02-teardown.log',
          }
        : { ran: commands.length, log: `/n/logs/s/${id}-teardown.log` },
  });
  const f = await createFakeNodesRuntime(node, {
    config: { worktree: { teardown: ['docker compose down'] } },
    runtime: { worktreeFiles: nodeOnlyFiles() },
  });
  f.git.scriptRaw(['checkout', '-q', '--detach'], '');
  try {
    for (const task of ['one', 'two', 'three']) await spawnWorker(f.rt, { task, node: 'gpu1' });
    // w01 killed, w02 finished then discarded by the lead.
    changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, 'w01')!, 'killed', 'stopped');
    changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, 'w02')!, 'done', 'done');
    changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, 'w02')!, 'discarded', 'not needed');
    assert.deepEqual(
      ['w01', 'w02'].map((id) => f.store.getWorker(f.rt.sid, id)!.state),
      ['killed', 'discarded'],
    );
    // A dry run runs nothing.
    await cleanNodeWorkers(f.rt, { dryRun: true });
    assert.deepEqual(node.tornDown, []);

    const r = await cleanNodeWorkers(f.rt);
    // w03 still runs: its worktree and its teardown stay.
    assert.deepEqual(node.tornDown, [
      { id: 'w01', commands: ['docker compose down'] },
      { id: 'w02', commands: ['docker compose down'] },
    ]);
    assert.deepEqual(
      r.map((c) => [c.workerId, c.removed, c.teardown?.ran]),
      [
        ['w01', true, 1],
        ['w02', true, 1],
      ],
    );
    const events = f.store.eventsAfter(f.rt.sid).filter((e) => e.type.startsWith('bootstrap.teardown'));
    assert.deepEqual(
      events.map((e) => [e.type, e.worker_id, e.message]),
      [
        [
          'bootstrap.teardown',
          'w01',
          "teardown of w01's worktree on node gpu1: 1 command(s) ran (output in /n/logs/s/w01-teardown.log on the node)",
        ],
        [
          'bootstrap.teardown_failed',
          'w02',
          `teardown of w02's worktree on node gpu1 failed: "docker compose down" exited 3 (output in /n/logs/s/w02-teardown.log on the node) (removed anyway)`,
        ],
      ],
    );
  } finally {
    f.cleanup();
  }
});

/** A WorktreeFiles for a session whose workers all run on nodes (bootstrapping on; nothing to include here). */
function nodeOnlyFiles(): WorktreeFiles {
  const no = () => Promise.reject(new Error('not on a node'));
  return {
    copyIncluded: no,
    readIncluded: async () => ({ files: [], skipped: [] }),
    writeIncluded: () => ({ copied: [], skipped: [] }),
    cloneMethod: no,
    cloneDir: no,
    exists: () => false,
    writeEnvBlock: () => undefined,
    reservePorts: no,
    releasePorts: () => undefined,
  };
}
