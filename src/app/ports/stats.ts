/**
 * The StatsStore port: aggregate counts over the state database for /metrics and the dashboard, and
 * the per-session MCP tool statistics. adapters/state/stats-store.ts implements it on state.db.
 */
import type { ToolStat, ToolStatDelta } from '../../core/observe/tool-stats.js';

export interface StatsStore {
  /** A string that changes whenever anything is committed to the database; equal strings mean nothing changed. */
  version(): string;
  /** Adds `deltas` (tool -> delta) to the session's rows in one transaction. */
  addToolStats(sessionId: string, deltas: Map<string, ToolStatDelta>): void;
  /** Tool stats summed over every session, one row per tool. */
  toolStats(): ToolStat[];
  sessionsByStatus(): Record<string, number>;
  workersByState(): Record<string, number>;
  verifiesByStatus(): Record<string, number>;
  /** Session id -> number of workers. */
  workerCountsBySession(): Record<string, number>;
  /** The id of the session's newest event, 0 when it has none. */
  lastEventId(sessionId: string): number;
  /** Event counts by type for the types named (e.g. worker.spawned, worker.merged). */
  eventCounts(types: readonly string[]): Record<string, number>;
}
