/**
 * Agents' own usage files, read incrementally: complete lines from a byte offset (a line still being
 * written is left for the next read), Claude Code transcripts below a CLAUDE_CONFIG_DIR, Codex
 * rollouts below CODEX_HOME/sessions whose first line names the agent's worktree as its cwd, Gemini CLI and
 * Qwen Code chat recordings whose first line names it (Gemini by its sha256), Copilot CLI session event logs
 * whose first line names it, and OpenCode's (or Kilo Code's)
 * step-finish parts read from its SQLite storage (read-only, never waiting; OpenCode keeps writing it).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { listFilesBelow } from '../system/files.js';
import { utf8Exact } from '../../core/text/utf8-exact.js';
import type { UsageFiles } from '../../app/ports/usage.js';
import { codexRolloutCwd } from '../../core/usage/codex-rollout.js';
import { geminiChatProjectHash } from '../../core/usage/gemini-chat.js';
import { qwenChatCwd } from '../../core/usage/qwen-chat.js';
import { copilotEventsCwd } from '../../core/usage/copilot-events.js';
import type { OpencodeStepRow } from '../../core/usage/opencode-steps.js';

function readBytes(file: string, offset: number, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    // Only what is there: most reads find a few new lines, and a zero-filled 8 MiB buffer per file is not free.
    const size = Math.max(0, Math.min(max, fstatSync(fd).size - offset));
    if (size === 0) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(size);
    const n = readSync(fd, buf, 0, size, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Codex files its rollouts by local date (`sessions/YYYY/MM/DD`): only the days from one before `sinceMs` to
 * one after `nowMs` are listed, so a user's years of sessions are never walked.
 */
function dayDirs(sinceMs: number, nowMs: number): string[] {
  const day = 86_400_000;
  const out: string[] = [];
  for (let t = sinceMs - day; t <= Math.max(nowMs, sinceMs) + day; t += day) {
    const d = new Date(t);
    const p = (n: number) => String(n).padStart(2, '0');
    out.push(join(String(d.getFullYear()), p(d.getMonth() + 1), p(d.getDate())));
  }
  return [...new Set(out)];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** `<root>/<any>/<sub>/*<suffix>` changed at or after `sinceMs` (one level of project directories, not a walk). */
function filesTwoDown(root: string, sub: string, suffix: string, sinceMs: number): string[] {
  let projects: string[];
  try {
    projects = readdirSync(root);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const p of projects) {
    const dir = join(root, p, sub);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith(suffix)) continue;
      try {
        const st = statSync(join(dir, n));
        if (st.isFile() && st.mtimeMs >= sinceMs) out.push(join(dir, n));
      } catch {
        // Gone between the listing and the stat.
      }
    }
  }
  return out.sort();
}

/** `<root>/<any>/<name>` changed at or after `sinceMs` (one level of session directories, not a walk). */
function filesOneDown(root: string, name: string, sinceMs: number): string[] {
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const d of dirs) {
    const file = join(root, d, name);
    try {
      const st = statSync(file);
      if (st.isFile() && st.mtimeMs >= sinceMs) out.push(file);
    } catch {
      // Not a session directory, or gone between the listing and the stat.
    }
  }
  return out.sort();
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * OpenCode's step-finish parts of one directory's sessions. CROSS JOIN keeps SQLite's loop order: the sessions
 * first (a few rows), then their parts through OpenCode's `part_session_idx`, so a user's years of parts are not
 * scanned on every pass (one short statement: its read transaction ends with it).
 */
export const OPENCODE_STEPS = `SELECT p.id AS id, p.data AS data, m.data AS message, p.time_created AS timeCreated,
    p.time_updated AS timeUpdated
  FROM session s CROSS JOIN part p ON p.session_id = s.id JOIN message m ON m.id = p.message_id
  WHERE s.directory IN (?, ?) AND s.time_created >= ? AND p.time_updated >= ?
    AND p.data LIKE '%"step-finish"%'
  ORDER BY p.time_updated`;

