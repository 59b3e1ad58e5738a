/** Usage as the surfaces show it: `crewmux usage`, the status line, list_workers, the report. */
import type { Store } from '../ports/store.js';
import type { SessionRow } from '../../core/session/rows.js';
import { findSession } from '../session/lookup.js';
import { budgetLine, readBudgets, type BudgetStatus } from '../../core/usage/budget.js';
import { PRICES_DATE } from '../../core/usage/prices.js';
import {
  formatCost,
  quotaLine,
  summarizeUsage,
  usageLine,
  type UsageGroup,
  type UsageSummary,
} from '../../core/usage/summary.js';

/** The usage of session `sid`, summed per worker, agent, model and bucket (one grouped query). */
export function summaryOf(store: Store, sid: string): UsageSummary {
  return summarizeUsage(store.usage().grouped(sid));
}

/**
 * `crewmux usage [sid]`: session `sid` (else the latest) with its usage per worker, agent, model, bucket and in
 * total, the status line and the price table's date; UserError when no session matches.
 */
export function sessionUsage(store: Store, sid?: string | SessionRow) {
  const s = typeof sid === 'object' ? sid : findSession(store, sid);
  const summary = summaryOf(store, s.id);
  const limits = store.usage().limits(s.id);
  return {
    session: s.id,
    status: s.status,
    pricesDate: PRICES_DATE,
    line: usageLine(summary),
    quota: quotaLine(limits) ?? null,
    budget: budgetView(store, s),
    limits,
    ...summary,
  };
}

export type SessionUsageView = ReturnType<typeof sessionUsage>;

/** A worker's usage as list_workers and status show it: tokens, and cost as a number (null = unknown) and text. */
export interface WorkerUsageView {
  tokens: number;
  input: number;
  output: number;
  costUsd: number | null;
  cost: string;
  bucket: string;
}

function workerView(g: UsageGroup, bucket: string): WorkerUsageView {
  return {
    tokens: g.total,
    input: g.input,
    output: g.output,
    costUsd: g.costComplete ? g.costUsd : null,
    cost: formatCost(g),
    bucket,
  };
}

/** Each worker's (and the lead's, key `lead`) usage in session `sid`, by worker id; absent = none recorded. */
export function workerUsage(store: Store, sid: string): Map<string, WorkerUsageView> {
  const groups = store.usage().grouped(sid);
  const out = new Map<string, WorkerUsageView>();
  for (const [id, g] of Object.entries(summarizeUsage(groups).workers)) {
    const buckets = [...new Set(groups.filter((x) => x.worker === id).map((x) => x.bucket))];
    out.set(id, workerView(g, buckets.join('+')));
  }
  return out;
}

/** Session `s`'s budgets read against its usage and the highest quota reading (absent: no budget). */
export function budgetStatusOf(store: Store, s: SessionRow, limits = s.options.budget): BudgetStatus {
  if (!limits) return { readings: [], unenforceable: [] };
  const quota = store
    .usage()
    .limits(s.id)
    .reduce<number | undefined>((m, l) => Math.max(m ?? 0, l.usedPercent), undefined);
  return readBudgets(limits, summaryOf(store, s.id), quota);
}

/** The budget view of status, usage and the report: limits, readings and the `budget:` line (null: no budget). */
export function budgetView(store: Store, s: SessionRow) {
  const limits = s.options.budget;
  if (!limits) return null;
  const status = budgetStatusOf(store, s, limits);
  return { limits, line: budgetLine(limits, status)!, ...status };
}
