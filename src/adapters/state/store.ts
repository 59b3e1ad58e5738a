/**
 * State in SQLite (better-sqlite3, WAL): sessions, workers, and an append-only event log in which
 * every state change is a row. Rows are checked when read back, against their zod schemas (core/session/rows.ts)
 * through the checks generated from them (row-checks.ts: no zod to load). Several processes open
 * the same file (supervisor, `crewmux status`, `run --wait`); WAL lets readers run beside the writer.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { preparePrivateFile } from '../system/files.js';
import type {
  EventRow,
  NewSession,
  NewWorker,
  SessionPatch,
  SessionRow,
  VerifyCommandResult,
  VerifyRow,
  WorkerPatch,
  WorkerRow,
} from '../../core/session/rows.js';
import type { Store } from '../../app/ports/store.js';
import type { PeakStore } from '../../app/ports/machine-memory.js';
import { createStatsStore } from './stats-store.js';
import { createCompactionStore } from './compaction-store.js';
import { createUsageStore } from '../usage/usage-store.js';
import { createPeakStore } from '../machine/peak-store.js';
import { createQuestionsStore } from '../questions/questions-store.js';
import { createStatusDecisionStore } from '../signals/decisions-store.js';
import { createReviewStore } from '../review/review-store.js';
import { readRow } from './row-checks.js';
import type { EventType } from '../../core/session/event-types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, goal TEXT NOT NULL, status TEXT NOT NULL, outcome_reason TEXT,
  lead_agent TEXT NOT NULL, repo_root TEXT NOT NULL, base_commit TEXT NOT NULL,
  integration_branch TEXT NOT NULL, integration_worktree TEXT NOT NULL, session_dir TEXT NOT NULL,
  tmux_socket TEXT, tmux_session TEXT NOT NULL, mcp_port INTEGER, lead_token TEXT NOT NULL, lead_pane TEXT,
  options TEXT NOT NULL, next_worker INTEGER NOT NULL DEFAULT 1, report TEXT, supervisor_pid INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, ended_at INTEGER
);
CREATE TABLE IF NOT EXISTS workers (
  session_id TEXT NOT NULL REFERENCES sessions(id), id TEXT NOT NULL, num INTEGER NOT NULL,
  agent TEXT NOT NULL, perspective TEXT NOT NULL, task TEXT NOT NULL, state TEXT NOT NULL,
  branch TEXT NOT NULL, worktree TEXT NOT NULL, pane_id TEXT, window_id TEXT, token TEXT NOT NULL,
  nonce TEXT NOT NULL, summary TEXT, prompt_file TEXT NOT NULL, log_file TEXT NOT NULL, done_file TEXT NOT NULL,
  pid INTEGER, exit_info TEXT, notes TEXT NOT NULL DEFAULT '[]', base_commit TEXT NOT NULL,
  radar TEXT NOT NULL DEFAULT '{"integration":[],"workers":{},"key":""}',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
  PRIMARY KEY (session_id, id)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, worker_id TEXT, ts INTEGER NOT NULL,
  type TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, id);
CREATE TABLE IF NOT EXISTS verifies (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, commit_sha TEXT NOT NULL, commands TEXT NOT NULL,
  status TEXT NOT NULL, results TEXT NOT NULL DEFAULT '[]', started_at INTEGER NOT NULL, ended_at INTEGER
);
`;

// better-sqlite3 is CommonJS: `require` loads it without the ESM loader's pass over its source for export names, and its
// compiled addon, named where its install puts it, spares the `bindings` package's search of a dozen paths. Both
// were a good part of `crewmux status`'s start-up. A build elsewhere (a debug build) is still found by that search.
const requireCjs = process.getBuiltinModule('node:module').createRequire(import.meta.url);
const Database = requireCjs('better-sqlite3') as typeof BetterSqlite3;
const ADDON = join(dirname(requireCjs.resolve('better-sqlite3')), '..', 'build', 'Release', 'better_sqlite3.node');
const DATABASE_OPTIONS: BetterSqlite3.Options = existsSync(ADDON) ? { nativeBinding: ADDON } : {};

/** The SQLite store: the Store port plus the open database, which compose/ hands to the stats and compaction stores. */
export type SqliteStore = Store & { db: BetterSqlite3.Database };

