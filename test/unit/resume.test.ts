/**
 * Resuming a session on fakes: gone agents become crashed, live ones are relaunched (their tokens were rotated),
 * completions while down are noticed, and the lead is relaunched with a recap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnRunning, writeDoneFlag } from '../helpers/worker-steps.js';
import { createMonitor, type Monitor } from '../../src/app/workers/monitor.js';
import { resumeSession } from '../../src/app/session/resume.js';
import { completeTurn, sendToWorker, turnMessageFile } from '../../src/app/workers/turns.js';

/** A fake runtime as a new supervisor finds it after the old one died: the session row is stopped. */
async function downSession(): Promise<FakeRuntime> {
  const f = await createFakeRuntime();
  f.store.updateSession(f.rt.sid, {
    status: 'stopped',
    ended_at: f.clock.now(),
    outcome_reason: 'the supervisor died',
  });
  return f;
}

async function withMonitor(f: FakeRuntime, fn: (m: Monitor) => Promise<void>): Promise<void> {
  const monitor = createMonitor(f.rt);
  try {
    await fn(monitor);
  } finally {
    monitor.close();
  }
}

const worker = (f: FakeRuntime, id: string) => f.store.getWorker(f.rt.sid, id)!;
const resumedMessage = (f: FakeRuntime) =>
  f.store
    .eventsAfter(f.rt.sid)
    .filter((e) => e.type === 'session.resumed')
    .at(-1)!.message;

const leadRelaunched = (f: FakeRuntime) =>
  f.store
    .eventsAfter(f.rt.sid)
    .some((e) => e.type === 'lead.started' && e.message.endsWith('with a recap of the session'));

