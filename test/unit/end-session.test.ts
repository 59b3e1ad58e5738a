/**
 * endSession failing still ends the session: whatever throws inside it (a hook, a subscriber, tmux,
 * the report, the store), the outcome is recorded, the terminal event is emitted where it can be, and
 * the promise the supervisor waits on settles. Before, one throw left the session running and the
 * supervisor waiting forever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { endSession } from '../../src/app/session/goal.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import { CLOSING_GRACE_MS } from '../../src/app/workers/closing-answer.js';

test('endSession failing still ends the session: a throwing hook and subscriber, tmux gone and no report', async () => {
  const f = await createFakeRuntime();
  try {
    f.rt.hooks.sessionEnding = () => {
      throw new Error('hook exploded');
    };
    f.rt.events.subscribe((e) => {
      if (e.type === 'session.ending') throw new Error('subscriber exploded');
    });
    f.tmux.fail.listPanes = new Error('no server running on /tmp/tmux-1000/crewmux');
    f.store.listVerifies = () => {
      throw new Error('database disk image is malformed');
    };

    await endSession(f.rt, 'failed', 'the lead marked the goal failed');

    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'failed');
    assert.equal(s.ended_at, f.clock.now());
    assert.equal(s.report, null);
    assert.equal(
      s.outcome_reason,
      'the lead marked the goal failed (while ending: ' +
        'the sessionEnding hook failed: hook exploded; ' +
        'the session.ending event failed: subscriber exploded; ' +
        'stopping the lead failed: no server running on /tmp/tmux-1000/crewmux; ' +
        'building the report failed: database disk image is malformed)',
    );
    const ended = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'session.failed');
    assert.equal(ended.length, 1);
    assert.deepEqual(ended[0]!.data, { status: 'failed', reason: s.outcome_reason });
  } finally {
    f.cleanup();
  }
});

test('endSession failing still ends the session: the store refusing the report still records the outcome', async () => {
  const f = await createFakeRuntime();
  try {
    const update = f.store.updateSession;
    f.store.updateSession = (id, patch) => {
      if (patch.report) throw new Error('string or blob too big');
      update(id, patch);
    };
    await endSession(f.rt, 'timeout', 'the run hit --timeout 60 s');
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'timeout');
    assert.equal(s.report, null);
    assert.equal(
      s.outcome_reason,
      'the run hit --timeout 60 s (while ending: recording the outcome failed: string or blob too big)',
    );
    assert.deepEqual(f.eventTypes().slice(-1), ['session.timeout']);
  } finally {
    f.cleanup();
  }
});

test('endSession failing still ends the session: an event log that cannot store still lets the supervisor finish', async () => {
  const f = await createFakeRuntime();
  try {
    // What the supervisor does: the session is over when endSession settles, even without the event.
    let finished!: () => void;
    const over = new Promise<void>((r) => {
      finished = r;
    });
    let endingSetBeforeTheHook = false;
    f.rt.hooks.sessionEnding = () => {
      endingSetBeforeTheHook = f.rt.ending !== undefined;
      void f.rt.ending?.finally(finished);
    };
    const seen: string[] = [];
    f.rt.events.subscribe((e) => seen.push(e.type));
    f.store.addEvent = () => {
      throw new Error('SQLITE_BUSY: database is locked');
    };

    const first = endSession(f.rt, 'stopped', 'stopped (the supervisor received SIGTERM)');
    assert.equal(endSession(f.rt, 'failed', 'a second ending'), first, 'a second call gets the first ending');
    await first;
    await over;

    assert.equal(endingSetBeforeTheHook, true);
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'stopped');
    assert.match(
      s.outcome_reason!,
      /^stopped \(the supervisor received SIGTERM\) \(while ending: the session\.ending event failed: SQLITE_BUSY/,
    );
    assert.deepEqual(seen, [], 'nothing was published that was not stored');
  } finally {
    f.cleanup();
  }
});

test('endSession stops running workers (snapshot first) and the lead, once, with a stored report', async () => {
  const f = await createFakeRuntime();
  try {
    const { worker } = await spawnWorker(f.rt, { task: 'add a feature' });
    f.git.setDirty(worker.worktree, ['src/half-done.ts']);
    const leadPid = f.tmux.pane(f.leadPane)!.pid;

    await Promise.all([endSession(f.rt, 'failed', 'the lead gave up'), endSession(f.rt, 'failed', 'again')]);

    const w = f.store.getWorker(f.rt.sid, worker.id)!;
    assert.equal(w.state, 'killed');
    assert.equal(f.git.commitInfo(f.git.resolve(worker.branch)!)!.files.join(), 'src/half-done.ts');
    assert.deepEqual(f.tmux.callsOf('sendKeys'), [[worker.pane_id!, 'C-c']]);
    assert.deepEqual(
      f.runner.kills.map((k) => k.pid),
      [f.tmux.pane(worker.pane_id!)!.pid, leadPid],
    );
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.outcome_reason, 'the lead gave up');
    const report = JSON.parse(s.report!) as {
      outcome: string;
      workers: { id: string; state: string; diffstat: string }[];
    };
    assert.equal(report.outcome, 'failed');
    assert.deepEqual(
      report.workers.map((x) => [x.id, x.state, x.diffstat]),
      [[worker.id, 'killed', ' 1 file changed, 1 insertion(+)']],
    );
    assert.equal(f.eventTypes().filter((t) => t === 'session.failed').length, 1);
  } finally {
    f.cleanup();
  }
});

test('endSession gives a worker that reported done a grace for its closing answer (its usage), not one still at work', async () => {
  const f = await createFakeRuntime();
  try {
    const { worker: done } = await spawnWorker(f.rt, { task: 'add a feature' });
    const { worker: busy } = await spawnWorker(f.rt, { task: 'add another feature' });
    f.git.commit(done.branch, 'worker commit', ['src/feature.ts']);
    await completeTurn(f.rt, done.id, { status: 'done', summary: 'feature added' }, 'mcp');
    // After worker_done the agent answers the tool's result: one more model call, written down when it completes.
    f.tmux.setScreen(done.pane_id!, 'scripted worker busy\n');
    f.tmux.setScreen(busy.pane_id!, 'scripted worker busy\n');
    const t0 = f.clock.now();
    let answered = false;
    const sleep = f.clock.sleep;
    f.rt.clock = {
      now: f.clock.now,
      sleep: async (ms, signal) => {
        await sleep(ms, signal);
        if (!answered && f.clock.now() - t0 >= 3_000) {
          answered = true;
          f.tmux.setScreen(done.pane_id!, 'scripted worker idle\n');
        }
      },
    };
    const stops: [string, number, boolean][] = [];
    const sendKeys = f.tmux.sendKeys.bind(f.tmux);
    f.tmux.sendKeys = async (paneId, ...keys) => {
      if (keys.includes('C-c')) stops.push([paneId, f.clock.now() - t0, answered]);
      return sendKeys(paneId, ...keys);
    };

    await endSession(f.rt, 'done', 'the goal is met');

    assert.deepEqual(stops, [
      [busy.pane_id!, 0, false],
      [done.pane_id!, 3_000, true],
    ]);
    assert.equal(f.store.getWorker(f.rt.sid, done.id)!.state, 'done');
    assert.equal(f.store.getWorker(f.rt.sid, busy.id)!.state, 'killed');
  } finally {
    f.cleanup();
  }
});

test('endSession stops a worker that reported done but never reaches its prompt after CLOSING_GRACE_MS', async () => {
  const f = await createFakeRuntime();
  try {
    const { worker } = await spawnWorker(f.rt, { task: 'add a feature' });
    f.git.commit(worker.branch, 'worker commit', ['src/feature.ts']);
    await completeTurn(f.rt, worker.id, { status: 'done', summary: 'feature added' }, 'mcp');
    f.tmux.setScreen(worker.pane_id!, 'scripted worker busy\n');
    const t0 = f.clock.now();
    const stops: number[] = [];
    const sendKeys = f.tmux.sendKeys.bind(f.tmux);
    f.tmux.sendKeys = async (paneId, ...keys) => {
      if (keys.includes('C-c')) stops.push(f.clock.now() - t0);
      return sendKeys(paneId, ...keys);
    };

    await endSession(f.rt, 'done', 'the goal is met');

    assert.deepEqual(stops, [CLOSING_GRACE_MS]);
    assert.equal(f.runner.isAlive(f.tmux.pane(worker.pane_id!)?.pid ?? -1), false);
  } finally {
    f.cleanup();
  }
});
