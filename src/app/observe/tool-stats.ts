/**
 * A ToolCallStats that counts MCP tool calls and their latency in memory and
 * flushes the sums to the `tool_stats` table every `flushMs`, so /metrics in another process sees
 * them without one event row per call. Wire it in the supervisor: pass it as `stats` to
 * buildMcpServer and call `close()` when the session ends.
 */
import { TOOL_LATENCY_BUCKETS_MS, type ToolStatDelta } from '../../core/observe/tool-stats.js';
import type { StatsStore } from '../ports/stats.js';

/** What the MCP layer reports each tool call to. */
export interface ToolCallStats {
  record(tool: string, ms: number, isError: boolean): void;
}

export interface RecordingToolStats extends ToolCallStats {
  /** Writes what was recorded since the last flush (a no-op when nothing was). */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
}

/** Buffers calls for session `sessionId`; `flushMs` defaults to 1000. A failed flush is retried next time. */
export function createToolStats(
  stats: StatsStore,
  sessionId: string,
  opts: { flushMs?: number; onError?: (e: Error) => void } = {},
): RecordingToolStats {
  let pending = new Map<string, ToolStatDelta>();
  const flush = () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      stats.addToolStats(sessionId, batch);
    } catch (e) {
      // Put the batch back so the counts are not lost; the next flush retries.
      for (const [tool, d] of batch) merge(tool, d);
      opts.onError?.(e as Error);
    }
  };
  const merge = (tool: string, d: ToolStatDelta) => {
    const cur = pending.get(tool);
    if (!cur) pending.set(tool, { ...d, buckets: [...d.buckets] });
    else {
      cur.calls += d.calls;
      cur.errors += d.errors;
      cur.totalMs += d.totalMs;
      cur.buckets = cur.buckets.map((n, i) => n + (d.buckets[i] ?? 0));
    }
  };
  const timer = setInterval(flush, opts.flushMs ?? 1000);
  timer.unref();
  return {
    record(tool, ms, isError) {
      const buckets = new Array<number>(TOOL_LATENCY_BUCKETS_MS.length + 1).fill(0);
      const i = TOOL_LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
      buckets[i === -1 ? TOOL_LATENCY_BUCKETS_MS.length : i] = 1;
      merge(tool, { calls: 1, errors: isError ? 1 : 0, totalMs: ms, buckets });
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
