/**
 * A session's usage rows summed per worker, per agent, per model and per bucket, and the text lines that
 * show them (`crewmux usage`, the status line, the report). A cost sums only priced rows; a group with any
 * unpriced row says so (`costComplete: false`), so an unknown model is never shown as free.
 */
import { totalTokens, ZERO_TOKENS, type Tokens, type UsageBucket, type UsageSource } from './usage.js';

/** One row of the `usage` table. `worker` is the worker id, or `lead`. */
export interface UsageRow extends Tokens {
  session: string;
  worker: string;
  agent: string;
  model: string;
  /** Dollars; null = unknown (no price for the model). */
  costUsd: number | null;
  bucket: UsageBucket;
  source: UsageSource;
  approximate: boolean;
  ts: number;
}

/** Rows of one worker, agent, model, bucket and source summed by the store: `calls` rows, `priced` of them priced. */
export interface UsageRowGroup extends Omit<UsageRow, 'ts' | 'costUsd' | 'session'> {
  costUsd: number;
  calls: number;
  priced: number;
}

export interface UsageGroup extends Tokens {
  total: number;
  /** Dollars of the priced rows. */
  costUsd: number;
  /** False when some row had no price: the cost is then a lower bound, shown as unknown. */
  costComplete: boolean;
  approximate: boolean;
  calls: number;
}

export interface UsageSummary {
  workers: Record<string, UsageGroup & { agent: string }>;
  agents: Record<string, UsageGroup>;
  models: Record<string, UsageGroup>;
  buckets: Record<UsageBucket, UsageGroup>;
  totals: UsageGroup;
}

export function emptyGroup(): UsageGroup {
  return { ...ZERO_TOKENS, total: 0, costUsd: 0, costComplete: true, approximate: false, calls: 0 };
}

/** Adds `r` into `g` in place (list_workers sums on every call, so no copies). */
function add<G extends UsageGroup>(g: G, r: UsageRowGroup): G {
  g.input += r.input;
  g.output += r.output;
  g.cacheRead += r.cacheRead;
  g.cacheWrite += r.cacheWrite;
  g.reasoning += r.reasoning;
  g.total = totalTokens(g);
  g.costUsd += r.costUsd;
  g.costComplete &&= r.priced === r.calls;
  g.approximate ||= r.approximate;
  g.calls += r.calls;
  return g;
}

/** A single row as a group of one. */
export function rowGroup(r: UsageRow): UsageRowGroup {
  const { ts: _ts, session: _s, costUsd, ...rest } = r;
  return { ...rest, costUsd: costUsd ?? 0, calls: 1, priced: costUsd === null ? 0 : 1 };
}

/** The row groups (UsageStore.grouped, or rowGroup of each row) summed per worker, agent, model, bucket and in total. */
export function summarizeUsage(rows: readonly UsageRowGroup[]): UsageSummary {
  const s: UsageSummary = {
    workers: {},
    agents: {},
    models: {},
    buckets: { api: emptyGroup(), subscription: emptyGroup() },
    totals: emptyGroup(),
  };
  for (const r of rows) {
    add((s.workers[r.worker] ??= { ...emptyGroup(), agent: r.agent }), r);
    add((s.agents[r.agent] ??= emptyGroup()), r);
    add((s.models[r.model] ??= emptyGroup()), r);
    add(s.buckets[r.bucket], r);
    add(s.totals, r);
  }
  return s;
}

/** `$0.1234`, or `unknown` when some call had no price (`>= $x` when part of it is known). */
export function formatCost(g: Pick<UsageGroup, 'costUsd' | 'costComplete'>): string {
  const usd = `$${g.costUsd.toFixed(g.costUsd < 1 ? 4 : 2)}`;
  if (g.costComplete) return usd;
  return g.costUsd > 0 ? `>= ${usd} (some models unpriced)` : 'unknown';
}

/** `12.3k` style token counts. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** One line for `status` and the report: tokens, the API cost and the subscription "would cost". */
export function usageLine(s: UsageSummary): string {
  if (s.totals.calls === 0) return 'usage: none recorded yet';
  const t = s.totals;
  const parts = [
    `usage: ${formatTokens(t.total)} tokens (in ${formatTokens(t.input)}, out ${formatTokens(t.output)}, cache ${formatTokens(t.cacheRead + t.cacheWrite)})`,
  ];
  if (s.buckets.api.calls) parts.push(`API ${formatCost(s.buckets.api)}`);
  if (s.buckets.subscription.calls) parts.push(`subscription would cost ${formatCost(s.buckets.subscription)}`);
  return parts.join(', ') + (t.approximate ? ' (approximate)' : '');
}

/** `quota: w01 (codex) primary 12% of 300 min, secondary 3%`: each agent's latest rate-limit readings. */
export function quotaLine(
  limits: readonly { worker: string; agent: string; window: string; usedPercent: number; windowMinutes?: number }[],
): string | undefined {
  if (!limits.length) return undefined;
  const by = new Map<string, string[]>();
  for (const l of limits) {
    const k = `${l.worker} (${l.agent})`;
    const w = `${l.window} ${Math.round(l.usedPercent)}%${l.windowMinutes ? ` of ${l.windowMinutes} min` : ''}`;
    by.set(k, [...(by.get(k) ?? []), w]);
  }
  return `quota: ${[...by].map(([k, ws]) => `${k} ${ws.join(', ')}`).join('; ')}`;
}
