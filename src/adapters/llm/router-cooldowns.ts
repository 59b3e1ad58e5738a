/**
 * Provider cooldowns of the LLM router, persisted in SQLite (`router.db` in the data dir, WAL) so that
 * `crewmux doctor` and `detect`, separate processes, see which providers are resting and why. Its own
 * file, not state.db: summaries run in many processes and must never contend with the session log.
 * Also an in-memory store with the same interface (tests, and when the file cannot be opened).
 */
import Database from 'better-sqlite3';
import { preparePrivateFile } from '../system/files.js';
import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../../core/llm/router-providers.js';

/** A provider resting until `until` (epoch ms) because of `reason` (`HTTP 429 rate limited`). */
export interface Cooldown {
  until: number;
  reason: string;
}

/** Where the router keeps cooldowns. Expired rows may linger: readers compare `until` with their clock. */
export interface CooldownStore {
  get(provider: ProviderName): Cooldown | undefined;
  set(provider: ProviderName, until: number, reason: string): void;
  clear(provider: ProviderName): void;
  /** Every stored cooldown, expired ones included. */
  all(): Partial<Record<ProviderName, Cooldown>>;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS router_cooldowns (
  provider TEXT PRIMARY KEY, until_ms INTEGER NOT NULL, reason TEXT NOT NULL, updated_at INTEGER NOT NULL
);`;

const RowSchema = z.object({ provider: z.string(), until_ms: z.number().int(), reason: z.string() });
const known = (p: string): p is ProviderName => (PROVIDER_NAMES as readonly string[]).includes(p);

/**
 * Opens (creating if needed, 0600; E_UNSAFE_PATH for a symlink) the cooldown database at `file`; `now` stamps updated_at. Rows for
 * providers this version does not know are ignored. Close it with `close()`.
 */
export function openCooldownStore(file: string, now: () => number = Date.now): CooldownStore {
  // SQLite gives -wal and -shm the database's mode: create it 0600 first, never through a symlink.
  if (file !== ':memory:') preparePrivateFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (e) {
    db.close();
    throw e;
  }
  const getRow = db.prepare('SELECT provider, until_ms, reason FROM router_cooldowns WHERE provider = ?');
  const allRows = db.prepare('SELECT provider, until_ms, reason FROM router_cooldowns ORDER BY provider');
  const upsert = db.prepare(`INSERT INTO router_cooldowns (provider, until_ms, reason, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT(provider) DO UPDATE SET until_ms = excluded.until_ms, reason = excluded.reason, updated_at = excluded.updated_at`);
  const del = db.prepare('DELETE FROM router_cooldowns WHERE provider = ?');
  return {
    get(provider) {
      const row = getRow.get(provider);
      if (!row) return undefined;
      const r = RowSchema.parse(row);
      return { until: r.until_ms, reason: r.reason };
    },
    set(provider, until, reason) {
      upsert.run(provider, Math.round(until), reason, now());
    },
    clear(provider) {
      del.run(provider);
    },
    all() {
      const out: Partial<Record<ProviderName, Cooldown>> = {};
      for (const r of allRows.all().map((row) => RowSchema.parse(row)))
        if (known(r.provider)) out[r.provider] = { until: r.until_ms, reason: r.reason };
      return out;
    },
    close() {
      if (db.open) db.close();
    },
  };
}

/** A cooldown store that lives in this process only (unit tests; the fallback when router.db cannot be opened). */
export function createMemoryCooldownStore(): CooldownStore {
  const rows = new Map<ProviderName, Cooldown>();
  return {
    get: (p) => (rows.has(p) ? { ...rows.get(p)! } : undefined),
    set: (p, until, reason) => {
      rows.set(p, { until, reason });
    },
    clear: (p) => {
      rows.delete(p);
    },
    all: () => Object.fromEntries([...rows].map(([p, c]) => [p, { ...c }])),
    close: () => undefined,
  };
}
