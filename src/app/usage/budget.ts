/**
 * Budgets that fire (README#budgets): checked after every usage pass that added rows, at spawn_worker and at
 * each delivery (send_to_worker, restart_worker). At 80 % of a budget, one `budget.warning` event per budget; at
 * 100 %, `budget.exceeded`, and the worker over its own budget, or with a goal budget every running worker, is
 * stopped at its turn's end (`rt.budgetStops`, app/usage/budget-stops.ts); a goal budget then ends the session
 * `budget` (resumable with a higher one). The arithmetic is core/usage/budget.ts.
 */
import type { Store } from '../ports/store.js';
import type { SessionRow } from '../../core/session/rows.js';
import {
  atLeast,
  budgetLimits,
  budgetLine,
  describeReading,
  type BudgetLimits,
  type BudgetReading,
  type BudgetStatus,
} from '../../core/usage/budget.js';
import { ToolError, UserError } from '../../core/errors.js';
import { budgetStatusOf } from './views.js';
import type { Runtime } from '../runtime.js';

/** What the supervisor remembers of its budgets: what fired (once each), and the goal's end once decided. */
export interface BudgetTracker {
  fired: Set<string>;
  /** Set when a goal budget is exceeded: why; the session is ending `budget`. */
  goalOver?: string;
  /** Workers being stopped for a budget. */
  stopping: Map<string, Promise<void>>;
  /** With `goalOver`: the workers' stop and the session's end. */
  ending?: Promise<void>;
}

/**
 * What a budget excess does to the run (app/usage/budget-stops.ts, set on the Runtime by its composition root, so
 * that this check, which every delivery calls, does not import the delivery it stops).
 */
export interface BudgetStops {
  /** Stops worker `id` at the end of its turn; `own`: over its own budget (it ends `budget_exceeded`). */
  stopWorker(rt: Runtime, id: string, why: string, own: boolean): Promise<void>;
  /** A goal budget was reached: every running worker is stopped at its turn's end, then the session ends `budget`. */
  endRun(rt: Runtime, why: string): Promise<void>;
}

/** The budget tracker of `rt`, created on first use. */
export const trackerOf = (rt: Runtime): BudgetTracker => (rt.budget ??= { fired: new Set(), stopping: new Map() });

function statusNow(rt: Runtime, limits: BudgetLimits): BudgetStatus {
  return budgetStatusOf(rt.store, { ...rt.store.getSession(rt.sid)!, options: { ...rt.options, budget: limits } });
}

/**
 * Reads the budgets of `rt`'s session now: emits each warning and excess once, and starts stopping what is over
 * (in the background; the promise of that is in the tracker). Nothing once the session is ending.
 */
export function checkBudgets(rt: Runtime): BudgetStatus {
  const limits = rt.options.budget;
  if (!limits || rt.ending) return { readings: [], unenforceable: [] };
  const status = statusNow(rt, limits);
  const t = trackerOf(rt);
  for (const note of status.unenforceable) {
    const key = `unenforceable:${note}`;
    if (t.fired.has(key)) continue;
    t.fired.add(key);
    rt.events.emit('budget.warning', `budget: ${note}`, null, { unenforceable: note });
  }
  for (const r of status.readings) {
    if (r.level === 'ok' || t.fired.has(`${r.key}:${r.level}`)) continue;
    t.fired.add(`${r.key}:warning`);
    const data = { key: r.key, scope: r.scope, kind: r.kind, used: r.used, limit: r.limit, worker: r.worker ?? null };
    if (r.level === 'warning') {
      rt.events.emit(
        'budget.warning',
        `budget at ${Math.round(r.fraction * 100)}%: ${describeReading(r)}`,
        r.worker ?? null,
        data,
      );
      continue;
    }
    t.fired.add(`${r.key}:exceeded`);
    if (r.scope === 'worker') {
      rt.events.emit(
        'budget.exceeded',
        `budget exceeded: ${describeReading(r)}; ${r.worker} is told to finish its turn and is then stopped`,
        r.worker,
        data,
      );
      void rt.budgetStops.stopWorker(rt, r.worker!, `over its budget: ${describeReading(r)}`, true);
    } else if (!t.goalOver) {
      t.goalOver = describeReading(r);
      rt.events.emit(
        'budget.exceeded',
        `budget exceeded: ${t.goalOver}; running workers are told to finish their turn, then the run ends (budget)`,
        null,
        data,
      );
      t.ending = rt.budgetStops.endRun(rt, t.goalOver);
    }
  }
  return status;
}

