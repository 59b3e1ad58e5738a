/**
 * The AcpFiles port over the real file system: the text files of one worktree, served to its ACP agent's
 * `fs/read_text_file` and `fs/write_text_file` (OpenCode 1.18.33 sends the latter after each edit crewmux allowed,
 * though crewmux offers no file system). A path is served only when it is absolute and, with every symlink resolved
 * (the worktree's own path too), lies below the worktree and outside its `.git`. The file itself is opened with
 * O_NOFOLLOW at its resolved path, so a symlink swapped in after the check is not followed; missing folders are made
 * one at a time (0700), each resolved and checked again. An existing file is rewritten in place (its mode kept), and
 * not at all when it already holds the content; a new one is created 0600.
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AcpPathRefused, type AcpFiles } from '../../app/ports/acp.js';

const lstatOrUndefined = (p: string): Stats | undefined => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

/** Writes all of `content` at the start of the file open on `fd`. */
function writeAll(fd: number, content: string): void {
  const data = Buffer.from(content, 'utf8');
  for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at, at);
}

/** The AcpFiles of the worktree `root`. */
export function worktreeFiles(root: string): AcpFiles {
  let realRoot: string | undefined;

  /** Throws unless `real` (resolved) is below the worktree and outside `.git`. */
  const confine = (real: string, asked: string): void => {
    realRoot ??= realpathSync(root);
    const rel = relative(realRoot, real);
    if (rel === '') throw new AcpPathRefused(`${asked} is the worktree itself, not a file in it`);
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new AcpPathRefused(`${asked} is outside the worktree ${root} (symlinks resolved)`);
    if (rel.split(sep).includes('.git')) throw new AcpPathRefused(`${asked} is in git's own files (.git)`);
  };

  /**
   * `path` resolved: the real path of its deepest existing part, the missing names after it; throws when the path
   * is relative, or a part of it is a symlink that leads nowhere.
   */
  const locate = (path: string): { real: string; missing: string[] } => {
    if (!isAbsolute(path)) throw new AcpPathRefused(`${path} is not an absolute path`);
    const missing: string[] = [];
    let at = resolve(path);
    while (!lstatOrUndefined(at)) {
      if (dirname(at) === at) break;
      missing.unshift(basename(at));
      at = dirname(at);
    }
    let real: string;
    try {
      real = realpathSync(at);
    } catch {
      throw new AcpPathRefused(`${path}: ${at} is a symlink to nothing`);
    }
    confine(missing.length ? join(real, ...missing) : real, path);
    return { real, missing };
  };

  const regular = (fd: number, path: string) => {
    if (!fstatSync(fd).isFile()) throw new AcpPathRefused(`${path} is not a regular file`);
  };

  const readFd = (fd: number, path: string): string => {
    regular(fd, path);
    return readFileSync(fd, 'utf8');
  };

  /** Rewrites the existing file `real` in place unless it holds `content` already. */
  const rewrite = (real: string, content: string, path: string): boolean => {
    const fd = openSync(real, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (readFd(fd, path) === content) return false;
      // Truncated and written from 0: the same file (inode, mode, links) with the new content.
      ftruncateSync(fd, 0);
      writeAll(fd, content);
      return true;
    } finally {
      closeSync(fd);
    }
  };

  return {
    read(path) {
      const { real, missing } = locate(path);
      if (missing.length) return undefined;
      const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        return readFd(fd, path);
      } finally {
        closeSync(fd);
      }
    },
    write(path, content) {
      const { real, missing } = locate(path);
      if (!missing.length) return rewrite(real, content, path);
      let dir = real;
      for (const name of missing.slice(0, -1)) {
        const next = join(dir, name);
        try {
          mkdirSync(next, { mode: 0o700 });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        dir = realpathSync(next);
        confine(dir, path);
      }
      const file = join(dir, missing.at(-1)!);
      let fd: number;
      try {
        fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (e) {
        // Made meanwhile (the agent writes it too): rewritten like any existing file, if it is still inside.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const again = locate(path);
        if (again.missing.length) throw e;
        return rewrite(again.real, content, path);
      }
      try {
        writeAll(fd, content);
      } finally {
        closeSync(fd);
      }
      return true;
    },
  };
}