/** The files adapter on the real filesystem; it remembers each usage file's owner (read once from its first line). */
export function createUsageFiles(): UsageFiles {
  const cwdOf = new Map<string, string>();
  const firstLine = (file: string): string => {
    const buf = readBytes(file, 0, 1 << 20);
    const end = buf.indexOf(0x0a);
    return end < 0 ? '' : buf.subarray(0, end).toString('utf8');
  };
  /** `files` whose first line names an owner (`ownerOf`) in `want`. */
  const ownedBy = (files: string[], want: Set<string>, ownerOf: (line: string) => string | undefined) =>
    files.filter((path) => {
      let c = cwdOf.get(path);
      if (c === undefined) {
        const line = firstLine(path);
        // A first line still being written is read again next time.
        if (!line) return false;
        c = ownerOf(line) ?? '';
        cwdOf.set(path, c);
      }
      return c !== '' && want.has(c);
    });
  return {
    readLines(file: string, offset: number, maxBytes = 8 << 20) {
      const buf = readBytes(file, offset, maxBytes);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return { lines: [], next: offset };
      // Cut at a newline byte, so a multibyte character is never split.
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      return { lines, next: offset + end + 1 };
    },
    readText(file: string, offset: number, maxBytes: number) {
      const buf = readBytes(file, offset, maxBytes);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return { text: '', next: offset };
      return { text: utf8Exact(buf.subarray(0, end + 1)), next: offset + end + 1 };
    },
    claudeTranscripts: (configDir) => listFilesBelow(join(configDir, 'projects'), '.jsonl').map((f) => f.path),
    mirrored: (dir) => listFilesBelow(dir, '.jsonl').map((f) => f.path),
    codexRollouts(codexHome, sinceMs, cwd) {
      const want = new Set([cwd, real(cwd)]);
      return dayDirs(sinceMs, Date.now())
        .flatMap((d) => listFilesBelow(join(codexHome, 'sessions', d), '.jsonl'))
        .filter((f) => f.mtimeMs >= sinceMs && /(^|\/)rollout-[^/]*$/.test(f.path))
        .map((f) => f.path)
        .filter((path) => {
          let c = cwdOf.get(path);
          if (c === undefined) {
            const line = firstLine(path);
            // A first line still being written is read again next time.
            if (!line) return false;
            c = codexRolloutCwd(line) ?? '';
            cwdOf.set(path, c);
          }
          return c !== '' && (want.has(c) || want.has(real(c)));
        });
    },
    geminiChats(geminiDir, sinceMs, cwd) {
      const want = new Set([sha256(cwd), sha256(real(cwd))]);
      return ownedBy(filesTwoDown(join(geminiDir, 'tmp'), 'chats', '.jsonl', sinceMs), want, geminiChatProjectHash);
    },
    qwenChats(qwenDir, sinceMs, cwd) {
      const want = new Set([cwd, real(cwd)]);
      return ownedBy(filesTwoDown(join(qwenDir, 'projects'), 'chats', '.jsonl', sinceMs), want, qwenChatCwd);
    },
    copilotEvents(copilotDir, sinceMs, cwd) {
      const want = new Set([cwd, real(cwd)]);
      return ownedBy(filesOneDown(join(copilotDir, 'session-state'), 'events.jsonl', sinceMs), want, copilotEventsCwd);
    },
    opencodeSteps(dbFile, cwd, sinceMs, updatedSince) {
      const none = { rows: [], lastUpdated: updatedSince };
      // OpenCode switches its database to WAL before migrating it; until the WAL file exists it is still being
      // created, and a reader in rollback mode could make OpenCode's own writes fail as busy.
      if (!existsSync(dbFile) || !existsSync(`${dbFile}-wal`)) return none;
      let db: Database.Database | undefined;
      try {
        // Read only (the file is opened O_RDONLY: no write lock on it, so no checkpoint at close), never waiting on
        // OpenCode's locks (this runs in the supervisor's event loop; busy is "next pass"), one statement, closed
        // at once: crewmux holds no lock or read snapshot between passes. Proved against the real OpenCode: not one
        // of its lock requests failed while this ran every 50 ms through a whole turn (docs/agents.md#usage).
        db = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 0 });
        db.pragma('query_only = ON');
        const rows = db.prepare(OPENCODE_STEPS).all(cwd, real(cwd), sinceMs, updatedSince) as (OpencodeStepRow & {
          timeUpdated: number;
        })[];
        const lastUpdated = rows.reduce((m, r) => Math.max(m, r.timeUpdated), updatedSince);
        return {
          rows: rows.map(({ id, data, message, timeCreated, timeUpdated }) => ({
            id,
            data,
            message,
            timeCreated,
            timeUpdated,
          })),
          lastUpdated,
        };
      } catch (e) {
        // Busy, or tables not migrated yet: read again on the next pass; anything else is the collector's error.
        const code = (e as { code?: unknown }).code;
        if (code === 'SQLITE_BUSY' || /no such table/.test((e as Error).message)) return none;
        throw e;
      } finally {
        db?.close();
      }
    },
  };
}
