/**
 * The `compactions` table: per finished worker, the short summary and output digest that replace its
 * long ones in what the lead is given (list_workers, read_worker_output, the resume recap). The full
 * text stays in the event log (`event_id`). Same database and WAL handle as store.ts.
 */
import type Database from 'better-sqlite3';
import type { CompactionRow, CompactionStore } from '../../app/ports/compactions.js';
import { readRow } from './row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS compactions (
  session_id TEXT NOT NULL, worker_id TEXT NOT NULL, summary TEXT NOT NULL, output TEXT NOT NULL,
  method TEXT NOT NULL, note TEXT NOT NULL, full_chars INTEGER NOT NULL, event_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, worker_id)
);`;

const opened = new WeakMap<Database.Database, CompactionStore>();

/** The compactions table on an open state database (one instance per database, statements prepared once). */
export function createCompactionStore(db: Database.Database): CompactionStore {
  let store = opened.get(db);
  if (!store) {
    store = build(db);
    opened.set(db, store);
  }
  return store;
}

function build(db: Database.Database): CompactionStore {
  db.exec(SCHEMA);
  const getOne = db.prepare('SELECT * FROM compactions WHERE session_id = ? AND worker_id = ?');
  const bySession = db.prepare('SELECT * FROM compactions WHERE session_id = ?');
  return {
    put(row: CompactionRow): void {
      db.prepare(
        `INSERT OR REPLACE INTO compactions (session_id, worker_id, summary, output, method, note, full_chars, event_id, created_at)
        VALUES (@session_id, @worker_id, @summary, @output, @method, @note, @full_chars, @event_id, @created_at)`,
      ).run(row);
    },

    get(sessionId: string, workerId: string): CompactionRow | undefined {
      const r = getOne.get(sessionId, workerId);
      return r ? readRow('compaction', r) : undefined;
    },

    /** Every compaction of a session, by worker id. */
    bySession(sessionId: string): Map<string, CompactionRow> {
      const rows = bySession.all(sessionId).map((r) => readRow('compaction', r));
      return new Map(rows.map((r) => [r.worker_id, r]));
    },

    /** Drops a worker's compaction (it started a new turn, so its summary is stale). */
    remove(sessionId: string, workerId: string): void {
      db.prepare('DELETE FROM compactions WHERE session_id = ? AND worker_id = ?').run(sessionId, workerId);
    },
  };
}
