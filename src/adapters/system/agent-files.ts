/**
 * Writes a LaunchSpec's session-scoped files: user files it seeds from (copied when present), then its own
 * files. Some of those files land in a worktree, whose content a repository controls: a repo can commit
 * `.crush.json` or `.cursor` as a symlink to ~/.ssh/authorized_keys or ~/.ssh. So below each trusted root
 * no write follows a symlink: every directory on the way is checked with lstat, and the file is written
 * to a fresh temp file (O_EXCL, never a link) and renamed into place.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import type { LaunchSpec } from '../../core/agents/profile.js';
import { writeFileAtomic } from './files.js';

/** Thrown when a write would go through a symlink or over a non-file (a planted path in a repository). */
export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Creates the directories from `root` (exclusive) down to `dir`, refusing any that is a symlink or not a directory. */
function ensureRealDirs(root: string, dir: string): void {
  const rel = relative(root, dir);
  let current = root;
  for (const part of rel ? rel.split(sep) : []) {
    current = join(current, part);
    const st = lstatOrUndefined(current);
    if (!st) mkdirSync(current, { mode: 0o700 });
    else if (st.isSymbolicLink())
      throw new UnsafePathError(
        `refusing to write below ${current}: it is a symbolic link (the repository planted it)`,
      );
    else if (!st.isDirectory()) throw new UnsafePathError(`refusing to write below ${current}: it is not a directory`);
  }
}

/**
 * Writes `content` to `file` (mode `mode`) without following a symlink: the directories below `root` must be
 * real directories, an existing `file` must be a regular file, and the bytes go to an O_EXCL temp file that is
 * renamed over `file`. Throws UnsafePathError on a symlink, and the fs error on anything else.
 */
export function writeFileNoFollow(root: string, file: string, content: string, mode = 0o600): void {
  const rel = relative(root, file);
  if (!rel || rel.startsWith('..')) throw new UnsafePathError(`refusing to write ${file}: it is not below ${root}`);
  ensureRealDirs(root, dirname(file));
  const st = lstatOrUndefined(file);
  if (st && !st.isFile())
    throw new UnsafePathError(
      `refusing to write ${file}: it is ${st.isSymbolicLink() ? 'a symbolic link (the repository planted it)' : 'not a regular file'}`,
    );
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/**
 * Copies `spec.seed` (skipping missing sources) and writes `spec.files` (mode default 0600). A file below one
 * of `roots` (the worktree, the agent's state dir) is written with `writeFileNoFollow`; throws UnsafePathError
 * when a repository planted a symlink on the way, and the fs error on other I/O errors.
 */
export function writeLaunchFiles(spec: LaunchSpec, roots: readonly string[] = []): void {
  for (const s of spec.seed ?? []) {
    if (!existsSync(s.from)) continue;
    mkdirSync(dirname(s.to), { recursive: true, mode: 0o700 });
    // 0600, atomically, never through a symlink at the target.
    writeFileAtomic(s.to, readFileSync(s.from), 0o600);
  }
  for (const f of spec.files ?? []) {
    const root = roots.find((r) => f.path.startsWith(r.endsWith(sep) ? r : r + sep));
    if (root) {
      writeFileNoFollow(root, f.path, f.content, f.mode ?? 0o600);
      continue;
    }
    mkdirSync(dirname(f.path), { recursive: true, mode: 0o700 });
    writeFileNoFollow(dirname(f.path), f.path, f.content, f.mode ?? 0o600);
  }
}
