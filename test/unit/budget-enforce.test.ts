/**
 * Budgets that fire, on fakes (app/usage/budget.ts): the 80 % warning once per budget, a worker over its own budget
 * told to finish its turn and stopped `budget_exceeded` with its work snapshot-committed, a goal budget refusing
 * spawn_worker and send_to_worker and ending the session `budget` (exit 2), resume only with a higher budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnRunning } from '../helpers/worker-steps.js';
import { assertWithinBudget, budgetNotice, checkBudgets, resumeBudget } from '../../src/app/usage/budget.js';
import { sendToWorker } from '../../src/app/workers/turns.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { markGoalDone } from '../../src/app/session/goal.js';
import { sessionStatus } from '../../src/app/session/status.js';
import { exitCodeOf } from '../../src/app/session/follow-run.js';
import { ToolError, UserError } from '../../src/core/errors.js';
import type { BudgetLimits } from '../../src/core/usage/budget.js';

let n = 0;
/** One model call of `tokens` input tokens by `worker`, as the collector adds it. */
function use(f: FakeRuntime, worker: string, tokens: number, costUsd: number | null = 0): void {
  f.store.usage().add([
    {
      key: `call-${++n}`,
      session: f.rt.sid,
      worker,
      agent: 'scripted-worker',
      model: costUsd === null ? 'mystery' : 'claude-sonnet-4-5',
      input: tokens,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
      costUsd,
      bucket: 'api',
      source: 'session-files',
      approximate: false,
      ts: f.clock.now(),
    },
  ]);
}

const withBudget = (budget: BudgetLimits) => createFakeRuntime({ options: { budget } });
const events = (f: FakeRuntime, type: string) => f.store.eventsAfter(f.rt.sid).filter((e) => e.type === type);

test('80 %: one budget.warning per budget, however often it is checked; the lead is told in tool answers', async () => {
  const f = await withBudget({ goalTokens: 1000 });
  try {
    use(f, 'lead', 500);
    checkBudgets(f.rt);
    assert.equal(events(f, 'budget.warning').length, 0);
    assert.equal(budgetNotice(f.rt), undefined);
    use(f, 'lead', 350);
    checkBudgets(f.rt);
    checkBudgets(f.rt);
    const warned = events(f, 'budget.warning');
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.message, 'budget at 85%: goal 850 tokens of 1.0k tokens (85%)');
    assert.match(budgetNotice(f.rt)!, /^Budget: goal 850 tokens of 1\.0k tokens \(85%\)\. At 100 %/);
    assert.equal(sessionStatus(f.store, f.rt.sid).budget!.line, 'budget: goal 850 tokens of 1.0k tokens (85%)');
  } finally {
    f.cleanup();
  }
});

test('a worker over its own budget is told to finish its turn, stopped, snapshot-committed and budget_exceeded', async () => {
  const f = await withBudget({ workerTokens: 1000 });
  try {
    const w = await spawnRunning(f);
    const other = await spawnRunning(f, 'another feature');
    f.tmux.setScreen(w.pane_id!, 'scripted worker idle\n');
    f.git.setDirty(w.worktree, ['half-done.ts']);
    use(f, w.id, 1200);
    checkBudgets(f.rt);
    await f.rt.budget!.stopping.get(w.id);
    const after = f.store.getWorker(f.rt.sid, w.id)!;
    assert.equal(after.state, 'budget_exceeded');
    assert.match(f.tmux.pane(w.pane_id!)!.screen, /crewmux: the budget is used up \(over its budget: w01 1\.2k tokens/);
    assert.equal(events(f, 'worker.snapshot').filter((e) => e.worker_id === w.id).length, 1, 'its work was committed');
    assert.equal(events(f, 'budget.exceeded').length, 1);
    // The lead cannot give it more work; the other worker and new spawns are not affected.
    await assert.rejects(
      sendToWorker(f.rt, w.id, 'one more thing'),
      (e: Error) => e instanceof ToolError && /E_BUDGET_EXCEEDED\] worker w01 is over its budget/.test(e.message),
    );
    assert.doesNotThrow(() => assertWithinBudget(f.rt, other.id));
    assert.equal(f.store.getWorker(f.rt.sid, other.id)!.state, 'running');
    assert.equal(f.rt.ending, undefined, 'a worker budget does not end the run');
  } finally {
    f.cleanup();
  }
});

test('an unpriced worker is not free against a USD budget: the status says so and its tokens are enforced', async () => {
  const f = await withBudget({ workerUsd: 0.01, workerTokens: 1000 });
  try {
    const w = await spawnRunning(f);
    use(f, w.id, 500, null);
    const st = checkBudgets(f.rt);
    assert.deepEqual(
      st.readings.map((r) => r.key),
      [`worker:${w.id}:tokens`],
    );
    assert.match(sessionStatus(f.store, f.rt.sid).budget!.line, /the USD budget cannot be enforced for w01/);
    assert.equal(events(f, 'budget.warning').length, 1);
  } finally {
    f.cleanup();
  }
});

test('a goal budget: spawn and send refused, running workers stopped at their turn end, the session ends budget (exit 2)', async () => {
  const f = await withBudget({ goalTokens: 4000 });
  try {
    const w = await spawnRunning(f);
    f.tmux.setScreen(w.pane_id!, 'scripted worker idle\n');
    use(f, w.id, 4200);
    await assert.rejects(
      spawnWorker(f.rt, { task: 'more' }),
      (e: Error) =>
        e instanceof ToolError &&
        /E_BUDGET_EXCEEDED\] the run's budget is used up \(goal 4\.2k tokens of 4\.0k tokens/.test(e.message),
    );
    await assert.rejects(sendToWorker(f.rt, w.id, 'go on'), /E_BUDGET_EXCEEDED/);
    await assert.rejects(markGoalDone(f.rt, 'all done'), /the run is ending as "budget"/);
    await f.rt.budget!.ending;
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'budget');
    assert.match(
      s.outcome_reason!,
      /^the run reached its budget: goal 4\.2k tokens of 4\.0k tokens \(105%\); resume it with a higher one: crewmux resume s1fake00 --budget-tokens N/,
    );
    assert.equal(exitCodeOf(s.status), 2);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'budget_exceeded');
    assert.equal(events(f, 'session.budget').length, 1);
    assert.match(JSON.parse(s.report!).budget, /^budget: goal 4\.2k tokens of 4\.0k tokens \(105%\)/);

    // Resume: refused at the same budget, accepted with a higher one (stored on the session).
    assert.throws(
      () => resumeBudget(f.store, s, {}),
      (e: Error) => e instanceof UserError && e.code === 'E_BUDGET_EXCEEDED' && /--budget-tokens N/.test(e.hint),
    );
    const raised = resumeBudget(f.store, s, { tokens: 10_000 });
    assert.deepEqual(raised.options.budget, { goalTokens: 10_000 });
    assert.deepEqual(f.store.getSession(f.rt.sid)!.options.budget, { goalTokens: 10_000 });
  } finally {
    f.cleanup();
  }
});
