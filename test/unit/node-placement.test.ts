/**
 * Automatic placement (docs/architecture.md "Worker nodes: placement"): spawn_worker without a node runs the worker
 * here while this machine's memory admits it, else on the first configured node with room (its agents list, its
 * maxWorkers, its status answer's free memory and agents), else queues it saying why each node refused; a node the
 * lead names still wins. On the fake runtime with a fake machine (test/fakes/machine-memory.ts) and fake nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeQueuedWorker, spawnWorker, startQueuedWorker, type PlacedOnNode } from '../../src/app/workers/spawn.js';
import { startQueuedWorkers } from '../../src/app/workers/admission.js';
import { changeWorkerState } from '../../src/app/workers/state-change.js';
import { runtimeNameOf } from '../../src/app/workers/worker-runtimes.js';
import type { NodeInfo } from '../../src/core/nodes/protocol.js';
import { configRefusal, nodeFits } from '../../src/core/nodes/placement.js';
import { scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import { TYPED_AGENT, type FakeRuntime } from '../helpers/fake-runtime.js';
import { createFakeNode, createFakeNodesRuntime, type FakeNode } from '../helpers/fake-node.js';
import { createFakeMachine } from '../fakes/machine-memory.js';

const MB = 1024 * 1024;
const AGENT = scriptedWorker.name;

const roomy = (freeMb = 8192): NodeInfo => ({
  freeMemoryBytes: freeMb * MB,
  totalMemoryBytes: 16384 * MB,
  workersRunning: 0,
  agents: [{ name: AGENT, found: true }],
});

/**
 * A fake runtime whose machine admits `localFit` workers (reserve 1 GB, each worker pane holding 100 MB, the agent
 * expected at 100 MB), with nodes `nodes` (config) answered by `fakes`.
 */
async function withNodes(
  nodes: Record<string, unknown>,
  fakes: Record<string, FakeNode>,
  localFit: number,
  fn: (f: FakeRuntime) => Promise<void>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const f = await createFakeNodesRuntime(Object.values(fakes), {
    nodes,
    config: { admission: { reserve: '1G' }, ...extra },
    options: { maxWorkers: 8 },
  });
  f.rt.machine = createFakeMachine(f, { totalMb: 8192, availableMb: 1024 + localFit * 100 + 50, paneMb: 100 });
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}

test('placement: here while this machine admits the worker; then on a node with room, and the lead is told', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy() });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 1, async (f) => {
    const one = await spawnWorker(f.rt, { task: 'here' });
    assert.equal(one.placed, undefined);
    assert.equal(runtimeNameOf(f.rt, one.worker), 'local');
    // This machine was enough: no node was asked.
    assert.equal(gpu.infoAsked, 0);

    const two = await spawnWorker(f.rt, { task: 'there' });
    assert.equal(two.queued, undefined);
    assert.equal(two.placed?.node, 'gpu1');
    assert.match(
      two.placed.why,
      /^this machine did not admit it \(available 1074 MB minus the reserve 1024 MB, 100 MB still expected by started workers leaves 0 MB; the agent needs 100 MB\); node gpu1 has room \(7168 MB free beyond its reserve\)$/,
    );
    assert.equal(runtimeNameOf(f.rt, two.worker), 'gpu1');
    assert.deepEqual(gpu.started, ['w02']);
    assert.equal(f.store.getWorker(f.rt.sid, 'w02')!.state, 'running');
    const spawned = f.store.eventsAfter(f.rt.sid, 0, 1000).filter((e) => e.type === 'worker.spawned');
    assert.match(spawned[1]!.message, /w02 spawned: .* on node gpu1 \(placed there: this machine did not admit it/);
  });
});

test('placement: a node the lead names wins even while this machine has room', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy() });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 4, async (f) => {
    const r = await spawnWorker(f.rt, { task: 'there', node: 'gpu1' });
    assert.equal(r.placed, undefined);
    assert.equal(runtimeNameOf(f.rt, r.worker), 'gpu1');
    assert.deepEqual(gpu.started, ['w01']);
    // Named, not placed: the node's status is not asked.
    assert.equal(gpu.infoAsked, 0);
  });
});

