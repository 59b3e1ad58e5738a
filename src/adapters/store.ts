/**
 * State in SQLite (better-sqlite3, WAL): sessions, workers, and an append-only event log in which
 * every state change is a row. Rows are validated with zod when read back. Several processes open
 * the same file (supervisor, `crewmux status`, `run --wait`); WAL lets readers run beside the writer.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { WORKER_STATES } from '../core/workers/state.js';
import { StoredEventTypeSchema, type EventType } from '../core/session/event-types.js';

export const SESSION_STATUSES = ['starting', 'running', 'done', 'failed', 'timeout', 'stopped'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const TERMINAL_SESSION_STATUSES: readonly SessionStatus[] = ['done', 'failed', 'timeout', 'stopped'];

const json = <T extends z.ZodTypeAny>(schema: T) => z.string().transform((s) => JSON.parse(s) as unknown).pipe(schema);

export const RunOptionsSchema = z.object({
  maxWorkers: z.number().int(),
  workerTimeoutS: z.number().nullable(),
  timeoutS: z.number().nullable(),
  stuckAfterS: z.number(),
  toolWaitS: z.number(),
  agents: z.array(z.string()),
  keepSession: z.boolean(),
  requireSignedSkills: z.boolean(),
  attach: z.boolean(),
  env: z.record(z.string(), z.string()),
});
export type RunOptions = z.infer<typeof RunOptionsSchema>;

const SessionRowSchema = z.object({
  id: z.string(),
  goal: z.string(),
  status: z.enum(SESSION_STATUSES),
  outcome_reason: z.string().nullable(),
  lead_agent: z.string(),
  repo_root: z.string(),
  base_commit: z.string(),
  integration_branch: z.string(),
  integration_worktree: z.string(),
  session_dir: z.string(),
  tmux_socket: z.string().nullable(),
  tmux_session: z.string(),
  mcp_port: z.number().nullable(),
  lead_token: z.string(),
  lead_pane: z.string().nullable(),
  options: json(RunOptionsSchema),
  next_worker: z.number().int(),
  report: z.string().nullable(),
  supervisor_pid: z.number().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  ended_at: z.number().nullable(),
});

export type SessionRow = z.infer<typeof SessionRowSchema>;

export const RadarSchema = z.object({
  /** Files that would conflict with the integration branch. */
  integration: z.array(z.string()),
  /** Other worker id -> files that would conflict between the two branches. */
  workers: z.record(z.string(), z.array(z.string())),
  /** The heads the radar was computed at. */
  key: z.string(),
});
export type Radar = z.infer<typeof RadarSchema>;

const WorkerRowSchema = z.object({
  session_id: z.string(),
  id: z.string(),
  num: z.number().int(),
  agent: z.string(),
  perspective: z.string(),
  task: z.string(),
  state: z.enum(WORKER_STATES),
  branch: z.string(),
  worktree: z.string(),
  pane_id: z.string().nullable(),
  window_id: z.string().nullable(),
  token: z.string(),
  nonce: z.string(),
  summary: z.string().nullable(),
  prompt_file: z.string(),
  log_file: z.string(),
  done_file: z.string(),
  pid: z.number().nullable(),
  exit_info: z.string().nullable(),
  notes: json(z.array(z.string())),
  base_commit: z.string(),
  radar: json(RadarSchema),
  created_at: z.number(),
  updated_at: z.number(),
  finished_at: z.number().nullable(),
});
export type WorkerRow = z.infer<typeof WorkerRowSchema>;

const EventRowSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  worker_id: z.string().nullable(),
  ts: z.number(),
  // Not narrowed to EventType: an older state.db may hold names this version no longer emits.
  type: StoredEventTypeSchema,
  message: z.string(),
  data: json(z.record(z.string(), z.unknown())),
});
export type EventRow = z.infer<typeof EventRowSchema>;

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

export type NewSession = Omit<SessionRow, 'options' | 'created_at' | 'updated_at' | 'ended_at' | 'report' | 'next_worker' | 'outcome_reason'> & { options: RunOptions };
export type NewWorker = Omit<WorkerRow, 'created_at' | 'updated_at' | 'finished_at' | 'notes' | 'summary' | 'exit_info' | 'radar'>;
export type WorkerPatch = Partial<Pick<WorkerRow, 'state' | 'pane_id' | 'window_id' | 'nonce' | 'summary' | 'pid' | 'exit_info' | 'finished_at' | 'notes' | 'radar'>>;

export const VERIFY_STATUSES = ['running', 'passed', 'failed'] as const;
export const VerifyCommandResultSchema = z.object({
  command: z.string(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  outputFile: z.string(),
  tail: z.string(),
});
export type VerifyCommandResult = z.infer<typeof VerifyCommandResultSchema>;
const VerifyRowSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  commit_sha: z.string(),
  commands: json(z.array(z.string())),
  status: z.enum(VERIFY_STATUSES),
  results: json(z.array(VerifyCommandResultSchema)),
  started_at: z.number(),
  ended_at: z.number().nullable(),
});
export type VerifyRow = z.infer<typeof VerifyRowSchema>;
export type SessionPatch = Partial<Pick<SessionRow, 'status' | 'outcome_reason' | 'mcp_port' | 'lead_pane' | 'report' | 'supervisor_pid' | 'ended_at'>>;

export type Store = ReturnType<typeof openStore>;

