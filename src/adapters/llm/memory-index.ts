/**
 * The memory index: an SQLite FTS5 table (porter stemming) over the chunks of every memory file
 * crewmux has seen, one database in the data dir for all projects; each row remembers the memory
 * root it came from, so a search only sees the roots it names. The files stay the source of truth.
 */
import Database from 'better-sqlite3';
import { preparePrivateFile } from '../system/files.js';
import { z } from 'zod';
import type { MemoryChunk, MemoryHit, MemoryKind } from '../../core/llm/memory-text.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS memory_files (
  path TEXT PRIMARY KEY, root TEXT NOT NULL, rel TEXT NOT NULL, scope TEXT NOT NULL, kind TEXT NOT NULL,
  mtime_ms REAL NOT NULL, size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS memory_files_by_root ON memory_files(root);
CREATE VIRTUAL TABLE IF NOT EXISTS memory_fts USING fts5(
  path UNINDEXED, root UNINDEXED, rel UNINDEXED, scope UNINDEXED, kind UNINDEXED, title, body,
  tokenize = 'porter unicode61'
);`;

/** A memory file as the index knows it. */
export interface IndexedFile {
  path: string;
  root: string;
  /** Path relative to its root, for display (`topics/testing.md`). */
  rel: string;
  scope: 'project' | 'global';
  kind: MemoryKind;
  mtimeMs: number;
  size: number;
}

const FileRow = z.object({ path: z.string(), mtime_ms: z.number(), size: z.number().int() });
const HitRow = z.object({
  rel: z.string(),
  kind: z.enum(['topic', 'episode']),
  scope: z.enum(['project', 'global']),
  title: z.string(),
  body: z.string(),
  rank: z.number(),
});

export type MemoryIndex = ReturnType<typeof openMemoryIndex>;

/** Opens (creating if needed, 0600; E_UNSAFE_PATH for a symlink) the index database at `file`; close it with `close()`. */
export function openMemoryIndex(file: string) {
  // SQLite gives -wal and -shm the database's mode: create it 0600 first, never through a symlink.
  if (file !== ':memory:') preparePrivateFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const placeholders = (n: number) => Array(n).fill('?').join(', ');

  return {
    /** Files indexed under any of `roots`, with the mtime and size they had when indexed. */
    files(roots: string[]): { path: string; mtimeMs: number; size: number }[] {
      if (!roots.length) return [];
      return db
        .prepare(`SELECT path, mtime_ms, size FROM memory_files WHERE root IN (${placeholders(roots.length)})`)
        .all(...roots)
        .map((r) => FileRow.parse(r))
        .map((r) => ({ path: r.path, mtimeMs: r.mtime_ms, size: r.size }));
    },

    /** Replaces everything indexed for `f.path` with `chunks`, in one transaction. */
    put(f: IndexedFile, chunks: MemoryChunk[]): void {
      db.transaction(() => {
        db.prepare('DELETE FROM memory_fts WHERE path = ?').run(f.path);
        db.prepare(
          'INSERT OR REPLACE INTO memory_files (path, root, rel, scope, kind, mtime_ms, size) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(f.path, f.root, f.rel, f.scope, f.kind, f.mtimeMs, f.size);
        const insert = db.prepare(
          'INSERT INTO memory_fts (path, root, rel, scope, kind, title, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        for (const c of chunks) insert.run(f.path, f.root, f.rel, f.scope, f.kind, c.title, c.body);
      })();
    },

    /** Forgets a file that no longer exists. */
    remove(path: string): void {
      db.transaction(() => {
        db.prepare('DELETE FROM memory_fts WHERE path = ?').run(path);
        db.prepare('DELETE FROM memory_files WHERE path = ?').run(path);
      })();
    },

    /**
     * Chunks under `roots` matching the FTS5 expression `match`, best first (bm25 with titles weighted
     * 3x), at most `limit`. Throws on a malformed expression (core/llm/memory-text's ftsQuery never makes one).
     */
    search(match: string, roots: string[], limit: number): MemoryHit[] {
      if (!roots.length) return [];
      const rows = db
        .prepare(
          `SELECT rel, kind, scope, title, body, bm25(memory_fts, 0, 0, 0, 0, 0, 3.0, 1.0) AS rank FROM memory_fts
        WHERE memory_fts MATCH ? AND root IN (${placeholders(roots.length)}) ORDER BY rank LIMIT ?`,
        )
        .all(match, ...roots, limit);
      return rows
        .map((r) => HitRow.parse(r))
        .map((r) => ({ file: r.rel, kind: r.kind, scope: r.scope, title: r.title, body: r.body, rank: r.rank }));
    },

    close(): void {
      db.close();
    },
  };
}
