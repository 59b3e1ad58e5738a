/**
 * Stuck detection for node workers (docs/architecture.md "Worker nodes"): a node worker writes no pane log on the lead
 * host, so its activity is what its node says its agent printed (`output`, pushed with worker.status and in every
 * worker.running answer). A node worker whose agent keeps printing is not nudged; a silent one is nudged once, then
 * reported stuck. On the fake node and the test clock. Before the fix every node worker was nudged after stuckAfterS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { createWorkerWatch } from '../../src/app/nodes/serve-watch.js';
import type { WorkerStatus } from '../../src/core/nodes/protocol.js';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';

const settle = async () => {
  for (let i = 0; i < 10; i++) await turn();
};

test('node stuck: a node worker whose agent prints is not nudged; a silent one is nudged, then reported', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node, { options: { stuckAfterS: 10 } });
  const monitor = createMonitor(f.rt);
  monitor.leadActivity();
  const notes = (id: string, type: string) =>
    f.store.eventsAfter(f.rt.sid).filter((e) => e.worker_id === id && e.type === type).length;
  try {
    await spawnWorker(f.rt, { task: 'busy', node: 'gpu1' });
    await spawnWorker(f.rt, { task: 'silent', node: 'gpu1' });
    let printed = 100;
    node.agents.set('w01', { running: true, output: printed });
    node.agents.set('w02', { running: true, output: 50 });
    await monitor.tick();
    await settle();
    // 30 s in 3 s steps (each past the 2 s poll): w01's agent prints all along, pushed by the node and in answers.
    for (let s = 0; s < 10; s++) {
      f.clock.advance(3_000);
      printed += 10;
      node.agents.set('w01', { running: true, output: printed });
      if (s % 2) node.push('s1fake00/w01', { running: true, output: printed });
      await monitor.tick();
      await settle();
    }
    assert.deepEqual([notes('w01', 'worker.nudged'), notes('w01', 'worker.stuck')], [0, 0]);
    assert.deepEqual([notes('w02', 'worker.nudged'), notes('w02', 'worker.stuck')], [1, 1]);
    assert.match(f.store.getWorker(f.rt.sid, 'w02')!.notes.at(-1)!, /stuck: no output for \d+ s even after a nudge/);
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'running');
  } finally {
    monitor.close();
    f.cleanup();
  }
});

test('node stuck: the node pushes output alone at most every activityEveryMs, a change of state at once', async () => {
  let now = 0;
  let st: WorkerStatus = { running: true, output: 0 };
  const watchers = new Map<string, (name: string | null) => void>();
  const pushed: unknown[] = [];
  const watch = createWorkerWatch({
    status: async () => st,
    dirs: () => ['/state'],
    watchDir: (dir, fn) => {
      watchers.set(dir, fn);
      return { close: () => watchers.delete(dir) };
    },
    notify: (_m, p) => pushed.push(p),
    pollMs: 3_600_000,
    activityEveryMs: 10_000,
    now: () => now,
  });
  try {
    now = 50_000;
    watch.add('s1/w01');
    await settle();
    assert.equal(pushed.length, 1);
    // Printed 2 s later: not yet worth a push.
    now += 2_000;
    st = { running: true, output: 10 };
    await watch.pollNow();
    assert.equal(pushed.length, 1);
    // Printed again 10 s after the last push: pushed, with the size.
    now += 8_000;
    st = { running: true, output: 20 };
    await watch.pollNow();
    assert.deepEqual(pushed.at(-1), { id: 's1/w01', running: true, output: 20 });
    // A done.flag is pushed at once, whatever the output did.
    now += 1_000;
    st = { running: true, output: 30, doneFlag: '{}' };
    await watch.pollNow();
    assert.equal(pushed.length, 3);
    // Nothing printed and nothing changed: nothing pushed, however long.
    now += 60_000;
    await watch.pollNow();
    assert.equal(pushed.length, 3);
  } finally {
    watch.close();
  }
});
