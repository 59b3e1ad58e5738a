/**
 * Peak resident sizes on state.db (same database and WAL handle as store.ts): `worker_peaks`, each worker's
 * largest process-tree RSS seen by the monitor, and `agent_peaks`, a finished worker's peak per agent, from which
 * admission learns how much an agent takes on this machine.
 */
import type Database from 'better-sqlite3';
import type { PeakStore } from '../../app/ports/machine-memory.js';
import { readRow } from '../state/row-checks.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS worker_peaks (
  session_id TEXT NOT NULL, worker_id TEXT NOT NULL, agent TEXT NOT NULL, peak_rss INTEGER NOT NULL,
  ts INTEGER NOT NULL, PRIMARY KEY (session_id, worker_id)
);
CREATE TABLE IF NOT EXISTS agent_peaks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, peak_rss INTEGER NOT NULL, ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_peaks_by_agent ON agent_peaks(agent, id);`;

/** Wraps an open state database; creates the tables if missing. Owns nothing to close. */
export function createPeakStore(db: Database.Database, now: () => number = Date.now): PeakStore {
  db.exec(SCHEMA);
  const upsert = db.prepare(`INSERT INTO worker_peaks (session_id, worker_id, agent, peak_rss, ts)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT(session_id, worker_id) DO UPDATE SET
    peak_rss = MAX(peak_rss, excluded.peak_rss), ts = excluded.ts`);
  const list = db.prepare(
    'SELECT worker_id, agent, peak_rss FROM worker_peaks WHERE session_id = ? ORDER BY worker_id',
  );
  const add = db.prepare('INSERT INTO agent_peaks (agent, peak_rss, ts) VALUES (?, ?, ?)');
  const latest = db.prepare('SELECT peak_rss FROM agent_peaks WHERE agent = ? ORDER BY id DESC LIMIT ?').pluck();
  return {
    recordWorker: (sid, worker, agent, bytes) => void upsert.run(sid, worker, agent, Math.round(bytes), now()),
    workerPeaks: (sid) =>
      list.all(sid).map((r) => {
        const p = readRow('workerPeak', r);
        return { worker: p.worker_id, agent: p.agent, peakBytes: p.peak_rss };
      }),
    learn: (agent, bytes) => void add.run(agent, Math.round(bytes), now()),
    learned: (agent, limit) => latest.all(agent, limit).map((v) => readRow('peakRss', v)),
  };
}
