/** Turn completion on fakes: worker_done, done.flag and a sentinel line all end a turn; only this turn's nonce counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync } from 'node:fs';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnRunning, writeDoneFlag } from '../helpers/worker-steps.js';
import { completeTurn, sendToWorker } from '../../src/app/workers/turns.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { ToolError } from '../../src/core/errors.js';

/** Runs `fn` with a monitor watching `workerId`; the monitor's file watchers are closed afterwards. */
async function withMonitor(
  f: FakeRuntime,
  workerId: string,
  fn: (check: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const monitor = createMonitor(f.rt);
  monitor.watch(f.store.getWorker(f.rt.sid, workerId)!);
  try {
    await fn(() => monitor.checkNow(workerId));
  } finally {
    monitor.close();
  }
}

const lastEvent = (f: FakeRuntime, type: string) =>
  f.store
    .eventsAfter(f.rt.sid)
    .filter((e) => e.type === type)
    .at(-1);

test('worker_done ends the turn: state, summary and the event say how it ended', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    const done = await completeTurn(f.rt, w.id, { status: 'blocked', summary: 'needs an API key' }, 'mcp');
    assert.equal(done!.state, 'blocked');
    assert.equal(done!.summary, 'needs an API key');
    assert.equal(done!.finished_at, f.clock.now());
    const ev = lastEvent(f, 'worker.blocked')!;
    assert.equal(ev.message, `${w.id} blocked: needs an API key [via mcp]`);
    assert.deepEqual(ev.data, { from: 'running', to: 'blocked', source: 'mcp', snapshot: null });
    // A second worker_done for the same turn is refused with what to do.
    await assert.rejects(
      completeTurn(f.rt, w.id, { status: 'done', summary: 'again' }, 'mcp'),
      (e: Error) => e instanceof ToolError && /is blocked, not running; its turn has already ended/.test(e.message),
    );
  } finally {
    f.cleanup();
  }
});

test("a done.flag with the turn's nonce ends the turn", async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    writeDoneFlag(w, w.nonce, 'wrote it without MCP', 'failed');
    await withMonitor(f, w.id, (check) => check());
    const after = f.store.getWorker(f.rt.sid, w.id)!;
    assert.equal(after.state, 'failed');
    assert.equal(after.summary, 'wrote it without MCP');
    assert.equal(lastEvent(f, 'worker.failed')!.data.source, 'flag');
  } finally {
    f.cleanup();
  }
});

test("a sentinel line with the turn's nonce in the pane log ends the turn", async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    appendFileSync(w.log_file, `working\r\n\u001b[1m● WORKER_DONE: ${w.nonce} tests pass\u001b[0m\r\n`);
    await withMonitor(f, w.id, (check) => check());
    const after = f.store.getWorker(f.rt.sid, w.id)!;
    assert.equal(after.state, 'done');
    assert.equal(after.summary, 'tests pass');
    assert.equal(lastEvent(f, 'worker.done')!.data.source, 'line');
  } finally {
    f.cleanup();
  }
});

test("a flag or sentinel carrying an old turn's nonce does not end the new turn", async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    const oldNonce = w.nonce;
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'first turn' }, 'mcp');
    writeDoneFlag(w, oldNonce, 'first turn');
    // The agent is idle at its prompt; send_to_worker starts turn two with a new nonce.
    f.tmux.setScreen(w.pane_id!, 'scripted worker idle\n');
    const next = await sendToWorker(f.rt, w.id, 'now add the tests');
    assert.equal(next.state, 'running');
    assert.notEqual(next.nonce, oldNonce);
    assert.equal(existsSync(w.done_file), false, 'the old flag is removed when the new turn starts');
    assert.match(
      f.tmux.pane(w.pane_id!)!.screen,
      new RegExp(`now add the tests[\\s\\S]*WORKER_DONE: <nonce> line with nonce ${next.nonce}`),
    );

    await withMonitor(f, w.id, async (check) => {
      // An agent that rewrites the old flag, and the old sentinel line still in the log.
      writeDoneFlag(w, oldNonce, 'stale');
      appendFileSync(w.log_file, `WORKER_DONE: ${oldNonce} stale\n`);
      await check();
      assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'running');

      appendFileSync(w.log_file, `WORKER_DONE: ${next.nonce} tests added\n`);
      await check();
    });
    const after = f.store.getWorker(f.rt.sid, w.id)!;
    assert.equal(after.state, 'done');
    assert.equal(after.summary, 'tests added');
  } finally {
    f.cleanup();
  }
});

test('uncommitted work is snapshot-committed before the state changes', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    f.git.setDirty(w.worktree, ['src/half.ts', '.crewmux/done.flag']);
    let atStateChange: { head?: string; files?: readonly string[] } | undefined;
    f.rt.events.subscribe((e) => {
      if (e.type !== 'worker.done') return;
      const head = f.git.resolve(w.branch);
      atStateChange = { head, files: f.git.commitInfo(head!)?.files };
    });
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'ok' }, 'mcp');

    assert.deepEqual(f.git.callsOf('snapshotCommit'), [
      [w.worktree, `crewmux: snapshot of ${w.id} leftover work (turn ended: done)`, '.crewmux/done.flag'],
    ]);
    const snapshot = lastEvent(f, 'worker.snapshot')!;
    assert.deepEqual(atStateChange, { head: snapshot.data.commit, files: ['src/half.ts'] });
    assert.equal(lastEvent(f, 'worker.done')!.data.snapshot, snapshot.data.commit);
    assert.ok(snapshot.id < lastEvent(f, 'worker.done')!.id);
    assert.deepEqual(f.git.dirty.get(w.worktree), ['.crewmux/done.flag'], 'the done flag is never committed');
  } finally {
    f.cleanup();
  }
});

test('a failing snapshot is reported and the turn still ends', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    f.git.failNext('snapshotCommit', new Error('fatal: Unable to create index.lock'));
    const done = await completeTurn(f.rt, w.id, { status: 'done', summary: 'ok' }, 'flag');
    assert.equal(done!.state, 'done');
    assert.equal(
      lastEvent(f, 'worker.snapshot_failed')!.message,
      `${w.id}: snapshot commit failed: fatal: Unable to create index.lock`,
    );
  } finally {
    f.cleanup();
  }
});
