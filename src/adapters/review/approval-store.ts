/**
 * The `merge_approvals` table: merges held for the human by merge.autoMerge, and the human's decision on each (the
 * ApprovalStore part of app/ports/review.ts). Same database and WAL handle as store.ts.
 */
import type Database from 'better-sqlite3';
import type { ApprovalRow, ApprovalStore } from '../../app/ports/review.js';
import { readRow } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS merge_approvals (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, worker_id TEXT NOT NULL, status TEXT NOT NULL,
  head TEXT NOT NULL, risk TEXT, reason TEXT NOT NULL, review_id INTEGER, note TEXT, merge_commit TEXT,
  told INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, decided_at INTEGER
);
CREATE INDEX IF NOT EXISTS merge_approvals_worker ON merge_approvals (session_id, worker_id);`;

const toApproval = (row: unknown): ApprovalRow => {
  const r = readRow('approval', row);
  return {
    id: r.id,
    session: r.session_id,
    worker: r.worker_id,
    status: r.status,
    head: r.head,
    ...(r.risk ? { risk: r.risk } : {}),
    reason: r.reason,
    ...(r.review_id !== null ? { review: r.review_id } : {}),
    ...(r.note !== null ? { note: r.note } : {}),
    ...(r.merge_commit !== null ? { commit: r.merge_commit } : {}),
    told: r.told === 1,
    createdAt: r.created_at,
    ...(r.decided_at !== null ? { decidedAt: r.decided_at } : {}),
  };
};

/** The approval statements on an open state database (the review store spreads them into itself). */
export function createApprovalStore(db: Database.Database): ApprovalStore {
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO merge_approvals (session_id, worker_id, status, head, risk, reason, review_id, created_at)
    VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)`,
  );
  const latest = db.prepare(
    'SELECT * FROM merge_approvals WHERE session_id = ? AND worker_id = ? ORDER BY id DESC LIMIT 1',
  );
  const list = db.prepare('SELECT * FROM merge_approvals WHERE session_id = ? ORDER BY id');
  const decide = db.prepare(
    `UPDATE merge_approvals SET status = ?, note = COALESCE(?, note), merge_commit = COALESCE(?, merge_commit),
    decided_at = ?, told = 0 WHERE id = ? AND status = ?`,
  );
  const note = db.prepare('UPDATE merge_approvals SET note = ? WHERE id = ?');
  const told = db.prepare('UPDATE merge_approvals SET told = ? WHERE id = ?');
  return {
    addApproval: (r) =>
      Number(insert.run(r.session, r.worker, r.head, r.risk ?? null, r.reason, r.review ?? null, r.ts).lastInsertRowid),
    latestApproval: (session, worker) => {
      const r = latest.get(session, worker);
      return r ? toApproval(r) : undefined;
    },
    listApprovals: (session) => list.all(session).map(toApproval),
    decideApproval: (id, from, to, p) => decide.run(to, p.note ?? null, p.commit ?? null, p.ts, id, from).changes === 1,
    noteApproval: (id, text) => void note.run(text, id),
    setApprovalTold: (id, v) => void told.run(v ? 1 : 0, id),
  };
}
