/**
 * A pool worktree handed to a worker without starting git (git.ts `checkoutNewBranchAt`): on spawn_worker's path
 * every process start counts (node waits for each child's exec, 40 ms and more on a busy machine), and the hand-over
 * is two of them. Done the way git's files backend does it (git 2.39, refs/files-backend.c): each file is written
 * under its `.lock` (created exclusively: every git writer takes the same lock, so a lock held is a ref no one else
 * changes) and renamed into place, with a reflog line where the repository keeps reflogs. Only the plain case is done
 * by hand: a linked worktree of a files-backend repository whose HEAD names a loose branch at `at`, a new branch under
 * `refs/heads/` with a plain name that exists neither loose nor packed; anything else answers false and git is asked.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { withUserUmask } from '../system/umask.js';

/** A branch name git accepts and that needs no quoting anywhere (crewmux's own: `crewmux/<sid>/w01-tester`). */
export const PLAIN_BRANCH = /^[A-Za-z0-9_-][A-Za-z0-9._/-]*\/[A-Za-z0-9._/-]*[A-Za-z0-9_-]$/;
/** Parts git refuses in a ref name (`..`, `//`, a component starting with `.`, one ending in `.lock`). */
export const REFUSED_PARTS = /\.\.|\/\/|\/\.|\.lock(\/|$)/;
const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** A linked worktree's git dir and its repository's common dir, from its `.git` file; undefined for anything else. */
export function linkedWorktreeDirs(dir: string): { gitDir: string; commonDir: string } | undefined {
  const m = /^gitdir: (.+?)\s*$/.exec(read(join(dir, '.git')) ?? '');
  if (!m) return undefined;
  const gitDir = resolve(dir, m[1]!);
  const common = read(join(gitDir, 'commondir'))?.trim();
  if (!common) return undefined;
  const commonDir = resolve(gitDir, common);
  // A reftable repository keeps no loose refs.
  if (existsSync(join(commonDir, 'reftable')) || !existsSync(join(commonDir, 'refs', 'heads'))) return undefined;
  return { gitDir, commonDir };
}

/** The `+hhmm`/`-hhmm` of this machine's time zone now, as git writes it. */
function tz(): string {
  const off = -new Date().getTimezoneOffset();
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/** Writes `text` to `file` through its lock (exclusive, renamed into place); false when the lock is held. */
function writeLocked(file: string, text: string, check: () => boolean = () => true): boolean {
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o666);
  } catch {
    return false;
  }
  try {
    if (!check()) {
      closeSync(fd);
      unlinkSync(lock);
      return false;
    }
    writeSync(fd, text);
    closeSync(fd);
    renameSync(lock, file);
    return true;
  } catch {
    try {
      unlinkSync(lock);
    } catch {
      /* renamed or gone */
    }
    return false;
  }
}

/** Appends a reflog line to `log`. */
function logLine(log: string, from: string, to: string, ident: string, message: string): void {
  mkdirSync(dirname(log), { recursive: true });
  const when = `${Math.floor(Date.now() / 1000)} ${tz()}`;
  appendFileSync(log, `${from} ${to} ${ident} ${when}\t${message}\n`);
}

/**
 * Creates branch `branch` at `at` and points worktree `dir`'s HEAD at it, as `git update-ref` + `git symbolic-ref`
 * would (their reflog messages too), when the plain case holds; `ident` is `Name <email>` of the committer. True when
 * done; false when git must do it (nothing was changed then: a branch made before HEAD could move is removed).
 */
export function handOverByHand(dir: string, branch: string, at: string, ident: string): boolean {
  // The user's umask, as git's own files get (crewmux's is 077).
  return withUserUmask(() => handOver(dir, branch, at, ident));
}

function handOver(dir: string, branch: string, at: string, ident: string): boolean {
  if (!PLAIN_BRANCH.test(branch) || REFUSED_PARTS.test(branch) || !COMMIT.test(at)) return false;
  const dirs = linkedWorktreeDirs(dir);
  if (!dirs) return false;
  const { gitDir, commonDir } = dirs;
  const head = /^ref: (refs\/heads\/\S+)\n$/.exec(read(join(gitDir, 'HEAD')) ?? '')?.[1];
  if (!head || read(join(commonDir, head))?.trim() !== at) return false;
  const ref = `refs/heads/${branch}`;
  const file = join(commonDir, ref);
  // Another ref on its path: a file where a folder of it goes (`refs/heads/a` beside `a/b`), loose or packed.
  const parts = ref.split('/');
  const prefixes = parts.slice(3, -1).map((_, i) => parts.slice(0, i + 3).join('/'));
  const isFile = (p: string) => {
    try {
      return !statSync(join(commonDir, p)).isDirectory();
    } catch {
      return false;
    }
  };
  if (prefixes.some(isFile)) return false;
  const packed = () => {
    const text = read(join(commonDir, 'packed-refs')) ?? '';
    return [ref, ...prefixes].some((r) => text.includes(` ${r}\n`)) || text.includes(` ${ref}/`);
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch {
    return false;
  }
  if (!writeLocked(file, `${at}\n`, () => !existsSync(file) && !packed())) return false;
  const headText = `ref: ${head}\n`;
  if (!writeLocked(join(gitDir, 'HEAD'), `ref: ${ref}\n`, () => read(join(gitDir, 'HEAD')) === headText)) {
    try {
      unlinkSync(file);
    } catch {
      /* git answers for it next */
    }
    return false;
  }
  // Reflogs where the repository keeps them (its pool branch has one: core.logAllRefUpdates).
  if (existsSync(join(commonDir, 'logs', head))) {
    logLine(join(commonDir, 'logs', ref), '0'.repeat(at.length), at, ident, `branch: Created from ${at}`);
    logLine(join(gitDir, 'logs', 'HEAD'), at, at, ident, `checkout: moving to ${branch}`);
  }
  return true;
}
