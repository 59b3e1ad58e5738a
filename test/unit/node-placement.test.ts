/**
 * Automatic placement (docs/architecture.md "Worker nodes: placement"): spawn_worker without a node runs the worker
 * here while this machine's memory admits it, else on the first configured node with room (its agents list, its
 * maxWorkers, its status answer's free memory and agents), else queues it saying why each node refused; a node the
 * lead names still wins. On the fake runtime with a fake machine (test/fakes/machine-memory.ts) and fake nodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { runtimeNameOf } from '../../src/app/workers/worker-runtimes.js';
import type { NodeInfo } from '../../src/core/nodes/protocol.js';
import { configRefusal, nodeFits } from '../../src/core/nodes/placement.js';
import { scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import type { FakeRuntime } from '../helpers/fake-runtime.js';
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
