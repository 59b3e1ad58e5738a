/** Small filesystem helpers: atomic writes, safe reads, watching a directory for a file. */
import {
  accessSync,
  appendFileSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  watch,
  writeFileSync,
  writeSync,
  type FSWatcher,
  type Stats,
} from 'node:fs';
import { exec } from './exec.js';
import { systemClock } from './clock.js';
import { waitUntil, type Clock } from '../core/clock.js';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function ensureDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
}

/** Writes `content` to a temp file beside `file` and renames it into place. */
export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  ensureDir(dirname(file));
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function appendText(file: string, text: string): void {
  ensureDir(dirname(file));
  appendFileSync(file, text);
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Reads bytes [from, from+max) of `file` as UTF-8 (a split multibyte char at the edge becomes U+FFFD). */
export function readFrom(file: string, from: number, max = 1 << 20): { text: string; next: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { text: '', next: from };
  }
  try {
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, from);
    return { text: buf.subarray(0, n).toString('utf8'), next: from + n };
  } finally {
    closeSync(fd);
  }
}

/** Watches `dir` (created if missing) and calls `onChange(filename)` for every change in it. */
export function watchDir(dir: string, onChange: (name: string | null) => void): FSWatcher | undefined {
  try {
    ensureDir(dir);
    const w = watch(dir, { persistent: false }, (_event, name) => onChange(name ? String(name) : null));
    w.on('error', () => {
      /* the directory may go away with its worktree */
    });
    return w;
  } catch {
    return undefined;
  }
}

/** Watches one file for appends; `onChange` fires on every write. */
export function watchFile(file: string, onChange: () => void): FSWatcher | undefined {
  try {
    if (!existsSync(file)) writeFileSync(file, '', { flag: 'a' });
    const w = watch(file, { persistent: false }, () => onChange());
    w.on('error', () => {
      /* the file may be removed with its session */
    });
    return w;
  } catch {
    return undefined;
  }
}

/** Creates a named pipe at `path` (replacing a stale one). */
export async function createFifo(path: string): Promise<void> {
  ensureDir(dirname(path));
  try {
    unlinkSync(path);
  } catch {
    /* none */
  }
  await exec('mkfifo', ['-m', '600', path]);
}

/**
 * Opens the gate a pane waits at (`read _ < FIFO`): writes one line once the reader has the pipe open
 * (retrying a non-blocking open every 3 ms for up to `timeoutMs`, default 15 000), then removes the pipe.
 */
export async function openFifoGate(path: string, timeoutMs = 15_000, clock: Clock = systemClock): Promise<void> {
  const fail = (e: unknown) => new Error(`the pane never opened its start gate ${path}: ${(e as Error).message}`);
  let noReader: unknown;
  const opened = await waitUntil(
    () => {
      try {
        const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        try {
          writeSync(fd, 'go\n');
        } finally {
          closeSync(fd);
        }
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
        return true;
      } catch (e) {
        // ENXIO: nobody has the pipe open for reading yet.
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw fail(e);
        noReader = e;
        return undefined;
      }
    },
    { timeoutMs, intervalMs: 3, clock },
  );
  if (!opened) throw fail(noReader);
}

/** Removes a file if it exists. */
export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

export function pathExists(path: string): boolean {
  return existsSync(path);
}

/** Entry names of `dir` (empty when it cannot be read). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Calls `visit` for every non-directory entry below `dir` (recursive, symlinks not followed; vanished entries skipped). */
function walkBelow(dir: string, visit: (path: string, name: string, st: Stats) => void): void {
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const n of listDir(d)) {
      const p = join(d, n);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) stack.push(p);
      else visit(p, n, st);
    }
  }
}

/** Bytes of every regular file below `dir` (symlinks not followed). */
export function dirBytes(dir: string): number {
  let total = 0;
  walkBelow(dir, (_p, _n, st) => {
    total += st.size;
  });
  return total;
}

/** A new directory `<parent>/<prefix>XXXXXX`. */
export function makeTempDir(parent: string, prefix: string): string {
  return mkdtempSync(join(parent, prefix));
}

/** Creates `dir` if needed and throws unless this process can write to it. */
export function assertWritableDir(dir: string): void {
  ensureDir(dir);
  accessSync(dir, constants.W_OK);
}

/** Reads a whole UTF-8 file; throws the fs error (with its code) when it cannot. */
export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Regular files below `dir` (recursive, symlinks not followed) whose names end in `suffix`, with mtime and size. */
export function listFilesBelow(dir: string, suffix: string): { path: string; mtimeMs: number; size: number }[] {
  const out: { path: string; mtimeMs: number; size: number }[] = [];
  walkBelow(dir, (path, name, st) => {
    if (st.isFile() && name.endsWith(suffix)) out.push({ path, mtimeMs: st.mtimeMs, size: st.size });
  });
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
