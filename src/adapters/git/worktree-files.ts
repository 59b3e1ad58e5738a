/**
 * The file-system side of a worktree's bootstrap (the WorktreeFiles port): `.worktreeinclude` copies, folder clones
 * with a reflink probe, the `.env.local` managed block and per-worktree port locks.
 *
 * `.worktreeinclude` matching is git's own: `git ls-files --others --ignored --exclude-from=.worktreeinclude` lists
 * the untracked files its patterns match (gitignore syntax, negation and all; git never enters a folder holding its
 * own .git), and `git check-ignore --stdin` keeps those git ignores. No second gitignore implementation to drift from
 * git's (the npm `ignore` package differs from git on a few edge cases and would be a new dependency).
 */
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { exec } from '../process/exec.js';
import { ensureDir, readIfExists, writeFileAtomic } from '../system/files.js';
import { portCandidates, PORT_BLOCK, withManagedEnvBlock, type CloneMethod } from '../../core/worktrees/bootstrap.js';
import type { IncludeResult, WorktreeFiles } from '../../app/ports/worktree-files.js';
import type { IncludedFile } from '../../core/nodes/bootstrap-protocol.js';

const INCLUDE_FILE = '.worktreeinclude';

/** An included file that may be copied or sent: its path in the repository, where it is, and what it is. */
interface Picked {
  rel: string;
  src: string;
  mode: number;
  size: number;
  /** A symlink's target (relative, staying inside the repository). */
  link?: string;
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

function lstatOrUndefined(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The first regular, non-empty file below `dir` (breadth-first, at most `budget` entries looked at). */
function sampleFile(dir: string, budget = 2000): string | undefined {
  const queue = [dir];
  let seen = 0;
  while (queue.length && seen < budget) {
    const d = queue.shift()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (++seen > budget) break;
      const p = join(d, n);
      const st = lstatOrUndefined(p);
      if (st?.isFile() && st.size > 0) return p;
      if (st?.isDirectory()) queue.push(p);
    }
  }
  return undefined;
}

/** Binds 127.0.0.1:`port` and releases it; false when it is taken. */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

/** The real WorktreeFiles; its reflink probe results are cached per pair of file systems for its lifetime. */
export function createWorktreeFiles(): WorktreeFiles {
  const probes = new Map<string, { method: CloneMethod; why: string }>();

  async function listIncluded(root: string): Promise<string[]> {
    const st = lstatOrUndefined(join(root, INCLUDE_FILE));
    if (!st?.isFile()) return [];
    const matched = await exec('git', ['ls-files', '-z', '--others', '--ignored', `--exclude-from=${INCLUDE_FILE}`], {
      cwd: root,
    });
    const candidates = matched.stdout.split('\0').filter(Boolean);
    if (!candidates.length) return [];
    // Exit 1 means "none of them is ignored": not a failure.
    const ignored = await exec('git', ['check-ignore', '-z', '--stdin'], {
      cwd: root,
      input: candidates.join('\0') + '\0',
      reject: false,
    });
    if (ignored.exitCode !== 0 && ignored.exitCode !== 1) throw new Error(`git check-ignore: ${ignored.stderr.trim()}`);
    return ignored.stdout.split('\0').filter(Boolean);
  }

  /**
   * The included files of `root` that may leave it: each a regular file or a symlink staying inside the
   * repository; a path through a symlinked folder, a symlink leading out, or anything else is skipped with why.
   */
  async function pickIncluded(root: string): Promise<{ picked: Picked[]; skipped: IncludeResult['skipped'] }> {
    const realRoot = realpathSync(root);
    const picked: Picked[] = [];
    const skipped: IncludeResult['skipped'] = [];
    for (const rel of await listIncluded(root)) {
      const src = join(realRoot, rel);
      // A parent folder that is a symlink would lead out of the repository (git lists paths, not where they lead).
      let srcDir: string;
      try {
        srcDir = realpathSync(dirname(src));
      } catch {
        skipped.push({ path: rel, why: 'vanished' });
        continue;
      }
      if (srcDir !== dirname(src)) {
        skipped.push({ path: rel, why: 'its folder is reached through a symlink' });
        continue;
      }
      const st = lstatOrUndefined(src);
      if (!st) {
        skipped.push({ path: rel, why: 'vanished' });
        continue;
      }
      if (st.isSymbolicLink()) {
        const link = readlinkSync(src);
        const target = resolve(dirname(src), link);
        let real: string;
        try {
          real = realpathSync(target);
        } catch {
          real = target;
        }
        // Never follow or recreate a link that leads out of the repository (~/.ssh, /etc): copying it would
        // hand the worker a way out, following it would copy the outside file in.
        if (isAbsolute(link) || !inside(realRoot, real) || !inside(realRoot, target)) {
          skipped.push({ path: rel, why: 'a symlink pointing outside the repository (not followed)' });
          continue;
        }
        picked.push({ rel, src, mode: 0, size: 0, link });
      } else if (st.isFile()) picked.push({ rel, src, mode: st.mode & 0o7777, size: st.size });
      else skipped.push({ path: rel, why: 'not a regular file' });
    }
    return { picked, skipped };
  }

  return {
    async copyIncluded(root: string, dest: string): Promise<IncludeResult> {
      const realDest = realpathSync(dest);
      const { picked, skipped } = await pickIncluded(root);
      const out: IncludeResult = { copied: [], skipped };
      for (const f of picked) {
        const to = join(realDest, f.rel);
        mkdirSync(dirname(to), { recursive: true });
        if (!inside(realDest, realpathSync(dirname(to))) || lstatOrUndefined(to)) {
          out.skipped.push({ path: f.rel, why: 'the worktree already has something at this path' });
          continue;
        }
        if (f.link !== undefined) symlinkSync(f.link, to);
        else {
          copyFileSync(f.src, to);
          chmodSync(to, f.mode);
        }
        out.copied.push(f.rel);
      }
      return out;
    },

    async readIncluded(
      root: string,
      maxBytes: number,
    ): Promise<{ files: IncludedFile[]; skipped: IncludeResult['skipped'] }> {
      const { picked, skipped } = await pickIncluded(root);
      const files: IncludedFile[] = [];
      let total = 0;
      for (const f of picked) {
        if (f.link !== undefined) {
          files.push({ path: f.rel, link: f.link });
          continue;
        }
        if (total + f.size > maxBytes) {
          skipped.push({ path: f.rel, why: `over the ${Math.round(maxBytes / 1024)} KiB a node is sent` });
          continue;
        }
        let data: Buffer;
        try {
          data = readFileSync(f.src);
        } catch {
          skipped.push({ path: f.rel, why: 'vanished' });
          continue;
        }
        total += data.length;
        files.push({ path: f.rel, mode: f.mode, base64: data.toString('base64') });
      }
      return { files, skipped };
    },

    writeIncluded(dest: string, files: IncludedFile[]): IncludeResult {
      const realDest = realpathSync(dest);
      const out: IncludeResult = { copied: [], skipped: [] };
      for (const f of files) {
        const to = join(realDest, f.path);
        mkdirSync(dirname(to), { recursive: true });
        // The worktree's own symlinked folder must not carry a write out of it; nor is anything overwritten.
        if (!inside(realDest, realpathSync(dirname(to))) || lstatOrUndefined(to)) {
          out.skipped.push({ path: f.path, why: 'the worktree already has something at this path' });
          continue;
        }
        if ('link' in f) {
          const target = resolve(dirname(to), f.link);
          if (isAbsolute(f.link) || !inside(realDest, target)) {
            out.skipped.push({ path: f.path, why: 'a symlink pointing outside the worktree (not made)' });
            continue;
          }
          symlinkSync(f.link, to);
        } else {
          // Owner-only on the node whatever the source's mode (included files are .env and the like); an
          // executable keeps its owner's execute bit.
          writeFileSync(to, Buffer.from(f.base64, 'base64'), { mode: f.mode & 0o100 ? 0o700 : 0o600, flag: 'wx' });
        }
        out.copied.push(f.path);
      }
      return out;
    },

    async cloneMethod(src: string, destDir: string) {
      const key = `${statSync(src).dev}:${statSync(destDir).dev}`;
      const known = probes.get(key);
      if (known) return known;
      const file = sampleFile(src);
      let result: { method: CloneMethod; why: string };
      if (!file) result = { method: 'copy', why: `no file in ${src} to probe a clone with` };
      else {
        const probe = join(destDir, `.crewmux-reflink-probe-${process.pid}`);
        const flag = process.platform === 'darwin' ? ['-c'] : ['--reflink=always'];
        const cp = await exec('cp', [...flag, file, probe], { reject: false });
        if (cp.exitCode !== 0) {
          const why = cp.stderr.trim().split('\n').pop() ?? `cp exited ${cp.exitCode}`;
          result = { method: 'copy', why: `no copy-on-write clone on this file system (cp: ${why.split(': ').pop()})` };
        } else {
          // cp --reflink=always either clones or fails; filefrag shows whether the extents are really shared.
          const ff = await exec('filefrag', ['-v', probe], { reject: false }).catch(() => undefined);
          const shared = ff?.exitCode === 0 && /\bshared\b/.test(ff.stdout);
          result = {
            method: 'reflink',
            why: shared
              ? 'copy-on-write clone (filefrag shows shared extents)'
              : 'copy-on-write clone (cp succeeded; shared extents not confirmed by filefrag)',
          };
        }
        rmSync(probe, { force: true });
      }
      probes.set(key, result);
      return result;
    },

    async cloneDir(src: string, dest: string, method: CloneMethod): Promise<void> {
      if (lstatOrUndefined(dest)) throw new Error(`${dest} already exists in the worktree (is it tracked by git?)`);
      mkdirSync(dirname(dest), { recursive: true });
      if (method === 'link') {
        symlinkSync(src, dest);
        return;
      }
      const flag = method === 'reflink' ? (process.platform === 'darwin' ? ['-c'] : ['--reflink=always']) : [];
      const args = process.platform === 'darwin' ? [...flag, '-R', '-p', src, dest] : [...flag, '-a', src, dest];
      await exec('cp', args, { timeoutMs: 30 * 60_000 });
    },

    exists: (path: string) => lstatOrUndefined(path) !== undefined,

    writeEnvBlock(file: string, vars: Record<string, string>): void {
      const st = lstatOrUndefined(file);
      const mode = st?.isFile() ? st.mode & 0o777 : 0o600;
      // Atomic rename: a symlink at the path is replaced, never written through.
      writeFileAtomic(file, withManagedEnvBlock(st?.isFile() ? (readIfExists(file) ?? '') : '', vars), mode);
    },

    async reservePorts(lockDir: string, key: string): Promise<number> {
      ensureDir(lockDir);
      const owner = (f: string) => {
        try {
          return (JSON.parse(readFileSync(join(lockDir, f), 'utf8')) as { key?: string }).key;
        } catch {
          return undefined;
        }
      };
      const locks = readdirSync(lockDir).filter((f) => f.endsWith('.lock'));
      const mine = locks.find((f) => owner(f) === key);
      if (mine) return Number(mine.replace(/\.lock$/, ''));
      for (const base of portCandidates(key)) {
        const lock = join(lockDir, `${base}.lock`);
        try {
          writeFileSync(lock, JSON.stringify({ key, pid: process.pid }) + '\n', { flag: 'wx', mode: 0o600 });
        } catch {
          const other = owner(`${base}.lock`);
          // A lock whose worktree is gone (removed without teardown) is stale: take it over.
          if (other && other.startsWith('/') && !lstatOrUndefined(other)) {
            writeFileAtomic(lock, JSON.stringify({ key, pid: process.pid }) + '\n', 0o600);
          } else continue;
        }
        let free = true;
        for (let p = base; p < base + PORT_BLOCK && free; p++) free = await portFree(p);
        if (free) return base;
        unlinkSync(lock);
      }
      throw new Error('no free block of 10 loopback ports in 20000-31999');
    },

    releasePorts(lockDir: string, key: string): void {
      let names: string[];
      try {
        names = readdirSync(lockDir);
      } catch {
        return;
      }
      for (const f of names) {
        if (!f.endsWith('.lock')) continue;
        try {
          if ((JSON.parse(readFileSync(join(lockDir, f), 'utf8')) as { key?: string }).key === key)
            unlinkSync(join(lockDir, f));
        } catch {
          /* unreadable or gone: not ours */
        }
      }
    },
  };
}

/** Bytes of disk `path` really occupies (`du -sk`, so shared clone blocks count for each copy, as du sees them). */
export async function diskUsageBytes(path: string): Promise<number> {
  const r = await exec('du', ['-sk', path]);
  return Number(r.stdout.split(/\s/)[0]) * 1024;
}
