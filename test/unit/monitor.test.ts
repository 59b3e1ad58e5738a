/**
 * The monitor's tick on the fakes, driven one tick at a time with the test clock: crashed panes, the
 * worker time limit, stuck workers, a pane missing from one listing, and a tmux that fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMonitor, type Monitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from '../helpers/fake-runtime.js';
import { scriptedWorker } from '../../src/core/agents/profiles/scripted.js';

/** A runtime with one running worker w01 in pane %2, and a monitor that is not started (the test ticks it). */
async function withWorker(
  fn: (f: FakeRuntime, monitor: Monitor) => Promise<void>,
  opts?: FakeRuntimeOptions,
): Promise<void> {
  const f = await createFakeRuntime(opts);
  const monitor = createMonitor(f.rt);
  try {
    await spawnWorker(f.rt, { task: 'work' });
    f.tmux.clearCalls();
    await fn(f, monitor);
  } finally {
    monitor.close();
    f.cleanup();
  }
}

const worker = (f: FakeRuntime) => f.store.getWorker(f.rt.sid, 'w01')!;
const sessionStatus = (f: FakeRuntime) => f.store.getSession(f.rt.sid)!.status;
const count = (f: FakeRuntime, type: string) => f.eventTypes().filter((t) => t === type).length;

test('monitor: a worker whose pane died without reporting completion is crashed, with its exit status', () =>
  withWorker(async (f, monitor) => {
    await monitor.tick();
    assert.equal(worker(f).state, 'running');
    f.tmux.exitPane('%2', 3);
    await monitor.tick();
    const w = worker(f);
    assert.deepEqual(
      [w.state, w.exit_info, w.summary],
      ['crashed', 'exited with status 3', 'crashed: exited with status 3'],
    );
    assert.equal(sessionStatus(f), 'running');
  }));

test('monitor: a worker whose pane died showing why it cannot work is that (auth_required), not crashed', () =>
  withWorker(async (f, monitor) => {
    const entry = f.rt.agents.get(scriptedWorker.name)!;
    f.rt.agents.set(scriptedWorker.name, {
      ...entry,
      profile: {
        ...entry.profile,
        blockers: [{ kind: 'auth_required', match: 'API key is missing', fix: 'set the key' }],
      },
    });
    await monitor.tick();
    // The agent's refusal, then what its pane printed as it ended (more lines than a live pane's window).
    const tail = Array.from({ length: 14 }, (_, i) => `stderr line ${i}`).join('\n');
    f.tmux.setScreen('%2', `✕ API key is missing or not configured.\ncrewmux: the agent exited (code 1)\n${tail}\n`);
    f.tmux.exitPane('%2', 1);
    await monitor.tick();
    const w = worker(f);
    assert.equal(w.state, 'auth_required', w.summary ?? '');
    assert.match(w.summary ?? '', /API key is missing or not configured\. — fix: set the key/);
  }));

test('monitor: a worker past --worker-timeout is stopped (Ctrl-C, then its process tree) and marked timeout', () =>
  withWorker(
    async (f, monitor) => {
      const pid = f.tmux.pane('%2')!.pid;
      f.git.setDirty(worker(f).worktree, ['half-done.ts']);
      f.clock.advance(59_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'running');
      f.clock.advance(2_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'timeout');
      assert.deepEqual(f.tmux.callsOf('sendKeys'), [['%2', 'C-c']]);
      assert.deepEqual(f.runner.kills, [{ pid }]);
      // Its leftover work was committed on its branch first.
      assert.deepEqual(
        f.git.callsOf('snapshotCommit').map((c) => c[0]),
        [worker(f).worktree],
      );
      assert.equal(f.git.commitInfo(f.git.resolve(worker(f).branch)!)!.files.join(), 'half-done.ts');
      assert.deepEqual(f.stopped, ['w01']);
    },
    { options: { workerTimeoutS: 60 } },
  ));

