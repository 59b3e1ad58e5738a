/**
 * The Store port for unit tests: the real SQLite adapter (adapters/state/store.ts) on an in-memory database,
 * so rows, constraints, transactions and zod validation behave exactly as in production. Nothing is
 * written to disk; close() frees it. Not modelled: several processes sharing one file (WAL readers).
 */
import { openStore, type SqliteStore } from '../../src/adapters/state/store.js';

/** A fresh, empty in-memory store whose timestamps come from `now` (default Date.now). */
export function createMemoryStore(now: () => number = Date.now): SqliteStore {
  return openStore(':memory:', now);
}
