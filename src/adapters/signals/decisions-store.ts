/**
 * The `status_decisions` table: each worker's last activity decisions (time, activity, source, evidence), so
 * `crewmux status --explain` can show why a worker is in its state. Same database and WAL handle as store.ts;
 * bounded to MAX_DECISIONS_PER_WORKER rows per worker (older rows are deleted on insert).
 */
import type Database from 'better-sqlite3';
import type { StatusDecisionStore } from '../../app/ports/status-decisions.js';
import { MAX_DECISIONS_PER_WORKER, type StatusDecision } from '../../core/workers/signals.js';
import { readRow } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS status_decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, worker_id TEXT NOT NULL, at INTEGER NOT NULL,
  activity TEXT NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_decisions_worker ON status_decisions (session_id, worker_id, id);`;

const parse = (r: unknown): StatusDecision => readRow('statusDecision', r);

const opened = new WeakMap<Database.Database, StatusDecisionStore>();

/** The status_decisions table on an open state database (one instance per database, statements prepared once). */
export function createStatusDecisionStore(db: Database.Database): StatusDecisionStore {
  let store = opened.get(db);
  if (!store) {
    store = build(db);
    opened.set(db, store);
  }
  return store;
}

function build(db: Database.Database): StatusDecisionStore {
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO status_decisions (session_id, worker_id, at, activity, source, evidence)
    VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const prune = db.prepare(
    `DELETE FROM status_decisions WHERE session_id = ? AND worker_id = ? AND id <= (
      SELECT id FROM status_decisions WHERE session_id = ? AND worker_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  );
  const list = db.prepare(
    `SELECT at, activity, source, evidence FROM status_decisions WHERE session_id = ? AND worker_id = ?
    ORDER BY id DESC LIMIT ?`,
  );
  const latest = db.prepare(
    `SELECT worker_id, at, activity, source, evidence FROM status_decisions WHERE id IN (
      SELECT max(id) FROM status_decisions WHERE session_id = ? GROUP BY worker_id)`,
  );
  const structured = db.prepare(
    `SELECT at, activity, source, evidence FROM status_decisions WHERE session_id = ? AND worker_id = ?
    AND source != 'pane' ORDER BY id DESC LIMIT 1`,
  );
  return {
    add: (sid, worker, d) =>
      db.transaction(() => {
        insert.run(sid, worker, d.at, d.activity, d.source, d.evidence);
        prune.run(sid, worker, sid, worker, MAX_DECISIONS_PER_WORKER);
      })(),
    list: (sid, worker, limit) => list.all(sid, worker, limit).map(parse).reverse(),
    latest: (sid) => new Map((latest.all(sid) as { worker_id: string }[]).map((r) => [r.worker_id, parse(r)] as const)),
    latestStructured(sid, worker) {
      const r = structured.get(sid, worker);
      return r ? parse(r) : undefined;
    },
  };
}
