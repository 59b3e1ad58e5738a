/**
 * /metrics as data: sessions by status, workers by state, spawns, merges, verifies, and MCP tool
 * calls with a latency histogram (from tool_stats, written by the supervisor's ToolCallStats).
 */
import { TOOL_LATENCY_BUCKETS_MS } from '../../core/observe/tool-stats.js';
import type { StatsStore } from '../ports/stats.js';
import { SESSION_STATUSES } from '../../core/session/rows.js';
import { WORKER_STATES } from '../../core/workers/state.js';
import type { MetricFamily } from '../../core/observe/prometheus.js';
import type { EventType } from '../../core/session/event-types.js';
import type { UsageStore } from '../ports/usage.js';

const byLabel = (label: string, keys: readonly string[], counts: Record<string, number>) =>
  [...new Set([...keys, ...Object.keys(counts)])].map((k) => ({ labels: { [label]: k }, value: counts[k] ?? 0 }));

/**
 * Tokens per session, worker, agent, model and kind (input, output, cache_read, cache_write, reasoning), and
 * dollars per bucket (API billed, subscription would-cost; unpriced models add nothing).
 */
function usageFamilies(usage: UsageStore): MetricFamily[] {
  const groups = usage.groupedBySession();
  const kinds = {
    input: 'input',
    output: 'output',
    cache_read: 'cacheRead',
    cache_write: 'cacheWrite',
    reasoning: 'reasoning',
  } as const;
  const tokens = new Map<string, { labels: Record<string, string>; value: number }>();
  const cost = { api: 0, subscription: 0 };
  for (const g of groups) {
    for (const [kind, field] of Object.entries(kinds)) {
      const labels = { session: g.session, worker: g.worker, agent: g.agent, model: g.model, kind };
      const key = JSON.stringify(labels);
      const sample = tokens.get(key) ?? { labels, value: 0 };
      sample.value += g[field];
      tokens.set(key, sample);
    }
    cost[g.bucket] += g.costUsd;
  }
  return [
    {
      name: 'crewmux_tokens_total',
      help: 'Tokens the agents reported (their own usage files), by session, worker, agent, model and kind.',
      type: 'counter',
      samples: [...tokens.values()],
    },
    {
      name: 'crewmux_cost_usd_total',
      help: 'Estimated dollars by bucket: api (billed per token) and subscription (would cost); unpriced models add 0 here.',
      type: 'counter',
      samples: (['api', 'subscription'] as const).map((b) => ({ labels: { bucket: b }, value: cost[b] })),
    },
  ];
}

/** The metric families over every session in the state database (usage ones when `usage` is given). */
export function collectMetrics(stats: StatsStore, usage?: UsageStore): MetricFamily[] {
  const events = stats.eventCounts([
    'worker.spawned',
    'worker.spawn_failed',
    'worker.merged',
    'worker.merge_conflict',
  ] satisfies EventType[]);
  const tools = stats.toolStats();
  const histogram: MetricFamily['samples'] = [];
  for (const t of tools) {
    let cumulative = 0;
    TOOL_LATENCY_BUCKETS_MS.forEach((b, i) => {
      cumulative += t.buckets[i] ?? 0;
      histogram.push({ suffix: '_bucket', labels: { tool: t.tool, le: String(b / 1000) }, value: cumulative });
    });
    histogram.push({ suffix: '_bucket', labels: { tool: t.tool, le: '+Inf' }, value: t.calls });
    histogram.push({ suffix: '_sum', labels: { tool: t.tool }, value: t.total_ms / 1000 });
    histogram.push({ suffix: '_count', labels: { tool: t.tool }, value: t.calls });
  }
  return [
    {
      name: 'crewmux_sessions',
      help: 'Sessions in the state database by status.',
      type: 'gauge',
      samples: byLabel('status', SESSION_STATUSES, stats.sessionsByStatus()),
    },
    {
      name: 'crewmux_workers',
      help: 'Workers by state, over every session.',
      type: 'gauge',
      samples: byLabel('state', WORKER_STATES, stats.workersByState()),
    },
    {
      name: 'crewmux_worker_spawns_total',
      help: 'Worker spawns by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'ok' }, value: events['worker.spawned'] ?? 0 },
        { labels: { result: 'failed' }, value: events['worker.spawn_failed'] ?? 0 },
      ],
    },
    {
      name: 'crewmux_merges_total',
      help: 'Worker merges into integration branches by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'merged' }, value: events['worker.merged'] ?? 0 },
        { labels: { result: 'conflict' }, value: events['worker.merge_conflict'] ?? 0 },
      ],
    },
    {
      name: 'crewmux_verifies_total',
      help: 'Verify runs by status.',
      type: 'counter',
      samples: byLabel('status', ['running', 'passed', 'failed'], stats.verifiesByStatus()),
    },
    {
      name: 'crewmux_mcp_calls_total',
      help: 'MCP tool calls by tool and outcome.',
      type: 'counter',
      samples: tools.flatMap((t) => [
        { labels: { tool: t.tool, outcome: 'ok' }, value: t.calls - t.errors },
        { labels: { tool: t.tool, outcome: 'error' }, value: t.errors },
      ]),
    },
    {
      name: 'crewmux_mcp_call_duration_seconds',
      help: 'MCP tool call latency.',
      type: 'histogram',
      samples: histogram,
    },
    ...(usage ? usageFamilies(usage) : []),
  ];
}
