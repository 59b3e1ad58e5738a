/**
 * The `questions` table: one row per worker question ticket (asked, shown to the lead, escalated, answered,
 * delivered). Same database and WAL handle as store.ts; rows, so tickets survive a supervisor crash.
 */
import type Database from 'better-sqlite3';
import type { QuestionsStore } from '../../app/ports/questions.js';
import type { Ticket } from '../../core/questions/tickets.js';
import { readRow } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS questions (
  session_id TEXT NOT NULL, id TEXT NOT NULL, num INTEGER NOT NULL, worker_id TEXT NOT NULL,
  question TEXT NOT NULL, options TEXT NOT NULL, urgency TEXT NOT NULL, category TEXT NOT NULL,
  source TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, shown_at INTEGER,
  escalations INTEGER NOT NULL DEFAULT 0, escalated_at INTEGER, answer TEXT, answered_by TEXT,
  answered_at INTEGER, delivered_at INTEGER, PRIMARY KEY (session_id, id)
);`;

const parse = (r: unknown): Ticket => {
  const row = r as Record<string, unknown>;
  return readRow('ticket', { ...row, options: JSON.parse(String(row.options)) as unknown });
};

const opened = new WeakMap<Database.Database, QuestionsStore>();

/** The questions table on an open state database (one instance per database, statements prepared once). */
export function createQuestionsStore(db: Database.Database): QuestionsStore {
  let store = opened.get(db);
  if (!store) {
    store = build(db);
    opened.set(db, store);
  }
  return store;
}

function build(db: Database.Database): QuestionsStore {
  db.exec(SCHEMA);
  const nextNum = db.prepare('SELECT coalesce(max(num), 0) + 1 AS n FROM questions WHERE session_id = ?').pluck();
  const insert = db.prepare(
    `INSERT INTO questions (session_id, id, num, worker_id, question, options, urgency, category, source, status,
    created_at) VALUES (@sessionId, @id, @num, @workerId, @question, @options, @urgency, @category, @source, 'open',
    @createdAt)`,
  );
  const get = db.prepare('SELECT * FROM questions WHERE session_id = ? AND id = ?');
  const list = db.prepare('SELECT * FROM questions WHERE session_id = ? ORDER BY num');
  const answer = db.prepare(
    `UPDATE questions SET status = 'answered', answer = ?, answered_by = ?, answered_at = ?
    WHERE session_id = ? AND id = ? AND status = 'open'`,
  );
  const shown = db.prepare('UPDATE questions SET shown_at = ? WHERE session_id = ? AND id = ? AND shown_at IS NULL');
  const escalated = db.prepare(
    "UPDATE questions SET escalations = ?, escalated_at = ? WHERE session_id = ? AND id = ? AND status = 'open'",
  );
  const claim = db.prepare(
    `UPDATE questions SET delivered_at = ? WHERE session_id = ? AND id = ? AND status = 'answered'
    AND delivered_at IS NULL`,
  );
  const release = db.prepare('UPDATE questions SET delivered_at = NULL WHERE session_id = ? AND id = ?');
  return {
    add: (t) =>
      db.transaction(() => {
        const num = Number(nextNum.get(t.sessionId));
        const id = `q${num}`;
        insert.run({ ...t, id, num, options: JSON.stringify(t.options) });
        return parse(get.get(t.sessionId, id));
      })(),
    get(sessionId, id) {
      const r = get.get(sessionId, id);
      return r ? parse(r) : undefined;
    },
    list: (sessionId) => list.all(sessionId).map(parse),
    answer: (sessionId, id, text, by, at) => answer.run(text, by, at, sessionId, id).changes > 0,
    markShown: (sessionId, ids, at) =>
      db.transaction(() => {
        for (const id of ids) shown.run(at, sessionId, id);
      })(),
    markEscalated(sessionId, id, attempt, at) {
      escalated.run(attempt, at, sessionId, id);
    },
    claimDelivery: (sessionId, id, at) => claim.run(at, sessionId, id).changes > 0,
    releaseDelivery(sessionId, id) {
      release.run(sessionId, id);
    },
  };
}
