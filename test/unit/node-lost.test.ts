/**
 * A node that stops answering (nodes.lostAfter): its workers stay running while it is silent for less than lostAfter,
 * become `lost` past it (measured by the runtime's clock from the node's last answer), are not revived when it answers
 * again, and the lead's wait_for_worker answer names them and says what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { waitForWorkers } from '../../src/app/workers/wait.js';
import { finishedLine } from '../../src/mcp/tools/views.js';
import { canTransition, isFinished } from '../../src/core/workers/state.js';
import { createFakeNode, createFakeNodesRuntime } from '../helpers/fake-node.js';

/** Runs one monitor tick and lets the node's answer (awaited off the tick) land. */
async function tickAndSettle(monitor: ReturnType<typeof createMonitor>): Promise<void> {
  await monitor.tick();
  for (let i = 0; i < 5; i++) await turn();
}

test('lost: a worker on a node silent for less than nodes.lostAfter stays running; past it, lost, and the lead is told', async () => {
  const node = createFakeNode('gpu1');
  const f = await createFakeNodesRuntime(node, { nodes: { lostAfter: 60, gpu1: { host: 'gpu1.lan' } } });
  const monitor = createMonitor(f.rt);
  // The lead is at work (no leadStartTimeout while minutes pass on the test clock).
  monitor.leadActivity();
  try {
    await spawnWorker(f.rt, { task: 'work', node: 'gpu1' });
    assert.deepEqual(node.started, ['w01']);
    const state = () => f.store.getWorker(f.rt.sid, 'w01')!.state;
    await tickAndSettle(monitor);
    assert.equal(state(), 'running');
    assert.equal(node.asked, 1);

    // The link drops: 58 s of failed calls (under lostAfter) is no evidence of anything.
    node.up = false;
    for (let s = 0; s < 29; s++) {
      f.clock.advance(2_000);
      await tickAndSettle(monitor);
    }
    assert.equal(node.asked, 30);
    assert.equal(state(), 'running');
    assert.equal(f.eventTypes().includes('worker.lost'), false);

    // Past 60 s since its last answer: lost, with an event naming the node.
    f.clock.advance(4_000);
    await tickAndSettle(monitor);
    const w = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.equal(w.state, 'lost');
    const ev = f.store.eventsAfter(f.rt.sid, 0, 100_000).find((e) => e.type === 'worker.lost');
    assert.ok(ev, 'a worker.lost event');
    assert.equal(ev.worker_id, 'w01');
    assert.match(ev.message, /node gpu1 has not answered for 62 s \(nodes\.lostAfter is 60 s/);

    // The lead's wait answers with it and says what to do.
    const r = await waitForWorkers(f.rt, ['w01'], 'any', 1_000);
    assert.deepEqual(
      r.finished.map((x) => [x.id, x.state]),
      [['w01', 'lost']],
    );
    const line = finishedLine(r.finished[0]!, (_label, text) => text);
    assert.match(line, /^w01 is lost:/);
    assert.match(line, new RegExp(`on its branch ${w.branch}: merge_worker .* or discard_worker w01 and spawn_worker`));

    // While the node is still silent, stopping its agent there fails quietly.
    await tickAndSettle(monitor);
    assert.deepEqual(node.stopped, []);

    // The node answers again: a lost worker is not revived; its agent there is stopped (once).
    node.up = true;
    const asked = node.asked;
    f.clock.advance(31_000);
    await tickAndSettle(monitor);
    f.clock.advance(31_000);
    await tickAndSettle(monitor);
    assert.equal(state(), 'lost');
    assert.equal(node.asked, asked);
    assert.deepEqual(node.stopped, ['s1fake00/w01']);
    assert.equal(f.eventTypes().filter((t) => t === 'worker.stopped').length, 1);

    // A worker started on the node since: silent from its start, not from the node's last status answer.
    await spawnWorker(f.rt, { task: 'more work', node: 'gpu1' });
    node.up = false;
    f.clock.advance(2_000);
    await tickAndSettle(monitor);
    assert.equal(f.store.getWorker(f.rt.sid, 'w02')!.state, 'running');
  } finally {
    monitor.close();
    f.cleanup();
  }
});

test('lost: a finished state reached from the active states, left only by merge or discard', () => {
  assert.equal(isFinished('lost'), true);
  for (const from of ['starting', 'running', 'waiting'] as const) assert.equal(canTransition(from, 'lost'), true, from);
  assert.equal(canTransition('queued', 'lost'), false);
  assert.equal(canTransition('lost', 'merged'), true);
  assert.equal(canTransition('lost', 'discarded'), true);
  for (const to of ['running', 'crashed', 'done'] as const) assert.equal(canTransition('lost', to), false, to);
});