test('placement: the first node that fits, in config order; each refusal is told when none fits', async () => {
  const fakes = {
    a: createFakeNode('a', { info: roomy() }),
    b: createFakeNode('b', { info: roomy() }),
    c: createFakeNode('c', { info: { ...roomy(), agents: [{ name: AGENT, found: false }] } }),
    d: createFakeNode('d', { info: roomy(1024 + 50) }),
    e: createFakeNode('e'),
    f: createFakeNode('f', { info: roomy() }),
  };
  const nodes = {
    a: { host: 'a.lan', agents: ['claude'] },
    b: { host: 'b.lan', maxWorkers: 1 },
    c: { host: 'c.lan' },
    d: { host: 'd.lan' },
    e: { host: 'e.lan' },
    f: { host: 'f.lan' },
  };
  await withNodes(nodes, fakes, 0, async (f) => {
    const one = await spawnWorker(f.rt, { task: 'one' });
    // b is the first that fits (a does not take this agent, by its config: not even asked).
    assert.equal(one.placed?.node, 'b');
    assert.equal(fakes.a.infoAsked, 0);
    const two = await spawnWorker(f.rt, { task: 'two' });
    // b is full now; c lacks the agent, d the memory, e does not answer: f.
    assert.equal(two.placed?.node, 'f');
    assert.deepEqual([fakes.b.infoAsked, fakes.c.infoAsked, fakes.d.infoAsked, fakes.e.infoAsked], [1, 1, 1, 1]);
  });
  const full = { ...nodes, f: { host: 'f.lan', maxWorkers: 1 } };
  await withNodes(full, fakes, 0, async (f) => {
    await spawnWorker(f.rt, { task: 'b' });
    await spawnWorker(f.rt, { task: 'f' });
    const r = await spawnWorker(f.rt, { task: 'nowhere' });
    assert.equal(r.placed, undefined);
    assert.equal(r.worker.state, 'queued');
    assert.equal(
      r.queued,
      'available 1074 MB minus the reserve 1024 MB leaves 50 MB; the agent needs 100 MB; no node had room (' +
        `a: its agents list (claude) does not include ${AGENT}; ` +
        "b: it runs 1 of this session's workers (maxWorkers 1); " +
        `c: ${AGENT} is not installed there; ` +
        `d: 1074 MB free minus the reserve 1024 MB leaves 50 MB; ${AGENT} needs 100 MB; ` +
        'e: it did not answer (node e: ssh: connect to host e.lan port 22: No route to host); ' +
        "f: it runs 1 of this session's workers (maxWorkers 1))",
    );
  });
});

test('placement: never where the lead or the config chose a runtime', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy() });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 0, async (f) => {
    const r = await spawnWorker(f.rt, { task: 'here', runtime: 'local' });
    assert.equal(r.worker.state, 'queued');
    assert.equal(gpu.infoAsked, 0);
  });
});

test('nodeFits: the config refuses first; a node that cannot tell its memory is taken at its word', () => {
  assert.equal(configRefusal({ host: 'h', agents: ['x'] }, 'x', 0), undefined);
  assert.equal(
    configRefusal({ host: 'h', maxWorkers: 2 }, 'x', 2),
    "it runs 2 of this session's workers (maxWorkers 2)",
  );
  const base = { spec: { host: 'h' }, agent: 'x', activeThere: 0, needBytes: 100 * MB, reserveBytes: () => 0 };
  const agents = [{ name: 'x', found: true }];
  assert.deepEqual(nodeFits({ ...base, info: { workersRunning: 3, agents } }), { fits: true });
  assert.deepEqual(nodeFits({ ...base, info: { workersRunning: 0, agents, freeMemoryBytes: 100 * MB } }), {
    fits: true,
    freeBytes: 100 * MB,
  });
  assert.deepEqual(nodeFits({ ...base, info: { workersRunning: 0, agents, freeMemoryBytes: 99 * MB } }), {
    fits: false,
    reason: '99 MB free minus the reserve 0 MB leaves 99 MB; x needs 100 MB',
  });
});

