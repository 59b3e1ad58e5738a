/** A small in-memory cache whose entries expire after a TTL, bounded by entry count (least recently used goes first). */

export interface TtlCacheOptions {
  /** Lifetime of an entry in milliseconds; 0 disables caching (get always misses). */
  ttlMs: number;
  /** Most entries kept; the least recently used is dropped to make room (default 200). */
  maxEntries?: number;
  /** Clock in epoch milliseconds (injected so tests control expiry). */
  now: () => number;
}

export interface CacheHit<V> {
  value: V;
  /** When the entry was stored, epoch ms. */
  storedAt: number;
}

export interface TtlCache<V> {
  /** The live entry for `key` (and marks it recently used), or undefined when absent or expired. */
  get(key: string): CacheHit<V> | undefined;
  /** Stores `value` now, replacing any entry for `key`, evicting expired then least recently used entries. */
  set(key: string, value: V): void;
  delete(key: string): void;
  /** Drops every entry; returns how many there were. */
  clear(): number;
  readonly size: number;
}

export function createTtlCache<V>(opts: TtlCacheOptions): TtlCache<V> {
  const max = Math.max(1, opts.maxEntries ?? 200);
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  const entries = new Map<string, CacheHit<V>>();
  const expired = (e: CacheHit<V>) => opts.now() - e.storedAt >= opts.ttlMs;
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (expired(e)) return undefined;
      entries.set(key, e);
      return e;
    },
    set(key, value) {
      if (opts.ttlMs <= 0) return;
      entries.delete(key);
      if (entries.size >= max) {
        for (const [k, e] of entries) if (expired(e)) entries.delete(k);
      }
      while (entries.size >= max) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
      entries.set(key, { value, storedAt: opts.now() });
    },
    delete(key) {
      entries.delete(key);
    },
    clear() {
      const n = entries.size;
      entries.clear();
      return n;
    },
    get size() {
      return entries.size;
    },
  };
}