test('monitor: a stuck worker is nudged once, then reported to the lead once', () =>
  withWorker(
    async (f, monitor) => {
      f.tmux.setScreen('%2', 'scripted worker idle\n> ');
      await monitor.tick();
      f.clock.advance(9_000);
      await monitor.tick();
      assert.equal(count(f, 'worker.nudged'), 0);
      f.clock.advance(2_000);
      await monitor.tick();
      assert.equal(count(f, 'worker.nudged'), 1);
      // The nudge is typed into the agent and confirmed.
      assert.deepEqual(f.tmux.callsOf('sendKeys'), [['%2', 'Enter']]);
      assert.match(f.tmux.pane('%2')!.screen, /no output from you for a while/);
      assert.equal(count(f, 'worker.message'), 1);
      f.clock.advance(5_000);
      await monitor.tick();
      assert.equal(count(f, 'worker.stuck'), 0);
      f.clock.advance(6_000);
      await monitor.tick();
      assert.equal(count(f, 'worker.stuck'), 1);
      f.clock.advance(60_000);
      await monitor.tick();
      assert.deepEqual([count(f, 'worker.nudged'), count(f, 'worker.stuck')], [1, 1]);
      assert.equal(worker(f).state, 'running');
      assert.match(worker(f).notes.at(-1)!, /stuck: no output for \d+ s even after a nudge/);
    },
    { options: { stuckAfterS: 10 } },
  ));

test("monitor: a pane missing from the tick's list is looked up again before the worker is called crashed", () =>
  withWorker(async (f, monitor) => {
    // The worker's pane opens after the tick listed the panes (a spawn racing the tick).
    f.store.updateWorker(f.rt.sid, 'w01', { pane_id: '%3' });
    let listings = 0;
    f.tmux.beforeCall = (method) => {
      if (method === 'listPanes' && ++listings === 2)
        void f.tmux.splitWindow(f.leadWindow, { cwd: '/w', command: 'agent' });
    };
    await monitor.tick();
    assert.equal(listings, 2);
    assert.equal(worker(f).state, 'running');
    // Still missing at the second look: now it is gone.
    f.tmux.beforeCall = undefined;
    f.store.updateWorker(f.rt.sid, 'w01', { pane_id: '%9' });
    await monitor.tick();
    assert.deepEqual([worker(f).state, worker(f).exit_info], ['crashed', 'its pane was closed']);
  }));

test('a tmux list-panes that times out does not end the session or crash workers (regression)', () =>
  withWorker(async (f, monitor) => {
    // Before: the adapter answered [] when tmux failed, so one slow call ended the run as failed
    // ("the lead agent its pane was closed") and every worker was marked crashed.
    f.tmux.fail.listPanes = new Error('tmux -L crewmux-fake list-panes timed out');
    await monitor.tick();
    await monitor.tick();
    assert.equal(sessionStatus(f), 'running');
    assert.equal(worker(f).state, 'running');
    assert.equal(count(f, 'monitor.error'), 2);
    assert.equal(count(f, 'monitor.tmux_unreachable'), 0);
    // Several failures in a row are reported once, not at every tick.
    await monitor.tick();
    await monitor.tick();
    assert.equal(count(f, 'monitor.tmux_unreachable'), 1);
    const report = f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'monitor.tmux_unreachable')!;
    assert.match(report.message, /3 times in a row \(tmux -L crewmux-fake list-panes timed out\)/);
    assert.equal(sessionStatus(f), 'running');
    assert.equal(worker(f).state, 'running');

    delete f.tmux.fail.listPanes;
    await monitor.tick();
    assert.equal(count(f, 'monitor.tmux_recovered'), 1);
    assert.equal(worker(f).state, 'running');
    // Judging resumes with an answer: a pane that is really dead is still noticed.
    f.tmux.exitPane('%2', 1);
    await monitor.tick();
    assert.equal(worker(f).state, 'crashed');
    assert.equal(sessionStatus(f), 'running');
  }));

test('a tmux list-panes that fails on the second look-up does not crash the worker (regression)', () =>
  withWorker(async (f, monitor) => {
    f.store.updateWorker(f.rt.sid, 'w01', { pane_id: '%3' });
    let listings = 0;
    f.tmux.beforeCall = (method) => {
      if (method === 'listPanes' && ++listings === 2)
        f.tmux.failNext('listPanes', new Error('server exited unexpectedly'));
    };
    await monitor.tick();
    assert.equal(worker(f).state, 'running');
    assert.equal(count(f, 'monitor.error'), 1);
  }));

test('monitor: the lead pane gone after a good listing still ends the session as failed', () =>
  withWorker(async (f, monitor) => {
    f.tmux.exitPane(f.leadPane, 0);
    await monitor.tick();
    assert.equal(sessionStatus(f), 'failed');
    assert.match(
      f.store.getSession(f.rt.sid)!.outcome_reason!,
      /the lead agent exited with status 0 without marking the goal done or failed/,
    );
  }));
