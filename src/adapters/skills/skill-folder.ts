/**
 * Skill folders on disk: reading one into memory with its safety checks (no entry leaving the folder,
 * no directory or escaping symlinks, no special files, size limits), writing a validated file list
 * out as regular files, listing skill folders, and removing them. A top-level `.git` is skipped: it is
 * neither read, digested nor installed.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { UserError } from '../../core/errors.js';
import { ensureDir } from '../system/files.js';
import { SKILL_LIMITS, type SkillLimits } from '../../core/skills/manifest.js';
import { isSafeRelativePath, type SkillFile } from '../../core/skills/signature.js';

/**
 * Reads every file under `dir` (symlinks to files inside the folder are read through; their content
 * counts). Throws E_SKILL_SOURCE when `dir` is not a folder, E_SKILL_UNSAFE naming the entry for an
 * escaping or directory symlink, a special file or an odd name, E_SKILL_TOO_LARGE over `limits`.
 */
export function readSkillFolder(dir: string, limits: SkillLimits = SKILL_LIMITS): SkillFile[] {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new UserError('E_SKILL_SOURCE', `${dir} is not a readable folder.`);
  }
  const files: SkillFile[] = [];
  let total = 0;
  const unsafe = (rel: string, why: string) => new UserError('E_SKILL_UNSAFE', `${join(dir, rel)}: ${why}.`);
  const add = (rel: string, abs: string) => {
    if (files.length + 1 > limits.maxFiles)
      throw new UserError('E_SKILL_TOO_LARGE', `${dir} has more than ${limits.maxFiles} files.`);
    const content = readRegularFile(
      abs,
      limits.maxFileBytes,
      () => unsafe(rel, 'not a regular file'),
      (size) =>
        new UserError(
          'E_SKILL_TOO_LARGE',
          `${join(dir, rel)} is ${size} bytes; a skill file may have at most ${limits.maxFileBytes}.`,
        ),
    );
    total += content.byteLength;
    if (total > limits.maxTotalBytes)
      throw new UserError('E_SKILL_TOO_LARGE', `${dir} holds more than ${limits.maxTotalBytes} bytes.`);
    files.push({ path: rel, content });
  };
  const walk = (absDir: string, relDir: string, depth: number) => {
    if (depth > limits.maxDepth)
      throw new UserError(
        'E_SKILL_TOO_LARGE',
        `${join(dir, relDir)} is nested deeper than ${limits.maxDepth} folders.`,
      );
    for (const name of readdirSync(absDir).sort()) {
      if (relDir === '' && name === '.git') continue;
      const rel = relDir ? `${relDir}/${name}` : name;
      // eslint-disable-next-line no-control-regex
      if (!isSafeRelativePath(rel) || /[\u0000-\u001f\u007f]/.test(name))
        throw unsafe(rel, 'the name is not a safe relative path');
      const abs = join(absDir, name);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(abs);
        } catch {
          throw unsafe(rel, 'a symlink whose target does not exist');
        }
        if (!target.startsWith(root + sep)) throw unsafe(rel, `a symlink leaving the skill folder (to ${target})`);
        if (!statSync(target).isFile()) throw unsafe(rel, 'a symlink to something other than a file');
        add(rel, target);
      } else if (st.isDirectory()) {
        walk(abs, rel, depth + 1);
      } else if (st.isFile()) {
        add(rel, abs);
      } else {
        throw unsafe(rel, 'not a regular file or folder');
      }
    }
  };
  walk(root, '', 0);
  return files;
}

/**
 * Reads a regular file opened with O_NOFOLLOW (a file swapped for a symlink after the walk looked at it
 * is refused, not followed), at most `max` bytes by fstat; the size check is on the open descriptor.
 */
function readRegularFile(abs: string, max: number, notRegular: () => Error, tooLarge: (size: number) => Error): Buffer {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw notRegular();
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular();
    if (st.size > max) throw tooLarge(st.size);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `files` under `dir` (created) as new regular files (never through a symlink), private (0600 in 0700
 * folders: the global skills dir) or, with `shared` (a project's skills, committed to its repository), 0644
 * in 0755 folders; refuses unsafe paths as a backstop.
 */
export function writeSkillFiles(dir: string, files: readonly SkillFile[], shared = false): void {
  const [dirMode, fileMode] = shared ? [0o755, 0o644] : [0o700, 0o600];
  ensureDir(dir, dirMode);
  for (const f of files) {
    if (!isSafeRelativePath(f.path))
      throw new UserError('E_SKILL_UNSAFE', `${f.path}: the name is not a safe relative path.`);
    const abs = join(dir, ...f.path.split('/'));
    ensureDir(dirname(abs), dirMode);
    const fd = openSync(
      abs,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      fileMode,
    );
    try {
      fchmodSync(fd, fileMode);
      writeFileSync(fd, f.content);
    } finally {
      closeSync(fd);
    }
  }
}

/** Child folders of `root` that hold a skill.toml, skipping dot-folders; [] when `root` is missing. */
export function listSkillFolders(root: string): { name: string; dir: string }[] {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .map((name) => ({ name, dir: join(root, name) }))
    .filter(({ dir }) => isFile(join(dir, 'skill.toml')));
}

/** Whether `p` is a regular file (following symlinks); false when missing. */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Whether anything (even a dangling symlink) exists at `p`. */
export function pathExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a private staging folder `<root>/.staging-XXXXXX` (same filesystem, so renames are atomic); a
 * missing `root` is made 0700, or 0755 when `shared` (a project's skills folder).
 */
export function makeStagingDir(root: string, shared = false): string {
  ensureDir(root, shared ? 0o755 : 0o700);
  return mkdtempSync(join(root, '.staging-'));
}

/** Removes `<root>/.staging-*` folders last changed more than `maxAgeMs` before `nowMs` (left by a killed install). */
export function removeStaleStaging(root: string, maxAgeMs: number, nowMs: number): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const n of names.filter((x) => x.startsWith('.staging-'))) {
    const p = join(root, n);
    try {
      if (nowMs - lstatSync(p).mtimeMs > maxAgeMs) removeTree(p);
    } catch {
      /* raced with another cleanup */
    }
  }
}

/** Renames `from` to `to` (same filesystem). */
export function movePath(from: string, to: string): void {
  renameSync(from, to);
}

/** Removes a file or folder tree; missing is fine. */
export function removeTree(p: string): void {
  rmSync(p, { recursive: true, force: true });
}
