/**
 * The Git port: worktrees, branches, snapshot commits, merges and merge previews in crewmux's
 * vocabulary. adapters/git/git.ts implements it with the git binary; test/fakes/git.ts keeps branches and
 * worktrees in memory for unit tests.
 */

export interface RepoInfo {
  root: string;
  commonDir: string;
  hasCommits: boolean;
  head?: string;
  branch?: string;
}

/**
 * A merge into a worktree's branch: the merge commit, or why it did not happen (the worktree is left as
 * it was): `conflict` with the conflicting files, or `failed` (a hook, a lock, a missing ref) with git's words.
 */
export type MergeResult =
  | { ok: true; commit: string }
  | { ok: false; kind: 'conflict'; conflicts: string[]; detail: string }
  | { ok: false; kind: 'failed'; detail: string };

export interface Git {
  /** Repository facts for `cwd`, or undefined when it is not inside a work tree. */
  repoInfo(cwd: string): Promise<RepoInfo | undefined>;
  /** Only the work tree root and the (absolute) common git dir of `cwd`, in one git call; undefined outside one. */
  repoRoot(cwd: string): Promise<Pick<RepoInfo, 'root' | 'commonDir'> | undefined>;
  /**
   * What repoRoot would most likely answer, read from the `.git` entries on the way up from `cwd` without running
   * git (a process costs `crewmux status` a good part of its start-up); undefined when unsure (a GIT_DIR-like
   * variable, a symlinked `.git`, inside a git dir) or outside a repository. A guess: use it to recognise a root
   * you know (a session's), and ask repoRoot for anything else.
   */
  repoRootGuess(cwd: string): Pick<RepoInfo, 'root' | 'commonDir'> | undefined;
  /** The commit `ref` names in `dir`; throws when it names none. */
  revParse(dir: string, ref: string): Promise<string>;
  branchExists(dir: string, branch: string): Promise<boolean>;
  /** `git worktree add -b branch path startPoint`. */
  addWorktree(repo: string, path: string, branch: string, startPoint: string): Promise<void>;
  /** Removes a worktree (with --force only when asked) and prunes stale entries. */
  removeWorktree(repo: string, path: string, force?: boolean): Promise<void>;
  deleteBranch(repo: string, branch: string, force?: boolean): Promise<void>;
  /**
   * Creates `branch` at commit `at` (it must not exist) and points worktree `dir`'s HEAD at it; `at` must be that
   * worktree's HEAD commit, so no file or index entry changes. All or nothing for the branch: when HEAD could not be
   * moved the new branch is deleted again, and the worktree's HEAD is then unknown (discard the worktree).
   */
  checkoutNewBranchAt(dir: string, branch: string, at: string): Promise<void>;
  /** Moves the branch checked out in `dir` to `ref` and makes its files match (`reset --hard`; untracked files stay). */
  resetHard(dir: string, ref: string): Promise<void>;
  /** Paths with uncommitted changes (tracked, and untracked unless `untracked` is false; never ignored). */
  dirtyPaths(dir: string, untracked?: boolean): Promise<string[]>;
  /**
   * Commits everything left uncommitted in `dir` except `exclude` pathspecs; returns the new commit,
   * or undefined when there was nothing to commit. Hooks are skipped: this is a safety net.
   */
  snapshotCommit(dir: string, message: string, exclude?: string[]): Promise<string | undefined>;
  /** Number of commits on `branch` that are not on `base`. */
  commitsAhead(dir: string, base: string, branch: string): Promise<number>;
  /** Appends `line` to the repository's info/exclude if it is not there yet. */
  ensureExcluded(
    commonDir: string,
    line: string,
    fs: { read(p: string): string | undefined; append(p: string, s: string): void },
  ): Promise<void>;
  /** `git diff --stat` and the patch of `branch` against its merge base with `base` (three-dot). */
  diff(dir: string, base: string, branch: string): Promise<{ stat: string; patch: string; shortstat: string }>;
  /**
   * What is not committed in worktree `dir`: its tracked changes against HEAD and its untracked files (not ignored
   * ones) as new files, leaving out `exclude` paths; nothing is staged or written.
   */
  uncommittedDiff(dir: string, exclude?: string[]): Promise<{ stat: string; patch: string }>;
  /**
   * Merges `branch` into the branch checked out in `worktree` with a merge commit. On a conflict the
   * merge is aborted, the worktree is back where it was, and the conflicting files are returned.
   */
  merge(worktree: string, branch: string, message: string): Promise<MergeResult>;
  /** Files on which merging `a` and `b` would conflict (`git merge-tree --write-tree`, no worktree touched). */
  conflictFiles(dir: string, a: string, b: string): Promise<string[]>;
  /** True when `a` is an ancestor of (or equal to) `b`. */
  isAncestor(dir: string, a: string, b: string): Promise<boolean>;
  /** Branch name -> commit for every branch under `prefix` (one `for-each-ref` call). */
  branchHeads(dir: string, prefix: string): Promise<Map<string, string>>;
  /** Fast-forwards the branch checked out in `dir` to `ref`; false when that is not a fast-forward. */
  fastForward(dir: string, ref: string): Promise<boolean>;
  /** `git -C dir ...args`, trimmed stdout; throws on a non-zero exit. */
  raw(dir: string, args: string[]): Promise<string>;
  /** `-c user.name=... -c user.email=...` when the repository has no identity configured, else []. */
  identityFlags(dir: string): Promise<string[]>;
}
