/**
 * `worktree.clone` folders on worker nodes (docs/architecture.md "Worker nodes: cloned folders"), the file and process
 * work of both sides:
 * - the lead host's CloneFolders: a folder's fingerprint, walked with lstat (a symlink is an entry, never followed)
 *   and memoised while the folder's and the lockfiles' mtimes stay; and `sendFolder`, `tar -C <checkout> -cf - --
 *   <folder>` (tar archives symlinks as links, and nothing outside the folder is named) piped into ssh running
 *   `crewmux node clone-receive` on the node, over the shared connection;
 * - the node's CloneCache under `<node dir>/cache/` (0700): the stream is extracted by tar (`--no-same-owner`; GNU
 *   and BSD tar refuse absolute and `..` member names and never write through a symlink they extracted) into a temp
 *   dir beside its place, checked to hold only the folder's path, and renamed into place; the newest
 *   NODE_CLONE_KEEP fingerprints of a folder (by use) stay.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, utimesSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { execFed, execSource, ExecError } from '../process/exec.js';
import { ensureDir } from '../system/files.js';
import {
  CloneReceiveResultSchema,
  NODE_CLONE_KEEP,
  nodeCloneCacheDir,
  type CloneCandidate,
  type CloneReceiveResult,
} from '../../core/nodes/clone-protocol.js';
import type { CloneCache, CloneFolders } from '../../app/ports/clone-folders.js';
import type { NodeTarget } from '../../core/nodes/target.js';
import type { Ssh } from './ssh.js';

/** `<platform>-<arch>` of this process's machine (`linux-x64`, `darwin-arm64`). */
export const hostPlatformArch = () => `${process.platform}-${process.arch}`;

/** Lockfiles whose change means the folder was installed again (at the repository root, and npm's inside it). */
const ROOT_LOCKS = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'uv.lock',
  'poetry.lock',
  'Pipfile.lock',
  'requirements.txt',
  'Cargo.lock',
];
const FOLDER_LOCKS = ['.package-lock.json', '.modules.yaml', '.yarn-state.yml', 'pyvenv.cfg'];

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Why `root/folder` cannot be fingerprinted (a symlink on its path, not a folder), or undefined. */
function folderProblem(root: string, folder: string): string | undefined {
  const parts = folder.split('/').filter((x) => x && x !== '.');
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    const st = lstatOrUndefined(join(root, rel));
    if (!st) return `${folder} is missing`;
    if (st.isSymbolicLink()) return `${rel} is a symlink in your checkout (not followed, not sent)`;
    if (!st.isDirectory()) return `${rel} is not a folder`;
  }
  return undefined;
}

