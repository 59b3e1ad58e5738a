/**
 * Node workers' changes are pushed: the node watches each worker the lead asked about and notifies `worker.status`
 * when its done.flag appears or its agent exits (a slow poll as the fallback); the lead's node runtime asks each new
 * channel to watch its workers again (the catch-up after a reconnect) and hands the pushes to the monitor, which
 * ends the worker's turn at once, without its poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { createWorkerWatch } from '../../src/app/nodes/serve-watch.js';
import { createNodeRuntime } from '../../src/app/nodes/node-runtime.js';
import type { WorkerStatus } from '../../src/core/nodes/protocol.js';
import type { WorkerHandle } from '../../src/app/ports/worker-runtime.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import {
  createFakeNode,
  createFakeNodesRuntime,
  createScriptedConnector,
  SCRIPTED_NODE,
} from '../helpers/fake-node.js';

const settle = async () => {
  for (let i = 0; i < 10; i++) await turn();
};

test('push: the node announces a watched worker, then notifies only its changes (done.flag, exit); the poll catches the rest', async () => {
  const states = new Map<string, WorkerStatus>([['s1/w01', { running: true }]]);
  const dirWatchers = new Map<string, (name: string | null) => void>();
  const notes: unknown[] = [];
  const watch = createWorkerWatch({
    status: async (id) => states.get(id) ?? { running: false },
    dirs: (id) => [`/node/${id}/.crewmux`, `/node/${id}/state`],
    watchDir: (dir, fn) => {
      dirWatchers.set(dir, fn);
      return { close: () => dirWatchers.delete(dir) };
    },
    notify: (method, params) => notes.push([method, params]),
    pollMs: 3_600_000,
  });
  try {
    watch.add('s1/w01');
    await settle();
    assert.deepEqual(notes, [['worker.status', { id: 's1/w01', running: true }]]);
    assert.deepEqual([...dirWatchers.keys()], ['/node/s1/w01/.crewmux', '/node/s1/w01/state']);

    // The agent's output (pane.log) that leaves its state as it was pushes nothing; the done.flag does, at once.
    dirWatchers.get('/node/s1/w01/state')!('pane.log');
    dirWatchers.get('/node/s1/w01/state')!('prompt.md');
    await settle();
    assert.equal(notes.length, 1);
    states.set('s1/w01', { running: true, doneFlag: '{"nonce":"abc"}' });
    dirWatchers.get('/node/s1/w01/state')!('prompt.md');
    await settle();
    assert.equal(notes.length, 1);
    dirWatchers.get('/node/s1/w01/.crewmux')!('done.flag');
    await settle();
    assert.deepEqual(notes.at(-1), ['worker.status', { id: 's1/w01', running: true, doneFlag: '{"nonce":"abc"}' }]);
    // The same state again is not pushed again.
    dirWatchers.get('/node/s1/w01/.crewmux')!('done.flag');
    await settle();
    assert.equal(notes.length, 2);

    // An exit no watch saw (killed with its shell): the poll pushes it.
    states.set('s1/w01', { running: false, doneFlag: '{"nonce":"abc"}' });
    await watch.pollNow();
    assert.deepEqual(notes.at(-1), ['worker.status', { id: 's1/w01', running: false, doneFlag: '{"nonce":"abc"}' }]);
    assert.equal(notes.length, 3);

    // Watched again (a new channel): announced again, as it is now.
    watch.add('s1/w01');
    await settle();
    assert.equal(notes.length, 4);
    assert.equal(watch.size(), 1);
    watch.remove('s1/w01');
    assert.equal(watch.size(), 0);
    assert.equal(dirWatchers.size, 0);
  } finally {
    watch.close();
  }
});

/** A connector whose channels the test drives: it records calls, pushes notifications, ends a channel like a cut link. */
function drivenConnector() {
  return createScriptedConnector((method) => {
    if (method === 'worker.watch') return { watching: 1 };
    if (method === 'worker.running') return { running: true };
    throw new Error(`unexpected ${method}`);
  });
}

test('push: the lead watches its node workers on every new channel, and hands the node’s pushes on', async () => {
  const { connector, channels } = drivenConnector();
  const node = createNodeRuntime({
    ...SCRIPTED_NODE,
    connector,
    forwardRemote: () => Promise.reject(new Error('not here')),
  });
  const heard: [string, WorkerStatus][] = [];
  node.onStatus((id, st) => heard.push([id, st]));
  const h: WorkerHandle = { id: 's1/w01' };
  // No channel yet: nothing is called; the next channel asks.
  node.watch(h);
  assert.equal(channels.length, 0);
  await node.status(h);
  assert.deepEqual(
    channels[0]!.calls.map(([m]) => m),
    ['hello', 'worker.watch', 'worker.running'],
  );
  assert.deepEqual(channels[0]!.calls[1]![1], { ids: ['s1/w01'] });
  channels[0]!.push('worker.status', { id: 's1/w01', running: true, doneFlag: '{}' });
  channels[0]!.push('worker.status', { id: '../etc', running: true });
  channels[0]!.push('other.event', { id: 's1/w01', running: false });
  assert.deepEqual(heard, [['s1/w01', { running: true, doneFlag: '{}' }]]);

  // The link drops; the next call opens a new channel, which watches the worker again first (the catch-up).
  channels[0]!.cut();
  await settle();
  await node.status(h);
  assert.deepEqual(
    channels[1]!.calls.map(([m]) => m),
    ['hello', 'worker.watch', 'worker.running'],
  );
  channels[1]!.push('worker.status', { id: 's1/w01', running: false });
  assert.deepEqual(heard.at(-1), ['s1/w01', { running: false }]);
  await node.close();
});

test('push: a done.flag pushed by the node ends the worker’s turn at once, without a poll of the node', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node);
  f.rt.hooks.workerStarted = (w) => monitor.watch(w);
  const monitor = createMonitor(f.rt);
  try {
    await spawnWorker(f.rt, { task: 'work', node: 'gpu1' });
    const w = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.equal(w.state, 'running');
    // Another session's worker, or a flag of an older turn: nothing happens.
    node.push('s2other0/w01', {
      running: true,
      doneFlag: JSON.stringify({ nonce: w.nonce, status: 'done', summary: 'x' }),
    });
    node.push('s1fake00/w01', {
      running: true,
      doneFlag: JSON.stringify({ nonce: 'old', status: 'done', summary: 'x' }),
    });
    await settle();
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'running');

    node.push('s1fake00/w01', {
      running: true,
      doneFlag: JSON.stringify({ nonce: w.nonce, status: 'blocked', summary: 'pushed from the node' }),
    });
    await settle();
    const after = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.equal(after.state, 'blocked');
    assert.equal(after.summary, 'pushed from the node');
    // No tick ran: the node was never polled.
    assert.equal(node.asked, 0);
  } finally {
    monitor.close();
    f.cleanup();
  }
});
