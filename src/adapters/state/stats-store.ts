/**
 * Aggregate queries over the state database for the dashboard's /metrics, and the `tool_stats` table:
 * MCP tool calls counted per session and tool, with a latency histogram. Kept beside store.ts (same
 * file, same WAL handle) so the supervisor's hot path never writes one event row per tool call.
 */
import type Database from 'better-sqlite3';
import type { ToolStat, ToolStatDelta } from '../../core/observe/tool-stats.js';
import type { StatsStore } from '../../app/ports/stats.js';
import { readRow } from './row-checks.js';

const TOOL_STATS_SCHEMA = `
CREATE TABLE IF NOT EXISTS tool_stats (
  session_id TEXT NOT NULL, tool TEXT NOT NULL, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
  total_ms REAL NOT NULL, buckets TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, tool)
);`;

/** Wraps an open state database (`store.db`); creates tool_stats if missing. Owns nothing to close. */
export function createStatsStore(db: Database.Database, now: () => number = Date.now): StatsStore {
  db.exec(TOOL_STATS_SCHEMA);
  const counts = (sql: string) =>
    Object.fromEntries(
      db
        .prepare(sql)
        .all()
        .map((r) => readRow('count', r))
        .map((r) => [r.k, r.n]),
    );
  const getRow = db.prepare('SELECT buckets FROM tool_stats WHERE session_id = ? AND tool = ?');
  const upsert = db.prepare(`INSERT INTO tool_stats (session_id, tool, calls, errors, total_ms, buckets, updated_at)
    VALUES (@sid, @tool, @calls, @errors, @total, @buckets, @t)
    ON CONFLICT(session_id, tool) DO UPDATE SET calls = calls + @calls, errors = errors + @errors,
    total_ms = total_ms + @total, buckets = @buckets, updated_at = @t`);

  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const totalChanges = db.prepare('SELECT total_changes()').pluck();

  return {
    /**
     * A string that changes whenever anything is committed to the database, by another connection
     * (PRAGMA data_version) or by this one (total_changes()); equal strings mean nothing changed.
     */
    version: (): string => `${String(dataVersion.get())}:${String(totalChanges.get())}`,

    /** Adds `deltas` (tool -> delta) to the session's rows in one transaction. */
    addToolStats(sessionId: string, deltas: Map<string, ToolStatDelta>): void {
      db.transaction(() => {
        for (const [tool, d] of deltas) {
          const prev = getRow.get(sessionId, tool) as { buckets: string } | undefined;
          const old = prev ? (JSON.parse(prev.buckets) as number[]) : [];
          const buckets = d.buckets.map((n, i) => n + (old[i] ?? 0));
          upsert.run({
            sid: sessionId,
            tool,
            calls: d.calls,
            errors: d.errors,
            total: d.totalMs,
            buckets: JSON.stringify(buckets),
            t: now(),
          });
        }
      })();
    },

    /** Tool stats summed over every session, one row per tool. */
    toolStats(): ToolStat[] {
      const rows = db
        .prepare('SELECT tool, calls, errors, total_ms, buckets FROM tool_stats ORDER BY tool')
        .all()
        .map((r) => readRow('toolStat', r));
      const byTool = new Map<string, ToolStat>();
      for (const r of rows) {
        const cur = byTool.get(r.tool);
        if (!cur) byTool.set(r.tool, { ...r, buckets: [...r.buckets] });
        else {
          cur.calls += r.calls;
          cur.errors += r.errors;
          cur.total_ms += r.total_ms;
          cur.buckets = r.buckets.map((n, i) => n + (cur.buckets[i] ?? 0));
        }
      }
      return [...byTool.values()];
    },

    sessionsByStatus: (): Record<string, number> =>
      counts('SELECT status AS k, COUNT(*) AS n FROM sessions GROUP BY status'),
    workersByState: (): Record<string, number> =>
      counts('SELECT state AS k, COUNT(*) AS n FROM workers GROUP BY state'),
    verifiesByStatus: (): Record<string, number> =>
      counts('SELECT status AS k, COUNT(*) AS n FROM verifies GROUP BY status'),
    /** Session id -> number of workers. */
    workerCountsBySession: (): Record<string, number> =>
      counts('SELECT session_id AS k, COUNT(*) AS n FROM workers GROUP BY session_id'),
    /** The id of the session's newest event, 0 when it has none. */
    lastEventId(sessionId: string): number {
      return (
        (db.prepare('SELECT MAX(id) AS m FROM events WHERE session_id = ?').get(sessionId) as { m: number | null }).m ??
        0
      );
    },
    /** Event counts by type for the types named (e.g. worker.spawned, worker.merged). */
    eventCounts(types: readonly string[]): Record<string, number> {
      if (types.length === 0) return {};
      const rows = db
        .prepare(
          `SELECT type AS k, COUNT(*) AS n FROM events WHERE type IN (${types.map(() => '?').join(', ')}) GROUP BY type`,
        )
        .all(...types);
      return Object.fromEntries(rows.map((r) => readRow('count', r)).map((r) => [r.k, r.n]));
    },
  };
}
