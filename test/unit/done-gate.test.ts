/** The done gate on fakes: mark_goal_done is refused, naming what is missing, until every condition holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnFinished, spawnRunning } from '../helpers/worker-steps.js';
import { doneBlockers, markGoalDone } from '../../src/app/session/goal.js';
import { verify } from '../../src/app/integration/verify.js';
import { discardWorker, mergeWorker } from '../../src/app/integration/merge.js';
import { ToolError } from '../../src/core/errors.js';

const NPM_TEST = ['npm', 'test'];

async function runVerify(f: FakeRuntime, exitCode: number): Promise<void> {
  f.runner.script(NPM_TEST, { exitCode, output: exitCode ? '1 failing\n' : 'all pass\n' });
  await verify(f.rt, ['npm test'], 5_000);
}

/** markGoalDone refuses: a ToolError naming `missing`, an event, and the session still running. */
async function assertRefused(f: FakeRuntime, missing: RegExp): Promise<void> {
  await assert.rejects(
    markGoalDone(f.rt, 'all done'),
    (e: Error) =>
      e instanceof ToolError &&
      /^Error: the goal cannot be marked done yet: /.test(e.message) &&
      missing.test(e.message) &&
      /Then call mark_goal_done again\.$/.test(e.message),
  );
  assert.equal(f.store.getSession(f.rt.sid)!.status, 'running');
  assert.match(
    f.store
      .eventsAfter(f.rt.sid)
      .filter((e) => e.type === 'goal.done_refused')
      .at(-1)!.message,
    missing,
  );
}

test('done gate: refused while a worker runs', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const w = await spawnRunning(f);
    await runVerify(f, 0);
    assert.deepEqual(await doneBlockers(f.rt), [
      `workers still running: ${w.id} (running); call wait_for_worker for them or kill_worker`,
    ]);
    await assertRefused(f, /workers still running: w01 \(running\)/);
  } finally {
    f.cleanup();
  }
});

test('done gate: refused while a finished worker is neither merged nor discarded', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const w = await spawnFinished(f);
    await runVerify(f, 0);
    assert.deepEqual(await doneBlockers(f.rt), [
      `finished workers neither merged nor discarded: ${w.id} (done); call merge_worker or discard_worker for each`,
    ]);
    await assertRefused(f, /neither merged nor discarded: w01 \(done\)/);
    discardWorker(f.rt, w.id, 'not needed');
    assert.deepEqual(await doneBlockers(f.rt), []);
  } finally {
    f.cleanup();
  }
});

test('done gate: refused without a verify, and after a failing one', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const head = f.git.resolve(f.rt.integrationBranch)!;
    assert.deepEqual(await doneBlockers(f.rt), [`no verify has run on the integration head ${head}; call verify`]);
    await assertRefused(f, new RegExp(`no verify has run on the integration head ${head}`));
    await runVerify(f, 1);
    assert.deepEqual(await doneBlockers(f.rt), [
      `the last verify on ${head} failed ("npm test" exited 1); fix it with a worker, merge, and verify again`,
    ]);
    await assertRefused(f, /the last verify on c0 failed \("npm test" exited 1\)/);
  } finally {
    f.cleanup();
  }
});

test('done gate: refused when the last passing verify was on an older integration head', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const w = await spawnFinished(f);
    await runVerify(f, 0);
    const verified = f.git.resolve(f.rt.integrationBranch)!;
    const merged = await mergeWorker(f.rt, w.id);
    assert.ok(merged.merged);
    assert.notEqual(merged.commit, verified);
    assert.deepEqual(await doneBlockers(f.rt), [
      `no verify has run on the integration head ${merged.commit}; call verify`,
    ]);
    await assertRefused(f, new RegExp(`no verify has run on the integration head ${merged.commit}`));
  } finally {
    f.cleanup();
  }
});

test('done gate: several things missing are all named at once', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const finished = await spawnFinished(f);
    const running = await spawnRunning(f);
    assert.deepEqual(await doneBlockers(f.rt), [
      `workers still running: ${running.id} (running); call wait_for_worker for them or kill_worker`,
      `finished workers neither merged nor discarded: ${finished.id} (done); call merge_worker or discard_worker for each`,
      'no verify has run on the integration head c0; call verify',
    ]);
  } finally {
    f.cleanup();
  }
});

test('done gate: accepted when every worker is settled and verify passed on the current head', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    const w = await spawnFinished(f);
    assert.ok((await mergeWorker(f.rt, w.id)).merged);
    await runVerify(f, 0);
    assert.deepEqual(await doneBlockers(f.rt), []);
    await markGoalDone(f.rt, 'feature shipped');
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'done');
    assert.equal(s.outcome_reason, 'feature shipped');
    assert.equal(f.eventTypes().at(-1), 'session.done');
    // The merged worker's idle agent is stopped; a done lead is left to print its last answer.
    assert.deepEqual(
      f.runner.kills.map((k) => k.pid),
      [f.tmux.pane(w.pane_id!)!.pid],
    );
    assert.equal(f.tmux.pane(f.leadPane)!.dead, false);
    const report = JSON.parse(s.report!) as {
      workers: { id: string; merged: boolean }[];
      verifies: { passed: boolean }[];
    };
    assert.deepEqual(
      report.workers.map((x) => [x.id, x.merged]),
      [[w.id, true]],
    );
    assert.deepEqual(
      report.verifies.map((v) => v.passed),
      [true],
    );
  } finally {
    f.cleanup();
  }
});
