/**
 * git, in crewmux's vocabulary, on simple-git. Worktrees, branches, snapshot commits, merges and
 * merge-tree previews. Nothing here touches the user's checkout except `repoInfo` (read-only) and
 * `fastForwardCurrent` (only when the user asked for --merge and the tree is clean).
 */
import { simpleGit, type SimpleGit } from 'simple-git';

export interface RepoInfo {
  root: string;
  commonDir: string;
  hasCommits: boolean;
  head?: string;
  branch?: string;
}

/** Identity used for crewmux's own commits when the repository has none configured. */
const FALLBACK_IDENTITY = ['-c', 'user.name=crewmux', '-c', 'user.email=crewmux@localhost'];

export type Git = ReturnType<typeof createGit>;

export function createGit(opts: { binary?: string } = {}) {
  const g = (dir: string): SimpleGit => simpleGit({ baseDir: dir, binary: opts.binary ?? 'git', maxConcurrentProcesses: 8, trimmed: false });
  const raw = async (dir: string, args: string[]) => (await g(dir).raw(args)).trim();
  const tryRaw = async (dir: string, args: string[]) => {
    try { return await raw(dir, args); } catch { return undefined; }
  };
  async function identityFlags(dir: string): Promise<string[]> {
    const email = await tryRaw(dir, ['config', 'user.email']);
    return email ? [] : FALLBACK_IDENTITY;
  }

  return {
    /** Repository facts for `cwd`, or undefined when it is not inside a work tree. */
    async repoInfo(cwd: string): Promise<RepoInfo | undefined> {
      const root = await tryRaw(cwd, ['rev-parse', '--show-toplevel']);
      if (!root) return undefined;
      const commonDir = (await raw(root, ['rev-parse', '--path-format=absolute', '--git-common-dir']));
      const head = await tryRaw(root, ['rev-parse', '--verify', '-q', 'HEAD']);
      const branch = await tryRaw(root, ['symbolic-ref', '--short', '-q', 'HEAD']);
      return { root, commonDir, hasCommits: Boolean(head), head: head || undefined, branch: branch || undefined };
    },

    async revParse(dir: string, ref: string): Promise<string> {
      return raw(dir, ['rev-parse', '--verify', `${ref}^{commit}`]);
    },

    async branchExists(dir: string, branch: string): Promise<boolean> {
      return (await tryRaw(dir, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`])) !== undefined;
    },

    /** `git worktree add -b branch path startPoint`. */
    async addWorktree(repo: string, path: string, branch: string, startPoint: string): Promise<void> {
      await raw(repo, ['worktree', 'add', '-q', '-b', branch, path, startPoint]);
    },

    /** Removes a worktree (with --force only when asked) and prunes stale entries. */
    async removeWorktree(repo: string, path: string, force = false): Promise<void> {
      await raw(repo, ['worktree', 'remove', ...(force ? ['--force'] : []), path]);
    },

    async deleteBranch(repo: string, branch: string, force = false): Promise<void> {
      await raw(repo, ['branch', force ? '-D' : '-d', branch]);
    },

    /** Paths with uncommitted changes (tracked or untracked, not ignored). */
    async dirtyPaths(dir: string): Promise<string[]> {
      const out = await raw(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
      return out.split('\0').filter(Boolean).map((l) => l.slice(3));
    },

    /**
     * Commits everything left uncommitted in `dir` except `exclude` pathspecs; returns the new commit,
     * or undefined when there was nothing to commit. Hooks are skipped: this is a safety net.
     */
    async snapshotCommit(dir: string, message: string, exclude: string[] = []): Promise<string | undefined> {
      const pathspec = ['.', ...exclude.map((p) => `:(exclude)${p}`)];
      await raw(dir, ['add', '-A', '--', ...pathspec]);
      const staged = await raw(dir, ['diff', '--cached', '--name-only']);
      if (!staged) return undefined;
      await raw(dir, [...(await identityFlags(dir)), 'commit', '-q', '--no-verify', '-m', message]);
      return raw(dir, ['rev-parse', 'HEAD']);
    },

    /** Number of commits on `branch` that are not on `base`. */
    async commitsAhead(dir: string, base: string, branch: string): Promise<number> {
      return Number(await raw(dir, ['rev-list', '--count', `${base}..${branch}`]));
    },

    /** Appends `line` to the repository's info/exclude if it is not there yet. */
    async ensureExcluded(commonDir: string, line: string, fs: { read(p: string): string | undefined; append(p: string, s: string): void }): Promise<void> {
      const file = `${commonDir}/info/exclude`;
      const current = fs.read(file) ?? '';
      if (current.split('\n').includes(line)) return;
      fs.append(file, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
    },

    raw,
    identityFlags,
  };
}