/** Opens (creating if needed) the state database at `file`. Close it with `close()`. */
export function openStore(file: string, now: () => number = Date.now) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const insertEvent = db.prepare('INSERT INTO events (session_id, worker_id, ts, type, message, data) VALUES (?, ?, ?, ?, ?, ?)');
  const getWorker = db.prepare('SELECT * FROM workers WHERE session_id = ? AND id = ?');
  const listWorkers = db.prepare('SELECT * FROM workers WHERE session_id = ? ORDER BY num');
  const getSession = db.prepare('SELECT * FROM sessions WHERE id = ?');

  function patchSql(table: string, patch: Record<string, unknown>, where: string) {
    const keys = Object.keys(patch);
    return db.prepare(`UPDATE ${table} SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE ${where}`);
  }
  const encode = (patch: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]));

  return {
    db,
    close: () => db.close(),

    createSession(s: NewSession): void {
      const t = now();
      db.prepare(`INSERT INTO sessions (id, goal, status, lead_agent, repo_root, base_commit, integration_branch,
        integration_worktree, session_dir, tmux_socket, tmux_session, mcp_port, lead_token, lead_pane, options,
        supervisor_pid, created_at, updated_at)
        VALUES (@id, @goal, @status, @lead_agent, @repo_root, @base_commit, @integration_branch, @integration_worktree,
        @session_dir, @tmux_socket, @tmux_session, @mcp_port, @lead_token, @lead_pane, @options, @supervisor_pid, @t, @t)`)
        .run({ ...s, options: JSON.stringify(s.options), t });
    },

    getSession(id: string): SessionRow | undefined {
      const row = getSession.get(id);
      return row ? SessionRowSchema.parse(row) : undefined;
    },

    listSessions(): SessionRow[] {
      return db.prepare('SELECT * FROM sessions ORDER BY created_at DESC').all().map((r) => SessionRowSchema.parse(r));
    },

    /** Ids starting with `prefix` (for abbreviated session ids). */
    findSessionIds(prefix: string): string[] {
      return db.prepare("SELECT id FROM sessions WHERE id LIKE ? || '%'").all(prefix).map((r) => (r as { id: string }).id);
    },

    updateSession(id: string, patch: SessionPatch): void {
      patchSql('sessions', patch, 'id = @id').run({ ...encode(patch), id, updated_at: now() });
    },

    /** Reserves the next worker number atomically; numbers never repeat within a session. */
    reserveWorkerNumber(sessionId: string): number {
      return db.transaction(() => {
        const row = db.prepare('SELECT next_worker FROM sessions WHERE id = ?').get(sessionId) as { next_worker: number } | undefined;
        if (!row) throw new Error(`no session ${sessionId}`);
        db.prepare('UPDATE sessions SET next_worker = next_worker + 1 WHERE id = ?').run(sessionId);
        return row.next_worker;
      })();
    },

    createWorker(w: NewWorker): void {
      const t = now();
      db.prepare(`INSERT INTO workers (session_id, id, num, agent, perspective, task, state, branch, worktree, pane_id,
        window_id, token, nonce, prompt_file, log_file, done_file, pid, base_commit, created_at, updated_at)
        VALUES (@session_id, @id, @num, @agent, @perspective, @task, @state, @branch, @worktree, @pane_id, @window_id,
        @token, @nonce, @prompt_file, @log_file, @done_file, @pid, @base_commit, @t, @t)`).run({ ...w, t });
    },

    getWorker(sessionId: string, id: string): WorkerRow | undefined {
      const row = getWorker.get(sessionId, id);
      return row ? WorkerRowSchema.parse(row) : undefined;
    },

    listWorkers(sessionId: string): WorkerRow[] {
      return listWorkers.all(sessionId).map((r) => WorkerRowSchema.parse(r));
    },

    deleteWorker(sessionId: string, id: string): void {
      db.prepare('DELETE FROM workers WHERE session_id = ? AND id = ?').run(sessionId, id);
    },

    updateWorker(sessionId: string, id: string, patch: WorkerPatch): void {
      patchSql('workers', patch, 'session_id = @sid AND id = @wid').run({ ...encode(patch), sid: sessionId, wid: id, updated_at: now() });
    },

    /** Appends an event; returns its id. */
    addEvent(sessionId: string, workerId: string | null, type: EventType, message: string, data: Record<string, unknown> = {}): number {
      return Number(insertEvent.run(sessionId, workerId, now(), type, message, JSON.stringify(data)).lastInsertRowid);
    },

    /** Events of a session after `afterId`, oldest first. */
    eventsAfter(sessionId: string, afterId = 0, limit = 1000): EventRow[] {
      return db.prepare('SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?').all(sessionId, afterId, limit)
        .map((r) => EventRowSchema.parse(r));
    },

    /** Starts a verify record (status running); returns its id. */
    startVerify(sessionId: string, commit: string, commands: string[]): number {
      return Number(db.prepare('INSERT INTO verifies (session_id, commit_sha, commands, status, started_at) VALUES (?, ?, ?, ?, ?)')
        .run(sessionId, commit, JSON.stringify(commands), 'running', now()).lastInsertRowid);
    },

    finishVerify(id: number, status: 'passed' | 'failed', results: VerifyCommandResult[]): void {
      db.prepare('UPDATE verifies SET status = ?, results = ?, ended_at = ? WHERE id = ?').run(status, JSON.stringify(results), now(), id);
    },

    listVerifies(sessionId: string): VerifyRow[] {
      return db.prepare('SELECT * FROM verifies WHERE session_id = ? ORDER BY id').all(sessionId).map((r) => VerifyRowSchema.parse(r));
    },

    /** Runs `fn` in one transaction. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
  };
}
