/**
 * The `usage` table (one row per model call or turn, deduplicated by a key per session and worker) and
 * `usage_cursors` (how far each agent usage file has been read). Same database and WAL handle as store.ts.
 */
import type Database from 'better-sqlite3';
import type { LimitRow, UsageCursor, UsageStore } from '../../app/ports/usage.js';
import type { UsageRow, UsageRowGroup } from '../../core/usage/summary.js';
import { readRow, type RowOf } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, worker_id TEXT NOT NULL, agent TEXT NOT NULL,
  model TEXT NOT NULL, input INTEGER NOT NULL, output INTEGER NOT NULL, cache_read INTEGER NOT NULL,
  cache_write INTEGER NOT NULL, reasoning INTEGER NOT NULL, cost_usd REAL, bucket TEXT NOT NULL,
  source TEXT NOT NULL, approximate INTEGER NOT NULL, ts INTEGER NOT NULL, dedup_key TEXT NOT NULL,
  UNIQUE (session_id, worker_id, dedup_key)
);
CREATE TABLE IF NOT EXISTS usage_limits (
  session_id TEXT NOT NULL, worker_id TEXT NOT NULL, agent TEXT NOT NULL, window TEXT NOT NULL,
  used_percent REAL NOT NULL, window_minutes INTEGER, resets_at INTEGER, ts INTEGER NOT NULL,
  PRIMARY KEY (session_id, worker_id, window)
);
CREATE TABLE IF NOT EXISTS usage_cursors (
  session_id TEXT NOT NULL, worker_id TEXT NOT NULL, file TEXT NOT NULL, offset INTEGER NOT NULL,
  state TEXT NOT NULL, PRIMARY KEY (session_id, worker_id, file)
);`;

type Common = Omit<RowOf<'usageGroup'>, 'cost_usd' | 'calls' | 'priced'>;
/** The columns a usage row and a group of rows share, in the core's names. */
const common = (r: Common) => ({
  worker: r.worker_id,
  agent: r.agent,
  model: r.model,
  input: r.input,
  output: r.output,
  cacheRead: r.cache_read,
  cacheWrite: r.cache_write,
  reasoning: r.reasoning,
  bucket: r.bucket,
  source: r.source,
  approximate: r.approximate === 1,
});

const toRow = (r: RowOf<'usage'>): UsageRow => ({ ...common(r), session: r.session_id, costUsd: r.cost_usd, ts: r.ts });
const toGroup = (r: RowOf<'usageGroup'>): UsageRowGroup => ({
  ...common(r),
  costUsd: r.cost_usd,
  calls: r.calls,
  priced: r.priced,
});
const toLimit = (r: RowOf<'usageLimit'>): LimitRow => ({
  worker: r.worker_id,
  agent: r.agent,
  window: r.window,
  usedPercent: r.used_percent,
  ...(r.window_minutes !== null ? { windowMinutes: r.window_minutes } : {}),
  ...(r.resets_at !== null ? { resetsAt: r.resets_at } : {}),
  ts: r.ts,
});

const opened = new WeakMap<Database.Database, UsageStore>();

/** The usage tables on an open state database (one instance per database, statements prepared once). */
export function createUsageStore(db: Database.Database): UsageStore {
  let store = opened.get(db);
  if (!store) {
    store = build(db);
    opened.set(db, store);
  }
  return store;
}

function build(db: Database.Database): UsageStore {
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT OR IGNORE INTO usage (session_id, worker_id, agent, model, input, output, cache_read, cache_write,
    reasoning, cost_usd, bucket, source, approximate, ts, dedup_key)
    VALUES (@session, @worker, @agent, @model, @input, @output, @cacheRead, @cacheWrite, @reasoning, @costUsd,
    @bucket, @source, @approximate, @ts, @key)
    ON CONFLICT (session_id, worker_id, dedup_key) DO UPDATE SET
      input = max(input, excluded.input), output = max(output, excluded.output),
      cache_read = max(cache_read, excluded.cache_read), cache_write = max(cache_write, excluded.cache_write),
      reasoning = max(reasoning, excluded.reasoning),
      cost_usd = CASE WHEN excluded.cost_usd IS NULL OR cost_usd IS NULL THEN cost_usd
        ELSE max(cost_usd, excluded.cost_usd) END
    WHERE excluded.input > input OR excluded.output > output OR excluded.cache_read > cache_read
      OR excluded.cache_write > cache_write OR excluded.reasoning > reasoning`,
  );
  const grouped = db.prepare(
    `SELECT worker_id, agent, model, bucket, source, approximate, sum(input) AS input, sum(output) AS output,
    sum(cache_read) AS cache_read, sum(cache_write) AS cache_write, sum(reasoning) AS reasoning,
    coalesce(sum(cost_usd), 0) AS cost_usd, count(*) AS calls, count(cost_usd) AS priced
    FROM usage WHERE session_id = ? GROUP BY worker_id, agent, model, bucket, source, approximate
    ORDER BY min(id)`,
  );
  const everySession = db.prepare(
    `SELECT session_id, worker_id, agent, model, bucket, source, approximate, sum(input) AS input,
    sum(output) AS output, sum(cache_read) AS cache_read, sum(cache_write) AS cache_write,
    sum(reasoning) AS reasoning, coalesce(sum(cost_usd), 0) AS cost_usd, count(*) AS calls, count(cost_usd) AS priced
    FROM usage GROUP BY session_id, worker_id, agent, model, bucket, source, approximate ORDER BY min(id)`,
  );
  const list = db.prepare('SELECT * FROM usage WHERE session_id = ? ORDER BY id');
  const getCursor = db.prepare(
    'SELECT offset, state FROM usage_cursors WHERE session_id = ? AND worker_id = ? AND file = ?',
  );
  const files = db.prepare('SELECT file FROM usage_cursors WHERE session_id = ? AND worker_id = ? ORDER BY file');
  const setCursor = db.prepare(
    `INSERT INTO usage_cursors (session_id, worker_id, file, offset, state) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (session_id, worker_id, file) DO UPDATE SET offset = excluded.offset, state = excluded.state`,
  );
  // list_workers asks for the groups on every call: they are kept until this connection adds rows or
  // another one commits (PRAGMA data_version changes only for other connections' commits).
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let writes = 0;
  const cache = new Map<string, { version: string; groups: UsageRowGroup[] }>();
  const setLimit = db.prepare(
    `INSERT INTO usage_limits (session_id, worker_id, agent, window, used_percent, window_minutes, resets_at, ts)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, worker_id, window) DO UPDATE SET agent = excluded.agent,
    used_percent = excluded.used_percent, window_minutes = excluded.window_minutes, resets_at = excluded.resets_at,
    ts = excluded.ts`,
  );
  const limits = db.prepare('SELECT * FROM usage_limits WHERE session_id = ? ORDER BY worker_id, window');
  return {
    setLimits: (sessionId, rows) =>
      db.transaction(() => {
        for (const r of rows)
          setLimit.run(
            sessionId,
            r.worker,
            r.agent,
            r.window,
            r.usedPercent,
            r.windowMinutes ?? null,
            r.resetsAt ?? null,
            r.ts,
          );
      })(),
    limits: (sessionId) => limits.all(sessionId).map((r) => toLimit(readRow('usageLimit', r))),
    add: (rows) =>
      db.transaction(() => {
        let added = 0;
        for (const r of rows) added += insert.run({ ...r, approximate: r.approximate ? 1 : 0 }).changes;
        if (added) writes++;
        return added;
      })(),
    list: (sessionId) => list.all(sessionId).map((r) => toRow(readRow('usage', r))),
    grouped(sessionId) {
      const version = `${String(dataVersion.get())}:${writes}`;
      const hit = cache.get(sessionId);
      if (hit?.version === version) return hit.groups;
      const groups = grouped.all(sessionId).map((r) => toGroup(readRow('usageGroup', r)));
      cache.set(sessionId, { version, groups });
      return groups;
    },
    groupedBySession: () =>
      everySession.all().map((r) => {
        const g = readRow('usageGroupBySession', r);
        return { ...toGroup(g), session: g.session_id };
      }),
    cursor(sessionId, worker, file): UsageCursor | undefined {
      const r = getCursor.get(sessionId, worker, file);
      return r ? readRow('usageCursor', r) : undefined;
    },
    files: (sessionId, worker) => files.all(sessionId, worker).map((r) => (r as { file: string }).file),
    setCursor(sessionId, worker, file, c) {
      setCursor.run(sessionId, worker, file, c.offset, c.state);
    },
  };
}
