/**
 * The worktree pool's parked panes (app/workers/pool-panes.ts, panes.ts openParkedPane) on the fake runtime: each
 * ready entry holds a pane waiting in its worktree; a spawn moves it into place with the worker's launch script and
 * opens its gate (no new pane); a dead one is never handed out and is replaced; drain leaves none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createWorktreePool } from '../../src/app/workers/pool.js';
import { createPoolPanes, poolPanesDir } from '../../src/app/workers/pool-panes.js';
import { POOL_WINDOW, parkedCommand } from '../../src/app/workers/panes.js';
import { shellQuote } from '../../src/core/text/shell-quote.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';

async function withParkedPool(fn: (f: FakeRuntime) => Promise<void>, size = 2): Promise<void> {
  const f = await createFakeRuntime();
  try {
    f.rt.pool = createWorktreePool(f.rt, { size, panes: createPoolPanes(f.rt) });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    f.tmux.clearCalls();
    await fn(f);
  } finally {
    f.cleanup();
  }
}

const poolPath = (f: FakeRuntime, k: number) => join(f.rt.worktreesDir, `pool-${k}`);
const leadWindow = (f: FakeRuntime) => f.tmux.pane(f.store.getSession(f.rt.sid)!.lead_pane!)!.windowId;

test('each ready pool worktree holds a pane parked in it, in the hidden crewmux-pool window, waiting at its gate', () =>
  withParkedPool(async (f) => {
    const entries = f.rt.pool!.entries();
    assert.equal(entries.length, 2);
    for (const [i, e] of entries.entries()) {
      const pane = f.tmux.pane(e.pane!.paneId)!;
      assert.equal(pane.spec.cwd, poolPath(f, i + 1), 'its shell runs in the worktree');
      assert.equal(pane.spec.command, parkedCommand(e.pane!.gate, e.pane!.launch));
      assert.equal(dirname(e.pane!.gate), join(poolPanesDir(f.rt), `pool-${i + 1}`));
      assert.equal(statSync(dirname(e.pane!.gate)).mode & 0o777, 0o700);
      assert.notEqual(pane.windowId, leadWindow(f));
    }
    const listed = await f.tmux.listPanes(f.rt.tmuxSession);
    assert.deepEqual(
      listed.filter((p) => p.windowName === POOL_WINDOW).map((p) => p.paneId),
      entries.map((e) => e.pane!.paneId),
    );
    assert.deepEqual(f.gate.created, [entries[0]!.pane!.gate, entries[1]!.pane!.gate]);
  }));

test('spawn_worker starts the agent in the parked pane: moved beside the lead with its log piped, launch script written, gate opened, no new pane', () =>
  withParkedPool(async (f) => {
    const parked = f.rt.pool!.entries()[0]!.pane!;
    const { worker } = await spawnWorker(f.rt, { task: 'add a flag' });
    assert.equal(worker.pane_id, parked.paneId, 'the pane recorded at pool fill');
    assert.equal(worker.worktree, poolPath(f, 1));
    assert.deepEqual(f.tmux.callsOf('startPane'), [], 'no pane was created');
    assert.deepEqual(f.tmux.callsOf('adoptPane'), [[parked.paneId, leadWindow(f), '']], 'piped since it was parked');
    assert.equal(f.tmux.pane(parked.paneId)!.pipe, `cat >> ${shellQuote(parked.log)}`);
    assert.equal(existsSync(parked.log), false, "its log became the worker's pane log");
    assert.equal(statSync(worker.log_file).mode & 0o777, 0o600);
    assert.equal(f.tmux.pane(parked.paneId)!.windowId, leadWindow(f));
    assert.deepEqual(f.gate.opened, [parked.gate]);
    // The launch script runs the worker's command; its variables (the MCP token) are only in the 0600 env file.
    const launch = readFileSync(parked.launch, 'utf8');
    assert.equal(statSync(parked.launch).mode & 0o777, 0o600);
    assert.ok(launch.startsWith(`cd ${shellQuote(worker.worktree)} || exit 1\n`), launch);
    const envFile = join(dirname(worker.log_file), 'env');
    const q = shellQuote(envFile);
    assert.ok(launch.includes(`. ${q} && : > ${q} && `), launch);
    assert.equal(launch.includes(worker.token), false, 'no secret in the launch script');
    assert.ok(readFileSync(envFile, 'utf8').includes(`CREWMUX_WORKER_ID='${worker.id}'`));
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const spawned = f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'worker.spawned')!;
    assert.equal((spawned.data as { parkedPane: boolean }).parkedPane, true);
    // The refill parks a pane for the new entry; the other entry keeps its own.
    await f.rt.pool!.settled();
    assert.equal(
      f.rt.pool!.entries().every((e) => e.pane && f.tmux.pane(e.pane.paneId)),
      true,
    );
  }));

test('a parked pane whose shell died is never handed out: the spawn takes a live one, and the dead one is replaced', () =>
  withParkedPool(async (f) => {
    const [first, second] = f.rt.pool!.entries().map((e) => e.pane!);
    f.tmux.exitPane(first!.paneId, null, 9);
    assert.equal(f.tmux.pane(first!.paneId), undefined, 'the pool window keeps no dead pane');
    const { worker } = await spawnWorker(f.rt, { task: 'one' });
    assert.equal(worker.pane_id, second!.paneId);
    await f.rt.pool!.settled();
    const entry = f.rt.pool!.entries().find((e) => e.path === poolPath(f, 1))!;
    assert.ok(entry.pane && entry.pane.paneId !== first!.paneId, 'a new pane was parked in its worktree');
    assert.equal(f.tmux.pane(entry.pane.paneId)!.spec.cwd, poolPath(f, 1));
  }));

test('when every ready entry has a dead parked pane, the spawn takes the worktree and opens a new pane', () =>
  withParkedPool(async (f) => {
    const parked = f.rt.pool!.entries()[0]!.pane!;
    f.tmux.exitPane(parked.paneId, null, 9);
    const { worker } = await spawnWorker(f.rt, { task: 'one' });
    assert.equal(worker.worktree, poolPath(f, 1));
    assert.notEqual(worker.pane_id, parked.paneId);
    assert.equal(f.tmux.callsOf('startPane').length, 1);
    assert.deepEqual(f.tmux.callsOf('adoptPane'), []);
    const failed = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'pool.failed');
    assert.match(failed[0]!.message, /parked pane .* its shell is gone; the spawn opens a new pane/);
  }, 1));

test('a parked pane that cannot be moved is closed and the agent starts in a new pane', () =>
  withParkedPool(async (f) => {
    const parked = f.rt.pool!.entries()[0]!.pane!;
    f.tmux.failNext('adoptPane', new Error("can't find pane"));
    f.tmux.failNext('adoptPane', new Error("can't find pane"));
    const { worker } = await spawnWorker(f.rt, { task: 'one' });
    assert.notEqual(worker.pane_id, parked.paneId);
    assert.equal(f.tmux.pane(parked.paneId), undefined, 'the parked pane was killed');
    assert.equal(worker.state, 'running');
  }));

test('drain kills every parked pane and removes their gates and scripts', () =>
  withParkedPool(async (f) => {
    const panes = f.rt.pool!.entries().map((e) => e.pane!.paneId);
    await f.rt.pool!.drain();
    for (const id of panes) assert.equal(f.tmux.pane(id), undefined);
    const listed = await f.tmux.listPanes(f.rt.tmuxSession);
    assert.deepEqual(
      listed.filter((p) => p.windowName === POOL_WINDOW),
      [],
    );
    assert.throws(() => statSync(poolPanesDir(f.rt)));
  }));

test("a resumed session's pool kills the parked panes its dead supervisor left", async () => {
  const f = await createFakeRuntime();
  try {
    const old = await f.tmux.parkPane(f.rt.tmuxSession, POOL_WINDOW, { cwd: f.rt.repoRoot, command: 'read _ < x' });
    f.rt.pool = createWorktreePool(f.rt, { size: 1, panes: createPoolPanes(f.rt) });
    f.rt.pool.fill();
    await f.rt.pool.settled();
    assert.equal(f.tmux.pane(old.paneId), undefined);
    assert.equal(f.rt.pool.entries().length, 1);
  } finally {
    f.cleanup();
  }
});