/** The lead host's CloneFolders (see the file comment); its memo lives as long as it does (one per session). */
export function createCloneFolders(o: { platformArch?: string } = {}): CloneFolders {
  const platformArch = o.platformArch ?? hostPlatformArch();
  const memo = new Map<string, { key: string; print: CloneCandidate['print'] }>();
  const mtimeKey = (root: string, folder: string) =>
    [join(root, folder), ...ROOT_LOCKS.map((f) => join(root, f)), ...FOLDER_LOCKS.map((f) => join(root, folder, f))]
      .map((p) => lstatOrUndefined(p)?.mtimeMs ?? '-')
      .join(',');

  const walk = (root: string, folder: string, maxBytes: number): CloneCandidate['print'] => {
    const hash = createHash('sha256').update(`crewmux clone v1\0${platformArch}\0`);
    let bytes = 0;
    const stack = [folder];
    while (stack.length) {
      const rel = stack.pop()!;
      let names: string[];
      try {
        names = readdirSync(join(root, rel)).sort();
      } catch (e) {
        return { problem: `${rel} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
      }
      // Reverse order onto the stack, so folders are walked in name order (the hash depends on the order).
      const dirs: string[] = [];
      for (const n of names) {
        const p = `${rel}/${n}`;
        const st = lstatOrUndefined(join(root, p));
        if (!st) continue;
        const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
        const link = type === 'l' ? readlinkSync(join(root, p)) : '';
        hash.update(`${p}\0${type}\0${st.size}\0${Math.trunc(st.mtimeMs)}\0${st.mode & 0o777}\0${link}\n`);
        if (type === 'f') bytes += st.size;
        if (bytes > maxBytes) return { fingerprint: '', bytes };
        if (type === 'd') dirs.push(p);
      }
      for (let i = dirs.length - 1; i >= 0; i--) stack.push(dirs[i]!);
    }
    return { fingerprint: hash.digest('hex'), bytes };
  };

  return {
    platformArch,
    async fingerprint(root, folder, maxBytes) {
      const problem = folderProblem(root, folder);
      if (problem) return { problem };
      const id = `${root}\0${folder}\0${maxBytes}`;
      const key = mtimeKey(root, folder);
      const known = memo.get(id);
      if (known?.key === key) return known.print;
      const print = walk(root, folder, maxBytes);
      memo.set(id, { key, print });
      return print;
    },
  };
}

/**
 * Sends `root/folder` to the node as a tar stream: `tar -C root -cf - -- folder` piped into `ssh ... -- <remote>`
 * (the node's `crewmux node clone-receive`, on the shared connection). Resolves with the bytes sent and the node's
 * answer; rejects with tar's or ssh's error.
 */
export async function sendFolder(
  ssh: Ssh,
  target: NodeTarget,
  o: { root: string; folder: string; remote: readonly string[]; timeoutMs?: number },
): Promise<{ bytes: number; answer: CloneReceiveResult }> {
  await ssh.prepare();
  const tar = execSource('tar', ['-C', o.root, '-cf', '-', '--', o.folder]);
  const [file, ...args] = ssh.argv(target, o.remote);
  const r = await execFed(file!, args, tar.stdout, { timeoutMs: o.timeoutMs ?? 60 * 60_000 }).catch(async (e) => {
    await tar.stop();
    throw e;
  });
  if (r.exitCode !== 0) {
    await tar.stop();
    throw new ExecError(r);
  }
  // The node's tar may end before reading the archive's last padding: the rest is drained, so tar can finish.
  tar.stdout.resume();
  const t = await tar.exited;
  // GNU tar exits 1 when a file changed while it was read: the archive is still whole.
  if (t.error || (t.exitCode !== 0 && t.exitCode !== 1))
    throw new Error(`tar of ${o.folder} failed: ${t.error?.message ?? `exit ${t.exitCode}`} ${t.stderr.trim()}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let answer: CloneReceiveResult;
  try {
    answer = CloneReceiveResultSchema.parse(JSON.parse(last));
  } catch {
    throw new Error(`the node's clone-receive answered ${JSON.stringify(last.slice(0, 200))}, not its result`);
  }
  return { bytes: r.inputBytes, answer };
}

const FINGERPRINT_DIR = /^[0-9a-f]{64}$/;

/** The node's CloneCache under `nodeDir` (the node user's crewmux node dir; see the file comment). */
export function createCloneCache(o: { nodeDir: string; platformArch?: string }): CloneCache {
  const fpDir = (repoId: string, folder: string, fp: string) => join(nodeCloneCacheDir(o.nodeDir, repoId, folder), fp);

  /** Keeps the newest NODE_CLONE_KEEP fingerprints of the folder (by mtime: set at each use); drops temp dirs left. */
  const prune = (base: string) => {
    const entries = readdirSync(base)
      .filter((n) => FINGERPRINT_DIR.test(n))
      .map((n) => ({ n, t: lstatOrUndefined(join(base, n))?.mtimeMs ?? 0 }))
      .sort((a, b) => b.t - a.t);
    for (const e of entries.slice(NODE_CLONE_KEEP)) rmSync(join(base, e.n), { recursive: true, force: true });
  };

  /** True when `tmp` holds the folder's path and nothing beside it on the way down. */
  const holdsOnly = (tmp: string, folder: string) => {
    const parts = folder.split('/').filter((x) => x && x !== '.');
    let at = tmp;
    for (const part of parts) {
      const names = readdirSync(at);
      if (names.length !== 1 || names[0] !== part) return false;
      at = join(at, part);
      const st = lstatSync(at);
      if (!st.isDirectory() || st.isSymbolicLink()) return false;
    }
    return true;
  };

  const cache: CloneCache = {
    platformArch: o.platformArch ?? hostPlatformArch(),
    has: (repoId, folder, fp) => lstatOrUndefined(join(fpDir(repoId, folder, fp), folder))?.isDirectory() === true,
    use(repoId, folder, fp) {
      if (!cache.has(repoId, folder, fp)) return undefined;
      const now = new Date();
      utimesSync(fpDir(repoId, folder, fp), now, now);
      return join(fpDir(repoId, folder, fp), folder);
    },
    async receive(p, input) {
      const base = nodeCloneCacheDir(o.nodeDir, p.repoId, p.folder);
      ensureDir(base, 0o700);
      const final = join(base, p.fingerprint);
      const tmp = mkdtempSync(join(base, '.receiving-'));
      try {
        const r = await execFed('tar', ['-x', '-f', '-', '-C', tmp, '--no-same-owner'], input, {
          maxInputBytes: p.maxBytes,
        });
        if (r.overInput) throw new Error(`the tar stream of ${p.folder} is over ${p.maxBytes} bytes: not kept`);
        if (r.exitCode !== 0) throw new ExecError(r);
        if (!holdsOnly(tmp, p.folder)) throw new Error(`the tar stream held more than ${p.folder}: not kept`);
        if (lstatOrUndefined(final)) {
          // Another lead (or worker) sent it meanwhile: theirs stays.
          rmSync(tmp, { recursive: true, force: true });
          return { bytes: r.inputBytes, cached: true };
        }
        renameSync(tmp, final);
        const now = new Date();
        utimesSync(final, now, now);
        prune(base);
        return { bytes: r.inputBytes, cached: false };
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    },
  };
  return cache;
}