/**
 * The check of spawn_worker (no `workerId`) and of each delivery to `workerId`: a ToolError (E_BUDGET_EXCEEDED)
 * when a goal budget, or that worker's own, is used up; what fires on the way fires (checkBudgets).
 */
export function assertWithinBudget(rt: Runtime, workerId?: string): void {
  const status = checkBudgets(rt);
  const goalOver = rt.budget?.goalOver;
  if (goalOver)
    throw new ToolError(
      `Error: [E_BUDGET_EXCEEDED] the run's budget is used up (${goalOver}): nothing new is started or sent, running workers finish their turn, and the run ends as "budget". Stop here; the user can resume it with a higher budget.`,
    );
  const over = atLeast(status.readings, 'exceeded').filter((r) => r.scope === 'goal' || r.worker === workerId);
  if (!over.length) return;
  const what = over.map(describeReading).join('; ');
  throw new ToolError(
    over.some((r) => r.scope === 'goal')
      ? `Error: [E_BUDGET_EXCEEDED] the run's budget is used up (${what}). Stop here; the user can resume it with a higher budget.`
      : `Error: [E_BUDGET_EXCEEDED] worker ${workerId} is over its budget (${what}); it takes no more work. Merge or discard its branch, or spawn a new worker for what is left.`,
  );
}

/** True once a goal budget was reached in this supervisor: the session is ending `budget`. */
export function goalBudgetOver(rt: Runtime): string | undefined {
  return rt.budget?.goalOver;
}

/**
 * The lead's budget line for tool answers (wait_for_worker, list_workers): each budget at 80 % or more and what
 * cannot be enforced; undefined when all is well below.
 */
export function budgetNotice(rt: Runtime): string | undefined {
  const limits = rt.options.budget;
  if (!limits) return undefined;
  const status = statusNow(rt, limits);
  const hot: BudgetReading[] = atLeast(status.readings, 'warning');
  if (!hot.length && !status.unenforceable.length) return undefined;
  const over = hot.some((r) => r.level === 'exceeded' && r.scope === 'goal');
  const tail = over
    ? ' The run is ending as "budget": start nothing new.'
    : hot.length
      ? ' At 100 % a goal budget ends the run and a worker budget stops that worker: prefer finishing what runs.'
      : '';
  return `Budget: ${budgetLine(limits, status)!.slice('budget: '.length)}.${tail}`;
}

/**
 * `crewmux resume --budget-usd/--budget-tokens`: stores the raised goal budgets on session `s` and returns the row;
 * UserError E_BUDGET_EXCEEDED when a goal budget is still used up (the resumed run would end again at once).
 */
export function resumeBudget(store: Store, s: SessionRow, flags: { usd?: number; tokens?: number }): SessionRow {
  const limits = budgetLimits(s.options.budget, flags);
  let row = s;
  if (limits && (flags.usd || flags.tokens)) {
    store.updateSession(s.id, { options: { ...s.options, budget: limits } });
    row = store.getSession(s.id)!;
  }
  const over = atLeast(budgetStatusOf(store, row).readings, 'exceeded').filter((r) => r.scope === 'goal');
  if (over.length)
    throw new UserError(
      'E_BUDGET_EXCEEDED',
      `Session ${s.id} is at its budget: ${over.map(describeReading).join('; ')}; resumed as it is, it would end again at once.`,
      `Raise it: \`crewmux resume ${s.id} ${over.some((r) => r.kind === 'usd') ? '--budget-usd N' : '--budget-tokens N'}\` with N above what is used${over.some((r) => r.kind === 'quota') ? ' (a quota budget is config budget.quotaPercent)' : ''}.`,
    );
  return row;
}
