/** The warm worktree pool (app/workers/pool.ts) on the fake runtime: fill, take, follow the head, drain. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createWorktreePool, type PoolOptions } from '../../src/app/workers/pool.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { mergeWorker } from '../../src/app/integration/merge.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import { poolBranch } from '../../src/core/session/naming.js';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';

async function withPool(fn: (f: FakeRuntime) => Promise<void>, opts: PoolOptions = { size: 2 }): Promise<void> {
  const f = await createFakeRuntime();
  try {
    f.rt.pool = createWorktreePool(f.rt, opts);
    f.rt.pool.fill();
    await f.rt.pool.settled();
    f.git.clearCalls();
    await fn(f);
  } finally {
    f.cleanup();
  }
}

const poolPath = (f: FakeRuntime, k: number) => join(f.rt.worktreesDir, `pool-${k}`);
const headOf = (f: FakeRuntime) => f.git.resolve(f.rt.integrationBranch)!;

test('the pool fills to its size at the integration head, each entry on a pool branch of its own', () =>
  withPool(async (f) => {
    assert.deepEqual(
      f.rt.pool!.entries().map((e) => [e.path, e.branch, e.head, e.ready]),
      [
        [poolPath(f, 1), poolBranch(f.rt.sid, 1), headOf(f), true],
        [poolPath(f, 2), poolBranch(f.rt.sid, 2), headOf(f), true],
      ],
    );
    assert.equal(f.git.worktrees.get(poolPath(f, 1)), poolBranch(f.rt.sid, 1));
  }));

test('spawn_worker takes a ready worktree: a new branch at its commit and no checkout; the pool branch goes and the pool refills after the spawn', () =>
  withPool(async (f) => {
    const { worker } = await spawnWorker(f.rt, { task: 'add a flag' });
    assert.equal(worker.worktree, poolPath(f, 1));
    assert.equal(f.git.worktrees.get(poolPath(f, 1)), worker.branch);
    assert.equal(f.git.resolve(worker.branch), headOf(f));
    assert.deepEqual(f.git.calls.filter((c) => c[0] !== 'revParse').slice(0, 1), [
      ['checkoutNewBranchAt', poolPath(f, 1), worker.branch, headOf(f)],
    ]);
    assert.equal(existsSync(join(worker.worktree, '.crewmux')), true);
    const spawned = f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'worker.spawned')!;
    assert.equal((spawned.data as { pooled: boolean }).pooled, true);
    await f.rt.pool!.settled();
    assert.equal(f.git.branches.has(poolBranch(f.rt.sid, 1)), false);
    const after = f.git.calls.map((c) => c[0]);
    assert.ok(after.indexOf('deleteBranch') < after.indexOf('addWorktree'), 'the pool branch goes before the refill');
    assert.deepEqual(
      f.rt.pool!.entries().map((e) => e.path),
      [poolPath(f, 2), poolPath(f, 3)],
    );
    // The third spawn in a row still finds one: the pool refilled.
    await spawnWorker(f.rt, { task: 'two' });
    const third = (await spawnWorker(f.rt, { task: 'three' })).worker;
    assert.equal(third.worktree, poolPath(f, 3));
  }));

test('the pool starts no git after a take until spawn_worker has answered: its branch deletion and refill wait for a later turn of the event loop', () =>
  withPool(async (f) => {
    // Starting a process blocks the supervisor's event loop until the child has exec'd (25-110 ms on a busy machine):
    // run at once when the spawn ended, the pool's `git branch -D` held back the lead's answer that long.
    await spawnWorker(f.rt, { task: 'add a flag' });
    // The MCP SDK's answer is a chain of promise reactions after the handler returns.
    for (let i = 0; i < 50; i++) await Promise.resolve();
    const poolGit = () => f.git.calls.filter((c) => c[0] === 'deleteBranch' || c[0] === 'addWorktree').length;
    assert.equal(poolGit(), 0, 'no pool git command before the answer is out');
    await f.rt.pool!.settled();
    assert.equal(f.git.branches.has(poolBranch(f.rt.sid, 1)), false, 'the pool branch went afterwards');
    assert.ok(poolGit() >= 2, 'and the pool refilled');
  }));

test('a merge moves the integration head: idle entries follow it, and the next worker starts from the merge', () =>
  withPool(async (f) => {
    const w = (await spawnWorker(f.rt, { task: 'write a file' })).worker;
    f.git.commit(w.branch, 'worker commit', ['src/new.ts']);
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'wrote it' }, 'mcp');
    const before = headOf(f);
    await mergeWorker(f.rt, w.id);
    assert.notEqual(headOf(f), before);
    await f.rt.pool!.settled();
    assert.deepEqual(
      f.rt.pool!.entries().map((e) => [e.head, f.git.resolve(e.branch), e.ready]),
      [
        [headOf(f), headOf(f), true],
        [headOf(f), headOf(f), true],
      ],
    );
    const next = (await spawnWorker(f.rt, { task: 'after the merge' })).worker;
    assert.equal(next.base_commit, headOf(f));
    assert.match(next.worktree, /pool-\d+$/);
    // Every checkout was the pool's own (its refills), none a worker's.
    assert.ok(f.git.callsOf('addWorktree').every((c) => /pool-\d+$/.test(c[1]!)));
  }));

test('a spawn right after a merge waits for the entry moving to the new head instead of checking out its own', () =>
  withPool(async (f) => {
    const w = (await spawnWorker(f.rt, { task: 'write a file' })).worker;
    await f.rt.pool!.settled();
    f.git.commit(w.branch, 'worker commit', ['src/new.ts']);
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'wrote it' }, 'mcp');
    // A move that takes a while, as a checkout of a real diff does.
    const reset = f.git.resetHard.bind(f.git);
    f.git.resetHard = async (dir, ref) => {
      await new Promise((r) => setTimeout(r, 50));
      return reset(dir, ref);
    };
    await mergeWorker(f.rt, w.id);
    const next = (await spawnWorker(f.rt, { task: 'at once' })).worker;
    assert.match(next.worktree, /pool-\d+$/);
    assert.equal(next.base_commit, headOf(f));
    assert.equal(f.git.resolve(next.branch), headOf(f));
  }));

test('an entry behind the head is not handed out: the spawn creates its own worktree and the pool catches up', () =>
  withPool(async (f) => {
    // The head moves without the pool being told (a merge by hand in the integration worktree).
    f.git.commit(f.rt.integrationBranch, 'by hand', ['x.ts']);
    const w = (await spawnWorker(f.rt, { task: 't' })).worker;
    assert.match(w.worktree, /w01-implementer$/);
    assert.equal(w.base_commit, headOf(f));
    await f.rt.pool!.settled();
    assert.deepEqual(
      f.rt.pool!.entries().map((e) => e.head),
      [headOf(f), headOf(f)],
    );
  }));

test("a start point of the lead's choosing (cross_review) never takes a pool worktree", () =>
  withPool(async (f) => {
    const w = (await spawnWorker(f.rt, { task: 'review', startPoint: 'main' })).worker;
    assert.match(w.worktree, /w01-implementer$/);
    assert.equal(f.rt.pool!.entries().length, 2);
  }));

test('drain removes every pool worktree and branch, and a drained pool hands nothing out', () =>
  withPool(async (f) => {
    await f.rt.pool!.drain();
    assert.deepEqual(f.rt.pool!.entries(), []);
    for (const k of [1, 2]) {
      assert.equal(f.git.worktrees.has(poolPath(f, k)), false);
      assert.equal(f.git.branches.has(poolBranch(f.rt.sid, k)), false);
      assert.equal(existsSync(poolPath(f, k)), false);
    }
    assert.equal(await f.rt.pool!.take(headOf(f), 'crewmux/x/w09-implementer'), undefined);
    f.rt.pool!.fill();
    await f.rt.pool!.settled();
    assert.deepEqual(f.rt.pool!.entries(), []);
  }));

test('a failing preparation drops the entry with an event; two in a row stop the refills, and spawns still work', async () => {
  const f = await createFakeRuntime();
  try {
    f.rt.pool = createWorktreePool(f.rt, {
      size: 2,
      prepare: async () => {
        throw new Error('setup exited 1');
      },
    });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    assert.deepEqual(f.rt.pool.entries(), []);
    const failed = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'pool.failed');
    assert.equal(failed.length, 2);
    assert.match(failed[0]!.message, /could not prepare .*pool-1: setup exited 1/);
    assert.equal(f.git.worktrees.has(join(f.rt.worktreesDir, 'pool-1')), false);
    f.rt.pool.fill();
    await f.rt.pool.settled();
    assert.equal(f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'pool.failed').length, 2);
    const w = (await spawnWorker(f.rt, { task: 't' })).worker;
    assert.match(w.worktree, /w01-implementer$/);
  } finally {
    f.cleanup();
  }
});

test("a resumed session's pool removes the entries its dead supervisor left, and numbers on past them", async () => {
  const f = await createFakeRuntime();
  try {
    await f.git.addWorktree(f.rt.repoRoot, join(f.rt.worktreesDir, 'pool-4'), poolBranch(f.rt.sid, 4), 'main');
    f.rt.pool = createWorktreePool(f.rt, { size: 1 });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    assert.equal(f.git.branches.has(poolBranch(f.rt.sid, 4)), false);
    assert.equal(f.git.worktrees.has(join(f.rt.worktreesDir, 'pool-4')), false);
    assert.deepEqual(
      f.rt.pool.entries().map((e) => e.path),
      [join(f.rt.worktreesDir, 'pool-5')],
    );
  } finally {
    f.cleanup();
  }
});

test("a resumed session's pool never removes a worker's worktree whose pool branch its dead supervisor left", async () => {
  const f = await createFakeRuntime();
  try {
    // The supervisor died after handing pool-4 to w01 and before deleting the pool branch.
    const path = join(f.rt.worktreesDir, 'pool-4');
    await f.git.addWorktree(f.rt.repoRoot, path, poolBranch(f.rt.sid, 4), 'main');
    await f.git.checkoutNewBranchAt(path, 'crewmux/x/w01-implementer', f.git.resolve('main')!);
    const w = (await spawnWorker(f.rt, { task: 'a worker of the dead supervisor' })).worker;
    f.store.updateWorker(f.rt.sid, w.id, { worktree: path });
    f.rt.pool = createWorktreePool(f.rt, { size: 1 });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    assert.equal(f.git.branches.has(poolBranch(f.rt.sid, 4)), false);
    assert.equal(f.git.worktrees.get(path), 'crewmux/x/w01-implementer', "the worker's worktree stays");
    assert.deepEqual(
      f.rt.pool.entries().map((e) => e.path),
      [join(f.rt.worktreesDir, 'pool-5')],
    );
  } finally {
    f.cleanup();
  }
});

test('a hand-over that fails drops the entry with an event, and the spawn creates its own worktree', () =>
  withPool(async (f) => {
    f.git.failNext('checkoutNewBranchAt', new Error('fatal: cannot lock ref'));
    const { worker } = await spawnWorker(f.rt, { task: 'add a flag' });
    assert.match(worker.worktree, /w01-implementer$/);
    assert.equal(f.git.worktrees.has(poolPath(f, 1)), false);
    assert.equal(f.git.branches.has(poolBranch(f.rt.sid, 1)), false);
    const failed = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'pool.failed');
    assert.match(failed[0]!.message, /could not hand .*pool-1 to a worker: fatal: cannot lock ref/);
    await f.rt.pool!.settled();
    assert.equal(f.rt.pool!.entries().length, 2, 'refilled');
  }));

test('drain runs the teardown in each bootstrapped entry before removing it', async () => {
  const f = await createFakeRuntime();
  try {
    const tornDown: { path: string; there: boolean }[] = [];
    f.rt.pool = createWorktreePool(f.rt, {
      size: 2,
      prepare: async () => ({
        phases: [],
        env: {},
        include: { copied: [], skipped: [] },
        clone: [],
        setup: { source: 'none', ok: true, tail: '' },
      }),
      teardown: async (path) => {
        tornDown.push({ path, there: f.git.worktrees.has(path) });
      },
    });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    await f.rt.pool.drain();
    assert.deepEqual(tornDown, [
      { path: poolPath(f, 1), there: true },
      { path: poolPath(f, 2), there: true },
    ]);
    assert.equal(f.git.worktrees.has(poolPath(f, 1)), false);
  } finally {
    f.cleanup();
  }
});
