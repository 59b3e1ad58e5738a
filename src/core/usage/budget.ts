/**
 * Budgets (README#budgets): a goal's and each worker's dollars and tokens, and the subscription quota, read
 * against the usage summary. Pure: which budgets a session has, how much of each is used, and the level
 * (`ok`, `warning` from 80 %, `exceeded` from 100 %). An unpriced model's cost is unknown, never 0: a worker
 * with unpriced calls has no USD reading (its tokens are still read), and the goal's USD reading counts the
 * priced calls only, which is a lower bound (so "exceeded" is always true when said).
 */
import type { BudgetLimits } from './budget-schema.js';
export type { BudgetLimits } from './budget-schema.js';
import { formatTokens, type UsageSummary } from './summary.js';

/** The fraction of a budget at which the warning fires (once per budget). */
export const BUDGET_WARN_AT = 0.8;

export type BudgetKind = 'usd' | 'tokens' | 'quota';
export type BudgetLevel = 'ok' | 'warning' | 'exceeded';

/** One budget as used now. `key` names it once per session: `goal:usd`, `worker:w01:tokens`, `goal:quota`. */
export interface BudgetReading {
  key: string;
  scope: 'goal' | 'worker';
  /** With scope `worker`: the worker id. */
  worker?: string;
  kind: BudgetKind;
  used: number;
  limit: number;
  /** used / limit. */
  fraction: number;
  level: BudgetLevel;
  /** With kind `usd`: some calls had no price, so `used` counts only the priced ones. */
  lowerBound?: boolean;
}

export interface BudgetStatus {
  readings: BudgetReading[];
  /** Why a USD budget cannot be enforced for a worker (its model has no price); its tokens still are. */
  unenforceable: string[];
}

/** Merges the flags over the config: `usd` sets goalUsd, `tokens` goalTokens; undefined when no budget is set. */
export function budgetLimits(
  config: BudgetLimits | undefined,
  flags: { usd?: number | null; tokens?: number | null } = {},
): BudgetLimits | undefined {
  const out: BudgetLimits = { ...(config ?? {}) };
  if (flags.usd) out.goalUsd = flags.usd;
  if (flags.tokens) out.goalTokens = flags.tokens;
  return Object.keys(out).length ? out : undefined;
}

function levelOf(fraction: number): BudgetLevel {
  if (fraction >= 1) return 'exceeded';
  return fraction >= BUDGET_WARN_AT ? 'warning' : 'ok';
}

function reading(r: Omit<BudgetReading, 'fraction' | 'level'>): BudgetReading {
  const fraction = r.used / r.limit;
  return { ...r, fraction, level: levelOf(fraction) };
}

/**
 * Every budget of `limits` read against `usage` (the lead counts toward the goal, not as a worker) and
 * `quotaUsedPercent` (the highest rate-limit reading, when an agent reports one).
 */
export function readBudgets(
  limits: BudgetLimits | undefined,
  usage: UsageSummary,
  quotaUsedPercent?: number,
): BudgetStatus {
  const out: BudgetStatus = { readings: [], unenforceable: [] };
  if (!limits) return out;
  const t = usage.totals;
  if (limits.goalUsd)
    out.readings.push(
      reading({
        key: 'goal:usd',
        scope: 'goal',
        kind: 'usd',
        used: t.costUsd,
        limit: limits.goalUsd,
        ...(t.costComplete ? {} : { lowerBound: true }),
      }),
    );
  if (limits.goalTokens)
    out.readings.push(
      reading({ key: 'goal:tokens', scope: 'goal', kind: 'tokens', used: t.total, limit: limits.goalTokens }),
    );
  if (limits.quotaPercent && quotaUsedPercent !== undefined)
    out.readings.push(
      reading({ key: 'goal:quota', scope: 'goal', kind: 'quota', used: quotaUsedPercent, limit: limits.quotaPercent }),
    );
  for (const [id, g] of Object.entries(usage.workers)) {
    if (id === 'lead') continue;
    if (limits.workerUsd) {
      if (g.costComplete)
        out.readings.push(
          reading({
            key: `worker:${id}:usd`,
            scope: 'worker',
            worker: id,
            kind: 'usd',
            used: g.costUsd,
            limit: limits.workerUsd,
          }),
        );
      else
        out.unenforceable.push(
          `the USD budget cannot be enforced for ${id} (${g.agent}): its model has no price${limits.workerTokens ? '; its token budget is' : '; set budget.workerTokens to bound it'}`,
        );
    }
    if (limits.workerTokens)
      out.readings.push(
        reading({
          key: `worker:${id}:tokens`,
          scope: 'worker',
          worker: id,
          kind: 'tokens',
          used: g.total,
          limit: limits.workerTokens,
        }),
      );
  }
  return out;
}

/** The readings at `level` or above (`warning` includes `exceeded`). */
export function atLeast(readings: readonly BudgetReading[], level: 'warning' | 'exceeded'): BudgetReading[] {
  return readings.filter((r) => r.level === 'exceeded' || (level === 'warning' && r.level === 'warning'));
}

function amount(kind: BudgetKind, n: number): string {
  if (kind === 'usd') return `$${n.toFixed(n < 1 ? 4 : 2)}`;
  if (kind === 'quota') return `${Math.round(n)}%`;
  return `${formatTokens(n)} tokens`;
}

/** `goal $0.4200 of $1.00 (42%)`, `w01 3.2k tokens of 4.0k tokens (80%)`, `goal quota 85% of 90% (94%)`. */
export function describeReading(r: BudgetReading): string {
  const who = r.scope === 'goal' ? 'goal' : r.worker!;
  const used = `${r.lowerBound ? '>= ' : ''}${amount(r.kind, r.used)}`;
  return `${who}${r.kind === 'quota' ? ' quota' : ''} ${used} of ${amount(r.kind, r.limit)} (${Math.round(r.fraction * 100)}%)`;
}

/**
 * The `budget:` line of status, usage and the report: every goal budget, then the workers at 80 % or more, then
 * what cannot be enforced; undefined when the session has no budget.
 */
export function budgetLine(limits: BudgetLimits | undefined, status: BudgetStatus): string | undefined {
  if (!limits) return undefined;
  const goal = status.readings.filter((r) => r.scope === 'goal').map(describeReading);
  const workers = atLeast(
    status.readings.filter((r) => r.scope === 'worker'),
    'warning',
  ).map(describeReading);
  const per = [
    limits.workerUsd ? `${amount('usd', limits.workerUsd)} per worker` : '',
    limits.workerTokens ? `${amount('tokens', limits.workerTokens)} per worker` : '',
  ].filter(Boolean);
  const parts = [...goal, ...workers];
  if (!parts.length && per.length) parts.push(per.join(', '));
  else if (per.length) parts.push(`limits ${per.join(', ')}`);
  const line = `budget: ${parts.join('; ') || 'nothing used yet'}`;
  return status.unenforceable.length ? `${line} (${status.unenforceable.join('; ')})` : line;
}
