/**
 * Small filesystem helpers: atomic writes, safe reads, watching a directory for a file. Writes never follow a
 * symlink at the target and give new files and directories an exact mode (0600 / 0700 unless asked), so a
 * secret is never readable by another user whatever the umask (docs/security/file-modes.md).
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
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
import { systemClock } from './clock.js';
import { waitUntil, type Clock } from '../../core/clock.js';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.js';

/**
 * Creates `dir` and any missing parents, each with exactly `mode` (default 0700, whatever the umask). An
 * existing directory is left as it is: crewmux's own roots are tightened by `tightenDir` when opened.
 */
export function ensureDir(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  mkdirSync(dir, { recursive: true, mode });
  for (const d of missing) {
    try {
      chmodSync(d, mode);
    } catch {
      /* made by someone else meanwhile */
    }
  }
}

/** Throws E_UNSAFE_PATH when `path` is a symbolic link (crewmux never writes a secret through one). */
export function refuseSymlink(path: string): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink())
    throw new UserError(
      'E_UNSAFE_PATH',
      `${path} is a symbolic link; crewmux does not write through one.`,
      `Look at where it points (ls -l ${path}), then remove it and run the command again.`,
    );
}

/**
 * Writes `content` to a new temp file beside `file` (O_EXCL|O_NOFOLLOW, exactly `mode`, default 0600) and
 * renames it into place; refuses (E_UNSAFE_PATH) when `file` is a symlink. Missing parents are created 0700
 * (0755 when `mode` is readable by others).
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, mode = 0o600): void {
  ensureDir(dirname(file), mode & 0o044 ? 0o755 : 0o700);
  refuseSymlink(file);
  // node:crypto is fetched here, not imported: loading it costs every command (`crewmux status`) ~20 internal modules.
  const tmp = `${file}.${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      fchmodSync(fd, mode);
      writeFileSync(fd, content);
    } finally {
      closeSync(fd);
    }
    // rename(2) replaces a symlink swapped in after the check; it never writes through one.
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes sure the file `file` exists as a regular file of mode 0600 (created with O_NOFOLLOW; an existing one
 * with group or other bits is chmodded), and that its SQLite companions (-wal, -shm, -journal) are 0600 too.
 * Throws E_UNSAFE_PATH for a symlink or a non-regular file. For databases opened by path afterwards.
 */
export function preparePrivateFile(file: string): void {
  ensureDir(dirname(file));
  refuseSymlink(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') refuseSymlink(file);
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new UserError(
        'E_UNSAFE_PATH',
        `${file} is not a regular file.`,
        `Look at it (ls -l ${file}) and remove it.`,
      );
    if (st.mode & 0o077) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const companion = file + suffix;
    refuseSymlink(companion);
    try {
      if (statSync(companion).mode & 0o077) chmodSync(companion, 0o600);
    } catch {
      /* not there */
    }
  }
}

/**
 * Makes an existing directory of crewmux's (a config, data or runtime root) 0700 and returns its old mode
 * when it had group or other bits; undefined when it was private or is missing. Throws E_UNSAFE_PATH when
 * it belongs to another user (someone else could plant files in it).
 */
export function tightenDir(dir: string, uid = process.getuid?.()): number | undefined {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    return undefined;
  }
  if (uid !== undefined && st.uid !== uid)
    throw new UserError(
      'E_UNSAFE_PATH',
      `${dir} belongs to uid ${st.uid}, not to you (uid ${uid}); another user could read or plant files there.`,
      'Remove it, or point CREWMUX_DATA_DIR / CREWMUX_CONFIG_DIR / CREWMUX_RUNTIME_DIR at a directory of yours.',
    );
  const mode = st.mode & 0o777;
  if (!(mode & 0o077)) return undefined;
  chmodSync(dir, 0o700);
  return mode;
}

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Appends `text` to `file` without following a symlink (E_UNSAFE_PATH); a file it creates gets exactly
 * `mode` (default 0600; pass 0o644 for a file of the user's repository).
 */
export function appendText(file: string, text: string, mode = 0o600): void {
  ensureDir(dirname(file), mode & 0o044 ? 0o755 : 0o700);
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(file, flags | constants.O_CREAT | constants.O_EXCL, mode);
    fchmodSync(fd, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      fd = openSync(file, flags);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'ELOOP') refuseSymlink(file);
      throw e2;
    }
  }
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
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
    if (!existsSync(file)) appendText(file, '');
    const w = watch(file, { persistent: false }, () => onChange());
    w.on('error', () => {
      /* the file may be removed with its session */
    });
    return w;
  } catch {
    return undefined;
  }
}

/**
 * Removes `file` once it is empty (a pane's env file its shell emptied after reading it: app/workers/panes.ts), seen
 * by a watch, never by polling; a file that is never emptied (its pane died first) stays, as an unread one did.
 */
export function removeOnceEmptied(file: string): void {
  let w: FSWatcher | undefined;
  const check = () => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      w?.close();
      return;
    }
    if (size > 0) return;
    w?.close();
    try {
      unlinkSync(file);
    } catch {
      /* gone already */
    }
  };
  try {
    w = watch(file, { persistent: false }, check);
    w.on('error', () => w?.close());
  } catch {
    return;
  }
  check();
}

/** Creates a named pipe at `path` (replacing a stale one). */
export async function createFifo(path: string): Promise<void> {
  ensureDir(dirname(path));
  try {
    unlinkSync(path);
  } catch {
    /* none */
  }
  // Imported here: the spawn site is the only one of these helpers' needs that most commands never have.
  const { exec } = await import('../process/exec.js');
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

/** Removes `path` when it is a Unix socket (one a killed server left); anything else there is left as it is. */
export function removeStaleSocket(path: string): void {
  if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) unlinkSync(path);
}

/** Makes `path` readable and writable by its owner only (mode 0600, whatever the umask gave it). */
export function makeOwnerOnly(path: string): void {
  chmodSync(path, 0o600);
}

/** Removes a directory and everything below it if it exists (symlinks inside are removed, not followed). */
export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Modification time of `path` in epoch ms; undefined when it cannot be read. */
export function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
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

/** Renames `from` to `to` (same file system; replaces `to`): a process writing to `from` keeps writing to `to`. */
export function moveFile(from: string, to: string): void {
  renameSync(from, to);
}
