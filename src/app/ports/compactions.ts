/**
 * The CompactionStore port: per finished worker, the short summary and output digest that replace its
 * long ones in what the lead is given. adapters/state/compaction-store.ts implements it on state.db.
 */

export interface CompactionRow {
  session_id: string;
  worker_id: string;
  summary: string;
  output: string;
  method: 'router' | 'truncation';
  note: string;
  full_chars: number;
  /** The event holding the full text. */
  event_id: number;
  created_at: number;
}

export interface CompactionStore {
  /** Inserts or replaces the worker's compaction. */
  put(row: CompactionRow): void;
  get(sessionId: string, workerId: string): CompactionRow | undefined;
  /** Every compaction of a session, by worker id. */
  bySession(sessionId: string): Map<string, CompactionRow>;
  /** Drops a worker's compaction (it started a new turn, so its summary is stale). */
  remove(sessionId: string, workerId: string): void;
}