/** Opens (creating if needed, 0600; E_UNSAFE_PATH for a symlink) the state database at `file`. Close it with `close()`. */
export function openStore(file: string, now: () => number = Date.now): SqliteStore {
  // SQLite gives -wal and -shm the database's mode: create it 0600 first, never through a symlink.
  if (file !== ':memory:') preparePrivateFile(file);
  const db = new Database(file, DATABASE_OPTIONS);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  let peakStore: PeakStore | undefined;

  const insertEvent = db.prepare(
    'INSERT INTO events (session_id, worker_id, ts, type, message, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const getWorker = db.prepare('SELECT * FROM workers WHERE session_id = ? AND id = ?');
  const listWorkers = db.prepare('SELECT * FROM workers WHERE session_id = ? ORDER BY num');
  const getSession = db.prepare('SELECT * FROM sessions WHERE id = ?');

  function patchSql(table: string, patch: Record<string, unknown>, where: string) {
    const keys = Object.keys(patch);
    return db.prepare(
      `UPDATE ${table} SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE ${where}`,
    );
  }
  const encode = (patch: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(patch).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]),
    );

  return {
    db,
    close: () => db.close(),

    createSession(s: NewSession): void {
      const t = now();
      db.prepare(
        `INSERT INTO sessions (id, goal, status, lead_agent, repo_root, base_commit, integration_branch,
        integration_worktree, session_dir, tmux_socket, tmux_session, mcp_port, lead_token, lead_pane, options,
        supervisor_pid, created_at, updated_at)
        VALUES (@id, @goal, @status, @lead_agent, @repo_root, @base_commit, @integration_branch, @integration_worktree,
        @session_dir, @tmux_socket, @tmux_session, @mcp_port, @lead_token, @lead_pane, @options, @supervisor_pid, @t, @t)`,
      ).run({ ...s, options: JSON.stringify(s.options), t });
    },

    getSession(id: string): SessionRow | undefined {
      const row = getSession.get(id);
      return row ? readRow('session', row) : undefined;
    },

    listSessions(): SessionRow[] {
      return db
        .prepare('SELECT * FROM sessions ORDER BY created_at DESC')
        .all()
        .map((r) => readRow('session', r));
    },

    /** Ids starting with `prefix` (for abbreviated session ids). */
    findSessionIds(prefix: string): string[] {
      return db
        .prepare("SELECT id FROM sessions WHERE id LIKE ? || '%'")
        .all(prefix)
        .map((r) => (r as { id: string }).id);
    },

    updateSession(id: string, patch: SessionPatch): void {
      patchSql('sessions', patch, 'id = @id').run({ ...encode(patch), id, updated_at: now() });
    },

    /** Reserves the next worker number atomically; numbers never repeat within a session. */
    reserveWorkerNumber(sessionId: string): number {
      return db.transaction(() => {
        const row = db.prepare('SELECT next_worker FROM sessions WHERE id = ?').get(sessionId) as
          { next_worker: number } | undefined;
        if (!row) throw new Error(`no session ${sessionId}`);
        db.prepare('UPDATE sessions SET next_worker = next_worker + 1 WHERE id = ?').run(sessionId);
        return row.next_worker;
      })();
    },

    createWorker(w: NewWorker): void {
      const t = now();
      db.prepare(
        `INSERT INTO workers (session_id, id, num, agent, perspective, task, state, branch, worktree, pane_id,
        window_id, token, nonce, prompt_file, log_file, done_file, pid, base_commit, created_at, updated_at)
        VALUES (@session_id, @id, @num, @agent, @perspective, @task, @state, @branch, @worktree, @pane_id, @window_id,
        @token, @nonce, @prompt_file, @log_file, @done_file, @pid, @base_commit, @t, @t)`,
      ).run({ ...w, t });
    },

    getWorker(sessionId: string, id: string): WorkerRow | undefined {
      const row = getWorker.get(sessionId, id);
      return row ? readRow('worker', row) : undefined;
    },

    listWorkers(sessionId: string): WorkerRow[] {
      return listWorkers.all(sessionId).map((r) => readRow('worker', r));
    },

    deleteWorker(sessionId: string, id: string): void {
      db.prepare('DELETE FROM workers WHERE session_id = ? AND id = ?').run(sessionId, id);
    },

    updateWorker(sessionId: string, id: string, patch: WorkerPatch): void {
      patchSql('workers', patch, 'session_id = @sid AND id = @wid').run({
        ...encode(patch),
        sid: sessionId,
        wid: id,
        updated_at: now(),
      });
    },

    /** Appends an event; returns its id. */
    addEvent(
      sessionId: string,
      workerId: string | null,
      type: EventType,
      message: string,
      data: Record<string, unknown> = {},
    ): number {
      return Number(insertEvent.run(sessionId, workerId, now(), type, message, JSON.stringify(data)).lastInsertRowid);
    },

    /** Events of a session after `afterId`, oldest first. */
    eventsAfter(sessionId: string, afterId = 0, limit = 1000): EventRow[] {
      return db
        .prepare('SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?')
        .all(sessionId, afterId, limit)
        .map((r) => readRow('event', r));
    },

    /** Starts a verify record (status running); returns its id. */
    startVerify(sessionId: string, commit: string, commands: string[]): number {
      return Number(
        db
          .prepare('INSERT INTO verifies (session_id, commit_sha, commands, status, started_at) VALUES (?, ?, ?, ?, ?)')
          .run(sessionId, commit, JSON.stringify(commands), 'running', now()).lastInsertRowid,
      );
    },

    finishVerify(id: number, status: 'passed' | 'failed', results: VerifyCommandResult[]): void {
      db.prepare('UPDATE verifies SET status = ?, results = ?, ended_at = ? WHERE id = ?').run(
        status,
        JSON.stringify(results),
        now(),
        id,
      );
    },

    listVerifies(sessionId: string): VerifyRow[] {
      return db
        .prepare('SELECT * FROM verifies WHERE session_id = ? ORDER BY id')
        .all(sessionId)
        .map((r) => readRow('verify', r));
    },

    stats: () => createStatsStore(db, now),
    compactions: () => createCompactionStore(db),
    usage: () => createUsageStore(db),
    peaks: () => (peakStore ??= createPeakStore(db, now)),
    questions: () => createQuestionsStore(db),
    review: () => createReviewStore(db),
    statusDecisions: () => createStatusDecisionStore(db),

    /** Runs `fn` in one transaction. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}