/** The memory queue's pass as the supervisor runs it: here when memory frees, else on a node placement finds. */
const startQueue = (f: FakeRuntime, nodesNow = false) =>
  startQueuedWorkers<PlacedOnNode>(f.rt, (w, placed) => startQueuedWorker(f.rt, w, undefined, placed), {
    place: (w, reason) => placeQueuedWorker(f.rt, w, reason),
    nodesNow,
  });

/** Worker `id` finished its turn (its agent's room is free again). */
const finish = (f: FakeRuntime, id: string) =>
  assert.ok(changeWorkerState(f.rt, f.store.getWorker(f.rt.sid, id)!, 'done', 'finished'));

test('placement: a queued worker starts on a node that has room now, not only here; asked at most every 10 s', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy() });
  await withNodes({ gpu1: { host: 'gpu1.lan', maxWorkers: 1 } }, { gpu1: gpu }, 0, async (f) => {
    assert.equal((await spawnWorker(f.rt, { task: 'one' })).placed?.node, 'gpu1');
    const two = await spawnWorker(f.rt, { task: 'two' });
    assert.equal(two.worker.state, 'queued');
    // Here is still full and gpu1 is at its maxWorkers: it stays queued.
    await startQueue(f);
    assert.equal(f.store.getWorker(f.rt.sid, 'w02')!.state, 'queued');
    finish(f, 'w01');
    // Within 10 s of the last ask, a tick does not ask the nodes again...
    f.clock.advance(5_000);
    await startQueue(f);
    assert.equal(f.store.getWorker(f.rt.sid, 'w02')!.state, 'queued');
    // ...a worker's end does (or 10 s later, the tick).
    await startQueue(f, true);
    assert.equal(f.store.getWorker(f.rt.sid, 'w02')!.state, 'running');
    assert.equal(runtimeNameOf(f.rt, f.store.getWorker(f.rt.sid, 'w02')!), 'gpu1');
    assert.deepEqual(gpu.started, ['w01', 'w02']);
    const admitted = f.store.eventsAfter(f.rt.sid, 0, 1000).filter((e) => e.type === 'worker.admitted');
    assert.match(
      admitted.at(-1)!.message,
      /^w02 admitted on node gpu1: this machine did not admit it \(available 1074 MB .*\); node gpu1 has room/,
    );
    const spawned = f.store.eventsAfter(f.rt.sid, 0, 1000).filter((e) => e.type === 'worker.spawned');
    assert.match(spawned.at(-1)!.message, /w02 spawned: .* on node gpu1 \(placed there: this machine did not admit it/);
  });
});

test('placement: a queued worker whose spawn named this machine is never sent to a node', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy() });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 0, async (f) => {
    assert.equal((await spawnWorker(f.rt, { task: 'here', runtime: 'local' })).worker.state, 'queued');
    await startQueue(f, true);
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'queued');
    assert.equal(gpu.infoAsked, 0);
  });
});

test('placement: workers placed on a node count against its room until its free memory shows them', async () => {
  // Room for two by memory: 250 MB beyond the reserve, 100 MB each; the node's answer does not change at once.
  const gpu = createFakeNode('gpu1', { info: roomy(1024 + 250) });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 0, async (f) => {
    assert.equal((await spawnWorker(f.rt, { task: 'one' })).placed?.node, 'gpu1');
    const two = await spawnWorker(f.rt, { task: 'two' });
    assert.equal(two.placed?.node, 'gpu1');
    assert.match(two.placed.why, /node gpu1 has room \(150 MB free beyond its reserve\)$/);
    const three = await spawnWorker(f.rt, { task: 'three' });
    assert.equal(three.worker.state, 'queued');
    assert.match(
      three.queued!,
      new RegExp(
        `no node had room \\(gpu1: 1274 MB free minus the reserve 1024 MB, 200 MB placed there and not showing in its free memory yet leaves 50 MB; ${AGENT} needs 100 MB\\)$`,
      ),
    );
    // Their agents grew: the node's free memory shows them, nothing is counted twice (50 MB left: still no room).
    gpu.info = roomy(1024 + 50);
    await startQueue(f, true);
    assert.equal(f.store.getWorker(f.rt.sid, 'w03')!.state, 'queued');
    // w01 ends and its memory frees on the node: w03 goes there.
    finish(f, 'w01');
    gpu.info = roomy(1024 + 150);
    await startQueue(f, true);
    assert.equal(f.store.getWorker(f.rt.sid, 'w03')!.state, 'running');
    assert.deepEqual(gpu.started, ['w01', 'w02', 'w03']);
  });
});

