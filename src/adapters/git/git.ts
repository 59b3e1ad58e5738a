/**
 * git, in crewmux's vocabulary: worktrees, branches, snapshot commits, merges and merge-tree previews.
 * Commands run through the exec adapter: simple-git cost 75 ms per `worktree add` here against 20 ms
 * for a plain spawn, and treats a non-zero exit with empty stderr as success (merge-tree, is-ancestor
 * exit 1 by design). simple-git stays the clone client of `crewmux skill add` (adapters/skills/skill-source.ts). Nothing here touches the user's checkout except `repoInfo` (read-only) and
 * `fastForwardCurrent` (only when the user asked for --merge and the tree is clean).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type ExecResult } from '../process/exec.js';
import { ensureDir } from '../system/files.js';
import { handOverByHand, linkedWorktreeDirs } from './git-refs.js';
import { guessRepoRoot } from './repo-guess.js';
import type { Git, MergeResult, RepoInfo } from '../../app/ports/git.js';

/** Untracked files beyond this many are only counted by `uncommittedDiff`, not diffed. */
const MAX_UNTRACKED_SHOWN = 200;

/** Identity used for crewmux's own commits when the repository has none configured. */
const FALLBACK_IDENTITY = ['-c', 'user.name=crewmux', '-c', 'user.email=crewmux@localhost'];

/** git through the exec adapter (120 s per command); `opts.binary` defaults to `git`. */
/**
 * git's own race (seen with 2.39): a command that reads every worktree's admin files (`worktree add`, `worktree
 * remove`, `worktree list`, `branch -d`, `branch` listing) dies when another command is halfway through adding or
 * removing a worktree of the same repository: `fatal: failed to read .git/worktrees/<id>/commondir: Success` (the
 * file exists and is still empty) or `: No such file or directory` (it is being deleted). crewmux's pool adds
 * worktrees in the background, so its own commands and the user's meet this window; it closes within milliseconds.
 */
export const WORKTREE_RACE = /failed to read .*worktrees\/[^/\s]+\/commondir/;
/** Pauses before each retry of a command that met WORKTREE_RACE: about 3 s in all. */
const RACE_BACKOFF_MS = [20, 50, 100, 200, 400, 800, 1500];

/** `attempt` again while it fails with git's worktree race (WORKTREE_RACE), running `between` first; else its error. */
export async function retryWorktreeRace<T>(attempt: () => Promise<T>, between?: () => Promise<unknown>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (i >= RACE_BACKOFF_MS.length || !WORKTREE_RACE.test((e as Error).message)) throw e;
      await between?.();
      await new Promise((r) => setTimeout(r, RACE_BACKOFF_MS[i]));
    }
  }
}

