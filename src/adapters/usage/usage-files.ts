/**
 * Agents' own usage files, read incrementally: complete lines from a byte offset (a line still being
 * written is left for the next read), Claude Code transcripts below a CLAUDE_CONFIG_DIR, and Codex
 * rollouts below CODEX_HOME/sessions whose first line names the agent's worktree as its cwd.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { listFilesBelow } from '../files.js';
import type { UsageFiles } from '../../app/ports/usage.js';
import { codexRolloutCwd } from '../../core/usage/codex-rollout.js';

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

/** The files adapter on the real filesystem; it remembers each rollout's cwd (read once from its first line). */
export function createUsageFiles(): UsageFiles {
  const cwdOf = new Map<string, string>();
  const firstLine = (file: string): string => {
    const buf = readBytes(file, 0, 1 << 20);
    const end = buf.indexOf(0x0a);
    return end < 0 ? '' : buf.subarray(0, end).toString('utf8');
  };
  return {
    readLines(file: string, offset: number, maxBytes = 8 << 20) {
      const buf = readBytes(file, offset, maxBytes);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return { lines: [], next: offset };
      // Cut at a newline byte, so a multibyte character is never split.
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      return { lines, next: offset + end + 1 };
    },
    claudeTranscripts: (configDir) => listFilesBelow(join(configDir, 'projects'), '.jsonl').map((f) => f.path),
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
  };
}