test('placement: two spawns at once do not both take the last room on a node', async () => {
  const gpu = createFakeNode('gpu1', { info: roomy(1024 + 150) });
  await withNodes({ gpu1: { host: 'gpu1.lan' } }, { gpu1: gpu }, 0, async (f) => {
    const both = await Promise.all([spawnWorker(f.rt, { task: 'a' }), spawnWorker(f.rt, { task: 'b' })]);
    assert.deepEqual(both.map((r) => r.placed?.node ?? r.worker.state).sort(), ['gpu1', 'queued']);
    assert.deepEqual(gpu.started.length, 1);
  });
  // maxWorkers too: the second start is counted before its row exists.
  const one = createFakeNode('one', { info: roomy() });
  await withNodes({ one: { host: 'one.lan', maxWorkers: 1 } }, { one }, 0, async (f) => {
    const both = await Promise.all([spawnWorker(f.rt, { task: 'a' }), spawnWorker(f.rt, { task: 'b' })]);
    assert.deepEqual(both.map((r) => r.placed?.node ?? r.worker.state).sort(), ['one', 'queued']);
  });
});

test('placement: an agent not installed here runs on a node that has it; else a clear refusal', async () => {
  const has = createFakeNode('has', { info: { ...roomy(), agents: [{ name: TYPED_AGENT, found: true }] } });
  const lacks = createFakeNode('lacks', { info: roomy() });
  const nodes = { has: { host: 'has.lan' }, lacks: { host: 'lacks.lan' } };
  // This machine has room; it does not have the agent.
  await withNodes(nodes, { has, lacks }, 4, async (f) => {
    f.rt.agents.set(TYPED_AGENT, { ...f.rt.agents.get(TYPED_AGENT)!, binary: undefined });
    const r = await spawnWorker(f.rt, { task: 'typed', agent: TYPED_AGENT });
    assert.equal(r.placed?.node, 'has');
    assert.match(r.placed.why, new RegExp(`^${TYPED_AGENT} is not installed on this machine; node has has room`));
    assert.equal(runtimeNameOf(f.rt, r.worker), 'has');
    assert.deepEqual(has.started, ['w01']);
    // Named here, it is refused as before.
    await assert.rejects(
      spawnWorker(f.rt, { task: 'typed', agent: TYPED_AGENT, runtime: 'local' }),
      new RegExp(`agent "${TYPED_AGENT}" is not installed on this machine\\. Use one of: ${AGENT}\\.`),
    );
  });
  await withNodes({ lacks: { host: 'lacks.lan' } }, { lacks }, 4, async (f) => {
    f.rt.agents.set(TYPED_AGENT, { ...f.rt.agents.get(TYPED_AGENT)!, binary: undefined });
    await assert.rejects(spawnWorker(f.rt, { task: 'typed', agent: TYPED_AGENT }), (e: Error) => {
      assert.equal(
        e.message,
        `Error: agent "${TYPED_AGENT}" is not installed on this machine, and no node took it: no node had room (lacks: ${TYPED_AGENT} is not installed there). Use one of: ${AGENT}; or install it here or on a node (crewmux node list shows each node's agents).`,
      );
      return true;
    });
    assert.equal(f.store.listWorkers(f.rt.sid).length, 0);
  });
});
