/**
 * The `reviews` table (one row per verdict asked of a reviewer), `gate_rounds` (the review gate's rounds) and
 * `worker_criteria` (structured pass_criteria). Same database and WAL handle as store.ts.
 */
import type Database from 'better-sqlite3';
import type { GateRoundRow, ReviewRow, ReviewStore } from '../../app/ports/review.js';
import { createApprovalStore } from './approval-store.js';
import { readRow } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, reviewer_id TEXT NOT NULL, subject TEXT NOT NULL,
  round INTEGER NOT NULL, criteria TEXT NOT NULL, status TEXT NOT NULL, verdict TEXT, asked INTEGER NOT NULL,
  created_at INTEGER NOT NULL, submitted_at INTEGER
);
CREATE INDEX IF NOT EXISTS reviews_session ON reviews (session_id, reviewer_id);
CREATE TABLE IF NOT EXISTS gate_rounds (
  session_id TEXT NOT NULL, round INTEGER NOT NULL, head TEXT NOT NULL, status TEXT NOT NULL,
  reviewers TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, PRIMARY KEY (session_id, round)
);
CREATE TABLE IF NOT EXISTS worker_criteria (
  session_id TEXT NOT NULL, worker_id TEXT NOT NULL, criteria TEXT NOT NULL, set_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, worker_id)
);`;

const toReview = (r: unknown): ReviewRow => {
  const c = readRow('review', r);
  return {
    id: c.id,
    session: c.session_id,
    reviewer: c.reviewer_id,
    subject: c.subject,
    round: c.round,
    criteria: c.criteria,
    status: c.status,
    ...(c.verdict ? { verdict: c.verdict } : {}),
    asked: c.asked === 1,
    createdAt: c.created_at,
    ...(c.submitted_at !== null ? { submittedAt: c.submitted_at } : {}),
  };
};

const toRound = (r: unknown): GateRoundRow => {
  const c = readRow('gateRound', r);
  return {
    session: c.session_id,
    round: c.round,
    head: c.head,
    status: c.status,
    reviewers: c.reviewers,
    startedAt: c.started_at,
    ...(c.ended_at !== null ? { endedAt: c.ended_at } : {}),
  };
};

const opened = new WeakMap<Database.Database, ReviewStore>();

/** The review tables on an open state database (one instance per database, statements prepared once). */
export function createReviewStore(db: Database.Database): ReviewStore {
  let store = opened.get(db);
  if (!store) {
    store = build(db);
    opened.set(db, store);
  }
  return store;
}

function build(db: Database.Database): ReviewStore {
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO reviews (session_id, reviewer_id, subject, round, criteria, status, verdict, asked, created_at)
    VALUES (?, ?, ?, ?, ?, 'pending', NULL, 0, ?)`,
  );
  const get = db.prepare('SELECT * FROM reviews WHERE id = ?');
  const pending = db.prepare(
    `SELECT * FROM reviews WHERE session_id = ? AND reviewer_id = ? AND status = 'pending' ORDER BY id DESC LIMIT 1`,
  );
  const submit = db.prepare(
    `UPDATE reviews SET status = 'submitted', verdict = ?, submitted_at = ? WHERE id = ? AND status = 'pending'`,
  );
  const list = db.prepare('SELECT * FROM reviews WHERE session_id = ? ORDER BY id');
  const startRound = db.prepare(
    `INSERT INTO gate_rounds (session_id, round, head, status, reviewers, started_at) VALUES (?, ?, ?, 'running', ?, ?)`,
  );
  const finishRound = db.prepare('UPDATE gate_rounds SET status = ?, ended_at = ? WHERE session_id = ? AND round = ?');
  const rounds = db.prepare('SELECT * FROM gate_rounds WHERE session_id = ? ORDER BY round');
  const setCriteria = db.prepare(
    `INSERT INTO worker_criteria (session_id, worker_id, criteria, set_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (session_id, worker_id) DO UPDATE SET criteria = excluded.criteria`,
  );
  const criteria = db.prepare(
    'SELECT worker_id, criteria FROM worker_criteria WHERE session_id = ? ORDER BY set_at, worker_id',
  );
  const row = (r: unknown) => (r ? toReview(r) : undefined);
  return {
    ...createApprovalStore(db),
    addReview: (r) =>
      Number(insert.run(r.session, r.reviewer, r.subject, r.round, JSON.stringify(r.criteria), r.ts).lastInsertRowid),
    getReview: (id) => row(get.get(id)),
    pendingReviewOf: (session, reviewer) => row(pending.get(session, reviewer)),
    submitVerdict: (id, verdict, ts) => submit.run(JSON.stringify(verdict), ts, id).changes === 1,
    updateReview(id, patch) {
      if (patch.asked !== undefined)
        db.prepare('UPDATE reviews SET asked = ? WHERE id = ?').run(patch.asked ? 1 : 0, id);
      if (patch.status)
        db.prepare(`UPDATE reviews SET status = ? WHERE id = ? AND status = 'pending'`).run(patch.status, id);
    },
    listReviews: (session) => list.all(session).map(toReview),
    startRound: (r) => void startRound.run(r.session, r.round, r.head, JSON.stringify(r.reviewers), r.ts),
    finishRound: (session, round, status, ts) => void finishRound.run(status, ts, session, round),
    listRounds: (session) => rounds.all(session).map(toRound),
    setWorkerCriteria: (session, worker, c) => void setCriteria.run(session, worker, JSON.stringify(c), Date.now()),
    workerCriteria: (session) =>
      criteria.all(session).map((r) => {
        const x = readRow('workerCriteria', r);
        return { worker: x.worker_id, criteria: x.criteria };
      }),
  };
}