/** The git adapter; `env` is the environment git runs in (repoRootGuess reads it), `binary` the git to run. */
export function createGit(opts: { binary?: string; env?: NodeJS.ProcessEnv } = {}): Git {
  const once = async (dir: string, args: string[]) =>
    (await exec(opts.binary ?? 'git', ['-C', dir, ...args], { timeoutMs: 120_000 })).stdout.trim();
  // Every command is retried while it meets git's worktree race: it dies there before it changes anything.
  const raw = (dir: string, args: string[]) => retryWorktreeRace(() => once(dir, args));
  const tryRaw = async (dir: string, args: string[]) => {
    try {
      return await raw(dir, args);
    } catch {
      return undefined;
    }
  };
  // For commands whose exit code carries meaning (merge, merge-tree, is-ancestor).
  const execGit = (dir: string, args: string[]): Promise<ExecResult> =>
    exec(opts.binary ?? 'git', ['-C', dir, ...args], { reject: false, timeoutMs: 120_000 });
  // Where the refs of `dir` live, asked once per directory (null: a reftable repository, never read by hand).
  const refDirs = new Map<string, Promise<{ gitDir: string; commonDir: string } | null>>();
  function refDirsOf(dir: string) {
    let dirs = refDirs.get(dir);
    if (!dirs) {
      dirs = raw(dir, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']).then((out) => {
        const [gitDir, commonDir] = out.split('\n');
        return gitDir && commonDir && !existsSync(join(commonDir, 'reftable')) ? { gitDir, commonDir } : null;
      });
      dirs.catch(() => refDirs.delete(dir));
      refDirs.set(dir, dirs);
    }
    return dirs;
  }
  /**
   * What `git rev-parse --verify BRANCH^{commit}` answers for a branch name with a slash (crewmux's own branches),
   * read from its loose ref file without starting git: only when that file holds a commit id and no ref that git
   * would find first (`$GIT_DIR/NAME`, `refs/NAME`, `refs/tags/NAME`, loose or packed) exists; else undefined and
   * git is asked. Saves a process on spawn_worker's path, where every process start counts on a busy machine.
   */
  async function looseBranchHead(dir: string, ref: string): Promise<string | undefined> {
    if (
      !/^[A-Za-z0-9_-][A-Za-z0-9._/-]*\/[A-Za-z0-9._/-]*[A-Za-z0-9_-]$/.test(ref) ||
      /\.\.|\/\/|\/\.|\.lock(\/|$)/.test(ref)
    )
      return undefined;
    if (/^(refs|heads|tags|remotes|worktree|worktrees|bisect|rewritten|main-worktree)\//.test(ref)) return undefined;
    const dirs = await refDirsOf(dir).catch(() => null);
    if (!dirs) return undefined;
    const earlier = [`refs/${ref}`, `refs/tags/${ref}`];
    if (existsSync(join(dirs.gitDir, ref)) || earlier.some((r) => existsSync(join(dirs.commonDir, r))))
      return undefined;
    let text: string;
    try {
      text = readFileSync(join(dirs.commonDir, 'refs', 'heads', ref), 'utf8');
    } catch {
      return undefined;
    }
    const id = text.trim();
    if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(id)) return undefined;
    let packed = '';
    try {
      packed = readFileSync(join(dirs.commonDir, 'packed-refs'), 'utf8');
    } catch {
      /* none */
    }
    if (earlier.some((r) => packed.includes(` ${r}\n`))) return undefined;
    return id;
  }
  // `Name <email>` of the committer per repository (common dir), asked once (for the reflogs of a hand-over by hand).
  const committers = new Map<string, Promise<string | undefined>>();
  function committerOf(commonDir: string): Promise<string | undefined> {
    let c = committers.get(commonDir);
    if (!c) {
      c = raw(commonDir, ['var', 'GIT_COMMITTER_IDENT']).then(
        (out) => /^(.*>) \d+ [+-]\d{4}$/.exec(out)?.[1],
        () => undefined,
      );
      c.then(
        (x) => x ?? committers.delete(commonDir),
        () => undefined,
      );
      committers.set(commonDir, c);
    }
    return c;
  }
  async function identityFlags(dir: string): Promise<string[]> {
    const email = await tryRaw(dir, ['config', 'user.email']);
    return email ? [] : FALLBACK_IDENTITY;
  }
  // One process for both (git prints them in this order); `--show-toplevel` fails outside a work tree.
  async function repoRoot(cwd: string): Promise<Pick<RepoInfo, 'root' | 'commonDir'> | undefined> {
    const out = await tryRaw(cwd, ['rev-parse', '--show-toplevel', '--path-format=absolute', '--git-common-dir']);
    const [root, commonDir] = out?.split('\n') ?? [];
    return root && commonDir ? { root, commonDir } : undefined;
  }

  return {
    /** Repository facts for `cwd`, or undefined when it is not inside a work tree. */
    async repoInfo(cwd: string): Promise<RepoInfo | undefined> {
      const where = await repoRoot(cwd);
      if (!where) return undefined;
      const [head, branch] = await Promise.all([
        tryRaw(where.root, ['rev-parse', '--verify', '-q', 'HEAD']),
        tryRaw(where.root, ['symbolic-ref', '--short', '-q', 'HEAD']),
      ]);
      return { ...where, hasCommits: Boolean(head), head: head || undefined, branch: branch || undefined };
    },

    repoRoot,

    repoRootGuess: (cwd: string) => guessRepoRoot(cwd, opts.env ?? {}),

    async revParse(dir: string, ref: string): Promise<string> {
      return (await looseBranchHead(dir, ref)) ?? raw(dir, ['rev-parse', '--verify', `${ref}^{commit}`]);
    },

    async branchExists(dir: string, branch: string): Promise<boolean> {
      return Boolean(await tryRaw(dir, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`]));
    },

    /** `git worktree add -b branch path startPoint`. */
    async addWorktree(repo: string, path: string, branch: string, startPoint: string): Promise<void> {
      // Made 0700 first (git accepts an empty directory): git would create it with the user's umask.
      const made = !existsSync(path);
      try {
        // `-b` creates the branch before the worktree: an attempt that met the race leaves it, so it goes before
        // the next (the name is the caller's fresh one: a branch that existed fails with "already exists" instead).
        await retryWorktreeRace(
          () => {
            ensureDir(path);
            return once(repo, ['worktree', 'add', '-q', '-b', branch, path, startPoint]);
          },
          () => tryRaw(repo, ['update-ref', '-d', `refs/heads/${branch}`]),
        );
      } catch (e) {
        if (made) rmSync(path, { recursive: true, force: true });
        throw e;
      }
      // Asked now, off spawn_worker's path: the hand-over of this worktree (a pool's) needs it.
      const common = linkedWorktreeDirs(path)?.commonDir;
      if (common) void committerOf(common);
    },

    /** Removes a worktree (with --force only when asked) and prunes stale entries. */
    async removeWorktree(repo: string, path: string, force = false): Promise<void> {
      await raw(repo, ['worktree', 'remove', ...(force ? ['--force'] : []), path]);
    },

    async deleteBranch(repo: string, branch: string, force = false): Promise<void> {
      await raw(repo, ['branch', force ? '-D' : '-d', branch]);
    },

    /**
     * Two plumbing commands at once, each taking only its own lock: `update-ref` creates the branch (an empty old
     * value: it must not exist) and `symbolic-ref` points the worktree's HEAD at it. `git branch -m` (one process)
     * is not safe beside other git commands in the repository: it parks the old reflog in one shared file
     * (`logs/refs/.tmp-renamed-log`), so two renames at once lose a log and fail, and it dies after renaming when
     * another command holds the config lock. `git checkout -b` refreshes and rewrites the index, a cost that grows
     * with the repository.
     */
    async checkoutNewBranchAt(dir: string, branch: string, at: string): Promise<void> {
      // Without a process when the committer's identity (for the reflogs) is known: git-refs.ts.
      const common = linkedWorktreeDirs(dir)?.commonDir;
      const ident = common ? await committerOf(common) : undefined;
      if (ident && handOverByHand(dir, branch, at, ident)) return;
      const ref = `refs/heads/${branch}`;
      const [made, moved] = await Promise.allSettled([
        raw(dir, ['update-ref', '-m', `branch: Created from ${at}`, ref, at, '']),
        raw(dir, ['symbolic-ref', '-m', `checkout: moving to ${branch}`, 'HEAD', ref]),
      ]);
      if (made.status === 'fulfilled' && moved.status === 'fulfilled') return;
      if (made.status === 'fulfilled') await tryRaw(dir, ['update-ref', '-d', ref, at]);
      throw made.status === 'rejected' ? made.reason : (moved as PromiseRejectedResult).reason;
    },

    async resetHard(dir: string, ref: string): Promise<void> {
      await raw(dir, ['reset', '-q', '--hard', ref]);
    },

    /** Paths with uncommitted changes (tracked, and untracked unless `untracked` is false; never ignored). */
    async dirtyPaths(dir: string, untracked = true): Promise<string[]> {
      const out = await raw(dir, ['status', '--porcelain=v1', '-z', `--untracked-files=${untracked ? 'all' : 'no'}`]);
      return out
        .split('\0')
        .filter(Boolean)
        .map((l) => l.slice(3));
    },

    /**
     * Commits everything left uncommitted in `dir` except `exclude` pathspecs; returns the new commit,
     * or undefined when there was nothing to commit. Hooks are skipped: this is a safety net.
     */
    async snapshotCommit(dir: string, message: string, exclude: string[] = []): Promise<string | undefined> {
      // One cheap status call first: a worker that committed everything (the usual case) costs no more.
      const status = await execGit(dir, ['status', '--porcelain', '--untracked-files=all']);
      if (status.exitCode === 0 && !status.stdout.trim()) return undefined;
      // Excluded paths are also in info/exclude, so `add -A` skips them; naming an ignored path in a
      // pathspec is an error, so they are unstaged afterwards instead.
      await raw(dir, ['add', '-A']);
      if (exclude.length) await raw(dir, ['reset', '-q', '--', ...exclude]).catch(() => undefined);
      const staged = await raw(dir, ['diff', '--cached', '--name-only']);
      if (!staged) return undefined;
      // Excluded paths can hold a bearer token (project-local agent config): never commit one, whatever happened above.
      const leaked = staged.split('\n').filter((p) => exclude.includes(p));
      if (leaked.length) {
        await raw(dir, ['reset', '-q']).catch(() => undefined);
        throw new Error(`refusing to snapshot-commit ${leaked.join(', ')}: excluded paths are still staged`);
      }
      await raw(dir, [...(await identityFlags(dir)), 'commit', '-q', '--no-verify', '-m', message]);
      return raw(dir, ['rev-parse', 'HEAD']);
    },

    /** Number of commits on `branch` that are not on `base`. */
    async commitsAhead(dir: string, base: string, branch: string): Promise<number> {
      return Number(await raw(dir, ['rev-list', '--count', `${base}..${branch}`]));
    },

    /** Appends `line` to the repository's info/exclude if it is not there yet. */
    async ensureExcluded(
      commonDir: string,
      line: string,
      fs: { read(p: string): string | undefined; append(p: string, s: string): void },
    ): Promise<void> {
      const file = `${commonDir}/info/exclude`;
      const current = fs.read(file) ?? '';
      if (current.split('\n').includes(line)) return;
      fs.append(file, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
    },

    /** `git diff --stat` and the patch of `branch` against its merge base with `base` (three-dot). */
    async diff(dir: string, base: string, branch: string): Promise<{ stat: string; patch: string; shortstat: string }> {
      const range = `${base}...${branch}`;
      const [stat, patch, shortstat] = await Promise.all([
        raw(dir, ['diff', '--stat', range]),
        raw(dir, ['diff', range]),
        raw(dir, ['diff', '--shortstat', range]),
      ]);
      return { stat, patch, shortstat };
    },

    /**
     * What is not committed in worktree `dir`: its tracked changes against HEAD and its untracked files (not ignored
     * ones) as new files, leaving out `exclude` paths; nothing is staged or written.
     */
    async uncommittedDiff(dir: string, exclude: string[] = []): Promise<{ stat: string; patch: string }> {
      const spec = ['--', '.', ...exclude.map((p) => `:(exclude)${p}`)];
      const [stat, patch, others] = await Promise.all([
        raw(dir, ['diff', '--stat', 'HEAD', ...spec]),
        raw(dir, ['diff', 'HEAD', ...spec]),
        raw(dir, ['ls-files', '--others', '--exclude-standard', '-z']),
      ]);
      const untracked = others.split('\0').filter((p) => p && !exclude.includes(p));
      // `git diff --no-index /dev/null FILE` shows a file git does not track as new, without `add -N` touching the
      // worker's index; it exits 1 when the two differ, so the exit code is not an error here.
      const shown = untracked.slice(0, MAX_UNTRACKED_SHOWN);
      const added = await Promise.all(
        shown.map(async (p) => (await execGit(dir, ['diff', '--no-index', '--', '/dev/null', p])).stdout.trim()),
      );
      return {
        stat: [
          stat,
          ...shown.map((p) => ` ${p} (untracked, new)`),
          ...(untracked.length > shown.length ? [` ... and ${untracked.length - shown.length} more untracked`] : []),
        ]
          .filter(Boolean)
          .join('\n'),
        patch: [patch, ...added].filter(Boolean).join('\n'),
      };
    },

    /**
     * Merges `branch` into the branch checked out in `worktree` with a merge commit. On a conflict the
     * merge is aborted, the worktree is back where it was, and the conflicting files are returned.
     */
    async merge(worktree: string, branch: string, message: string): Promise<MergeResult> {
      const before = await raw(worktree, ['rev-parse', 'HEAD']);
      const r = await execGit(worktree, [
        ...(await identityFlags(worktree)),
        'merge',
        '--no-ff',
        '--no-edit',
        '-m',
        message,
        branch,
      ]);
      if (r.exitCode === 0) return { ok: true, commit: await raw(worktree, ['rev-parse', 'HEAD']) };
      const conflicts =
        (await tryRaw(worktree, ['diff', '--name-only', '--diff-filter=U']))?.split('\n').filter(Boolean) ?? [];
      await execGit(worktree, ['merge', '--abort']);
      if ((await raw(worktree, ['rev-parse', 'HEAD'])) !== before)
        await raw(worktree, ['reset', '-q', '--hard', before]);
      const said = `${r.stdout}\n${r.stderr}`.trim().split('\n').filter(Boolean);
      // A failure that is not a conflict (a hook, a lock, a missing ref) leaves no unmerged paths: say git's own words.
      if (conflicts.length === 0)
        return {
          ok: false,
          kind: 'failed',
          detail: said.slice(-8).join('\n') || `git merge exited ${r.exitCode ?? r.signal}`,
        };
      return { ok: false, kind: 'conflict', conflicts, detail: said.slice(-3).join(' ') };
    },

    /** Files on which merging `a` and `b` would conflict (`git merge-tree --write-tree`, no worktree touched). */
    async conflictFiles(dir: string, a: string, b: string): Promise<string[]> {
      const r = await execGit(dir, ['merge-tree', '--write-tree', '--name-only', '--no-messages', a, b]);
      if (r.exitCode === 0) return [];
      if (r.exitCode !== 1) throw new Error(`git merge-tree ${a} ${b} failed: ${r.stderr.trim()}`);
      // Exit 1 means conflicts: stdout is the tree id, then one conflicted path per line.
      return [
        ...new Set(
          r.stdout
            .split('\n')
            .slice(1)
            .map((l) => l.trim())
            .filter(Boolean),
        ),
      ];
    },

    /** True when `a` is an ancestor of (or equal to) `b`. */
    async isAncestor(dir: string, a: string, b: string): Promise<boolean> {
      const r = await execGit(dir, ['merge-base', '--is-ancestor', a, b]);
      if (r.exitCode === 0) return true;
      if (r.exitCode === 1) return false;
      throw new Error(`git merge-base --is-ancestor ${a} ${b} failed: ${r.stderr.trim()}`);
    },

    /** Branch name -> commit for every branch under `prefix` (one `for-each-ref` call). */
    async branchHeads(dir: string, prefix: string): Promise<Map<string, string>> {
      const out = await raw(dir, ['for-each-ref', '--format=%(refname:short) %(objectname)', `refs/heads/${prefix}`]);
      return new Map(
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ') as [string, string]),
      );
    },

    /** Fast-forwards the branch checked out in `dir` to `ref`; false when that is not a fast-forward. */
    async fastForward(dir: string, ref: string): Promise<boolean> {
      return (await execGit(dir, ['merge', '--ff-only', '-q', ref])).exitCode === 0;
    },

    raw,
    identityFlags,
  };
}
