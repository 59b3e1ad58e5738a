/**
 * What a budget excess does (README#budgets): the worker over its own budget, or with a goal budget every running
 * worker, is told to finish its turn and stopped when the turn ends or the grace period passes (its work
 * snapshot-committed); a goal budget then ends the session `budget`. The check that decides it is budget.ts; the
 * Runtime's composition root hands it these (`rt.budgetStops`).
 */
import { isActive, type WorkerState } from '../../core/workers/state.js';
import { waitUntil } from '../../core/clock.js';
import { changeWorkerState } from '../workers/state-change.js';
import { sendToWorker, stopWorker } from '../workers/turns.js';
import { endSession } from '../session/goal.js';
import type { Runtime } from '../runtime.js';
import { trackerOf, type BudgetStops } from './budget.js';

/** How long a worker told to finish its turn has before it is stopped anyway. */
export const BUDGET_GRACE_MS = 60_000;

const FINISH_TURN = (why: string) =>
  `crewmux: the budget is used up (${why}). Finish this turn now: commit what you have and report (worker_done); start no new work.`;

/**
 * Stops worker `id` at the end of its turn: tells it to finish (a crewmux message, not the lead's), waits for the
 * turn to end or BUDGET_GRACE_MS, then stops its agent (work snapshot-committed). With `own` (its own budget), it
 * is `budget_exceeded` even when its turn ended first.
 */
function stopForBudget(rt: Runtime, id: string, why: string, own: boolean): Promise<void> {
  const t = trackerOf(rt);
  const running = t.stopping.get(id);
  if (running) return running;
  const job = (async () => {
    const w = rt.store.getWorker(rt.sid, id);
    if (!w || w.state === 'merged' || w.state === 'discarded') return;
    if (isActive(w.state)) {
      await sendToWorker(rt, id, FINISH_TURN(why), { fromCrewmux: true }).catch(() => undefined);
      await waitUntil(() => !isActive(rt.store.getWorker(rt.sid, id)!.state), {
        timeoutMs: BUDGET_GRACE_MS,
        intervalMs: 100,
        clock: rt.clock,
      });
    }
    await stopWorker(rt, id, 'budget_exceeded', why);
    const now = rt.store.getWorker(rt.sid, id)!;
    if (own && (['done', 'blocked', 'failed'] as WorkerState[]).includes(now.state))
      changeWorkerState(rt, now, 'budget_exceeded', why);
  })()
    .catch((e: unknown) => {
      rt.events.emit('budget.exceeded', `${id} could not be stopped for its budget: ${(e as Error).message}`, id);
    })
    .finally(() => t.stopping.delete(id));
  t.stopping.set(id, job);
  return job;
}

/** A goal budget was reached: every running worker is stopped at its turn's end, then the session ends `budget`. */
async function endForBudget(rt: Runtime, why: string): Promise<void> {
  const active = rt.store.listWorkers(rt.sid).filter((w) => isActive(w.state));
  await Promise.all(active.map((w) => stopForBudget(rt, w.id, `the goal budget is used up: ${why}`, false)));
  await endSession(
    rt,
    'budget',
    `the run reached its budget: ${why}; resume it with a higher one: crewmux resume ${rt.sid} --budget-tokens N (or --budget-usd N)`,
  );
}

/** The stops budget.ts asks for, as the supervisor's Runtime carries them. */
export const budgetStops: BudgetStops = { stopWorker: stopForBudget, endRun: endForBudget };