test('resume: a worker whose pane is gone or dead becomes crashed; a live one is relaunched and watched', async () => {
  const f = await downSession();
  try {
    const gone = await spawnRunning(f, 'task one');
    const dead = await spawnRunning(f, 'task two');
    const live = await spawnRunning(f, 'task three');
    await f.tmux.killPane(gone.pane_id!);
    f.tmux.exitPane(dead.pane_id!, 1);
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');

    await withMonitor(f, async (monitor) => {
      await resumeSession(f.rt, monitor, { freshTmux: false }, []);
      for (const w of [gone, dead]) {
        const row = worker(f, w.id);
        assert.equal(row.state, 'crashed', w.id);
        assert.equal(row.exit_info, 'lost in restart');
      }
      // The live one held a token that no longer works: its agent was stopped and started again in a new pane,
      // with a new nonce and a note, still running.
      const now = worker(f, live.id);
      assert.equal(now.state, 'running');
      assert.notEqual(now.pane_id, live.pane_id);
      assert.notEqual(now.nonce, live.nonce);
      assert.equal(f.tmux.pane(live.pane_id!), undefined, 'the old pane was closed');
      assert.match(readFileSync(now.prompt_file, 'utf8'), /## Previous attempt\n.*replaced every MCP token/);
      const s = f.store.getSession(f.rt.sid)!;
      assert.deepEqual([s.status, s.ended_at, s.outcome_reason], ['running', null, null]);
      assert.equal(resumedMessage(f), `session resumed: ${live.id} was relaunched on its worktree with a new token`);

      // Watched again: its flag, checked by the monitor, ends its turn.
      writeDoneFlag(now, now.nonce, 'finished after the restart');
      await monitor.checkNow(live.id);
      assert.equal(worker(f, live.id).state, 'done');
    });
    // The live lead holds the old token too: it is stopped and relaunched in its pane with the recap.
    assert.ok(leadRelaunched(f));
    assert.ok(f.tmux.callsOf('respawnPane').some(([pane]) => pane === f.leadPane));
    // Its output still reaches its log (the old pipe, which survives respawn-pane, was closed first).
    assert.equal(f.tmux.pane(f.leadPane)!.pipe, `cat >> ${join(f.rt.sessionDir, 'lead', 'pane.log')}`);
    assert.match(readFileSync(join(f.rt.sessionDir, 'lead', 'prompt.md'), 'utf8'), /## This session was resumed/);
  } finally {
    f.cleanup();
  }
});

test('resume: a done.flag or sentinel line written while crewmux was down is noticed, even with the agent gone', async () => {
  const f = await downSession();
  try {
    const byFlag = await spawnRunning(f, 'task one');
    const byLine = await spawnRunning(f, 'task two');
    writeDoneFlag(byFlag, byFlag.nonce, 'done while down');
    appendFileSync(byLine.log_file, `WORKER_BLOCKED: ${byLine.nonce} need a key\n`);
    f.tmux.exitPane(byFlag.pane_id!, 0);
    f.tmux.exitPane(byLine.pane_id!, 0);
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');

    await withMonitor(f, async (monitor) => {
      await resumeSession(f.rt, monitor, { freshTmux: false }, []);
    });

    assert.deepEqual([worker(f, byFlag.id).state, worker(f, byFlag.id).summary], ['done', 'done while down']);
    assert.deepEqual([worker(f, byLine.id).state, worker(f, byLine.id).summary], ['blocked', 'need a key']);
    assert.equal(
      resumedMessage(f),
      `session resumed: ${byFlag.id} finished while crewmux was down (done); ${byLine.id} finished while crewmux was down (blocked)`,
    );
    assert.deepEqual(
      f.eventTypes().filter((t) => t === 'worker.crashed'),
      [],
    );
    assert.ok(leadRelaunched(f));
  } finally {
    f.cleanup();
  }
});

test('resume in a new tmux session: no old pane id counts, and the lead is relaunched with a recap', async () => {
  const f = await downSession();
  try {
    const w = await spawnRunning(f, 'task one');
    await withMonitor(f, async (monitor) => {
      await resumeSession(f.rt, monitor, { freshTmux: true, newPort: 4600 }, []);
    });
    assert.equal(worker(f, w.id).state, 'crashed');
    assert.match(resumedMessage(f), /^session resumed in a new tmux session: the MCP server moved to /);
    const started = f.store
      .eventsAfter(f.rt.sid)
      .filter((e) => e.type === 'lead.started')
      .at(-1)!;
    assert.equal(
      started.message,
      `lead scripted-lead (scripted, no model) started in pane ${f.leadPane} with a recap of the session`,
    );
    const prompt = readFileSync(join(f.rt.sessionDir, 'lead', 'prompt.md'), 'utf8');
    assert.match(prompt, new RegExp(`${w.id}[^\\n]*crashed`));
    // The lead pane's log is piped and its start gate opened (the fake gate opens at once).
    assert.deepEqual(
      f.tmux.callsOf('pipePane').filter(([p]) => p === f.leadPane),
      [[f.leadPane, `cat >> ${join(f.rt.sessionDir, 'lead', 'pane.log')}`]],
    );
    assert.equal(f.gate.opened.length, 1, "the lead's gate (worker panes have none)");
  } finally {
    f.cleanup();
  }
});

test('resume: a live worker in a turn started by send_to_worker is relaunched with the messages of that turn', async () => {
  const f = await downSession();
  try {
    const w = await spawnRunning(f, 'Review gate round 1: the first request');
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'round 1 judged' }, 'mcp');
    f.tmux.setScreen(w.pane_id!, 'scripted worker idle\n');
    await sendToWorker(f.rt, w.id, 'Review gate round 2: the new diff');
    await sendToWorker(f.rt, w.id, 'and one more thing');
    f.tmux.setScreen(f.leadPane, 'scripted lead ready\n');
    await withMonitor(f, async (monitor) => {
      await resumeSession(f.rt, monitor, { freshTmux: false }, []);
    });
    const prompt = readFileSync(worker(f, w.id).prompt_file, 'utf8');
    assert.match(
      prompt,
      /Review gate round 1: the first request[\s\S]*## Previous attempt\n[\s\S]*## The messages of your last turn\n[\s\S]*Review gate round 2: the new diff\n\nand one more thing\n$/,
    );
    // Told once: a later relaunch does not append them again.
    assert.equal(existsSync(turnMessageFile(w)), false);
  } finally {
    f.cleanup();
  }
});
