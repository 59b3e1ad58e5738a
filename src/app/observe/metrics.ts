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

const byLabel = (label: string, keys: readonly string[], counts: Record<string, number>) =>
  [...new Set([...keys, ...Object.keys(counts)])].map((k) => ({ labels: { [label]: k }, value: counts[k] ?? 0 }));

/** The metric families over every session in the state database. */
export function collectMetrics(stats: StatsStore): MetricFamily[] {
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
  ];
}
