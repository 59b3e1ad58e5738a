/**
 * A stateful fake of the Git port (app/ports/git.ts) for unit tests: one repository with a commit
 * graph (ids c0, c1, ...; each commit lists the paths it touched), branches (name -> commit), the main
 * checkout at `root` and worktrees (path -> branch). Worktree directories are created and removed on
 * disk, because use cases write into them (.crewmux/done.flag). Merges really move the branch of the
 * worktree they run in: a clean merge makes a merge commit; scripted outcomes (`scriptMerge`) give a
 * conflict with its files or a failure with git's words, leaving the branch as it was. Every call is
 * recorded in `calls` as [method, ...arguments].
 *
 * Not modelled: file contents (diff text is made up from touched paths: `stat` lists them, `patch`
 * has a header per path), the index, real conflict detection (conflictFiles answers what
 * `scriptConflicts` says, else []), hooks, remotes. `raw` answers only argv scripted with `scriptRaw`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Git, MergeResult, RepoInfo } from '../../src/app/ports/git.js';

interface Commit {
  id: string;
  parents: string[];
  message: string;
  files: string[];
}

type Method = keyof Git;

/** What a scripted merge does: `clean` (the default), a conflict on `files`, or a failure with git's `detail`. */
export type MergeScript =
  { kind: 'clean' } | { kind: 'conflict'; files: string[] } | { kind: 'failed'; detail: string };

export type FakeGit = Git & {
  /** The main checkout's path. */
  root: string;
  calls: string[][];
  callsOf(method: Method): string[][];
  clearCalls(): void;
  /** Persistent failure of a method until deleted. */
  fail: Partial<Record<Method, Error>>;
  /** The next call of `method` throws `err` (one-shot; queued). */
  failNext(method: Method, err: Error): void;
  /** Branch name -> commit id. */
  branches: Map<string, string>;
  /** Worktree path -> checked-out branch (the main checkout included, at `root`). */
  worktrees: Map<string, string>;
  /** Worktree path -> uncommitted paths (`dirtyPaths`, `snapshotCommit`). */
  dirty: Map<string, string[]>;
  /** Lines `ensureExcluded` added. */
  excluded: string[];
  /** Adds a commit touching `files` on `branch` (a worker committing); returns its id. */
  commit(branch: string, message: string, files?: string[]): string;
  /** Sets a worktree's uncommitted paths. */
  setDirty(worktree: string, paths: string[]): void;
  /** Merges of `branch` take these outcomes in order; once used up, merges are clean. */
  scriptMerge(branch: string, ...outcomes: MergeScript[]): void;
  /** conflictFiles(a, b) (either order) answers `files`; refs are resolved when scripted. */
  scriptConflicts(a: string, b: string, files: string[]): void;
  /** `raw(dir, args)` answers `stdout` for exactly this argv (any dir). */
  scriptRaw(args: string[], stdout: string): void;
  /** The commit a ref names, or undefined. */
  resolve(ref: string, dir?: string): string | undefined;
  commitInfo(id: string): Readonly<Commit> | undefined;
};

/** A fake repository at `root` with one commit (c0) on `mainBranch` (default main), checked out at root. */
export function createFakeGit(opts: { root: string; mainBranch?: string; files?: string[] }): FakeGit {
  const root = opts.root;
  const mainBranch = opts.mainBranch ?? 'main';
  const commits = new Map<string, Commit>();
  const calls: string[][] = [];
  const oneShot = new Map<Method, Error[]>();
  const merges = new Map<string, MergeScript[]>();
  const conflicts = new Map<string, string[]>();
  const raws = new Map<string, string>();
  let next = 0;

  function addCommit(parents: string[], message: string, files: string[]): string {
    const id = `c${next++}`;
    commits.set(id, { id, parents, message, files });
    return id;
  }

  function call(method: Method, args: unknown[]): void {
    calls.push([
      method,
      ...args.map((a) => (Array.isArray(a) ? a.join(' ') : typeof a === 'object' && a !== null ? '[fs]' : String(a))),
    ]);
    const queued = oneShot.get(method);
    if (queued?.length) throw queued.shift()!;
    const persistent = fake.fail[method];
    if (persistent) throw persistent;
  }

  /** Commit ids reachable from `id`. */
  function ancestors(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      const c = stack.pop()!;
      if (seen.has(c)) continue;
      seen.add(c);
      stack.push(...(commits.get(c)?.parents ?? []));
    }
    return seen;
  }

  function resolve(ref: string, dir?: string): string | undefined {
    const stripped = ref.replace(/\^\{commit\}$/, '').replace(/^refs\/heads\//, '');
    if (stripped === 'HEAD') {
      const b = fake.worktrees.get(dir ?? root);
      return b === undefined ? undefined : fake.branches.get(b);
    }
    return fake.branches.get(stripped) ?? (commits.has(stripped) ? stripped : undefined);
  }
  function mustResolve(ref: string, dir: string): string {
    const id = resolve(ref, dir);
    if (!id) throw new Error(`fatal: bad revision '${ref}'`);
    return id;
  }
  /** The branch checked out in `dir`; throws when `dir` is not a worktree. */
  function branchAt(dir: string): string {
    const b = fake.worktrees.get(dir);
    if (b === undefined) throw new Error(`fatal: not a git repository: ${dir}`);
    return b;
  }
  /** Commits on `b` but not on `a`, newest first. */
  const only = (a: string, b: string) => [...ancestors(b)].filter((c) => !ancestors(a).has(c));
  const pairKey = (a: string, b: string) => [a, b].sort().join('\0');

  const c0 = addCommit([], 'initial', opts.files ?? ['README.md']);

  const fake: FakeGit = {
    root,
    calls,
    callsOf: (method) => calls.filter((c) => c[0] === method).map((c) => c.slice(1)),
    clearCalls: () => {
      calls.length = 0;
    },
    fail: {},
    failNext(method, err) {
      oneShot.set(method, [...(oneShot.get(method) ?? []), err]);
    },
    branches: new Map([[mainBranch, c0]]),
    worktrees: new Map([[root, mainBranch]]),
    dirty: new Map(),
    excluded: [],

    commit(branch, message, files = [`${branch.replace(/\//g, '-')}.txt`]) {
      const parent = fake.branches.get(branch);
      if (!parent) throw new Error(`fake git: no branch ${branch}`);
      const id = addCommit([parent], message, files);
      fake.branches.set(branch, id);
      return id;
    },
    setDirty(worktree, paths) {
      fake.dirty.set(worktree, paths);
    },
    scriptMerge(branch, ...outcomes) {
      merges.set(branch, [...(merges.get(branch) ?? []), ...outcomes]);
    },
    scriptConflicts(a, b, files) {
      conflicts.set(pairKey(resolve(a) ?? a, resolve(b) ?? b), files);
    },
    scriptRaw(args, stdout) {
      raws.set(JSON.stringify(args), stdout);
    },
    resolve,
    commitInfo: (id) => commits.get(id),

    async repoInfo(cwd) {
      call('repoInfo', [cwd]);
      const branch = fake.worktrees.get(cwd);
      if (branch === undefined) return undefined;
      const head = fake.branches.get(branch);
      const info: RepoInfo = { root: cwd, commonDir: join(root, '.git'), hasCommits: Boolean(head), head, branch };
      return info;
    },

    // No guess: callers ask repoRoot, which the tests script.
    repoRootGuess: () => undefined,

    async repoRoot(cwd) {
      call('repoRoot', [cwd]);
      return fake.worktrees.has(cwd) ? { root: cwd, commonDir: join(root, '.git') } : undefined;
    },

    async revParse(dir, ref) {
      call('revParse', [dir, ref]);
      branchAt(dir);
      return mustResolve(ref, dir);
    },

    async branchExists(dir, branch) {
      call('branchExists', [dir, branch]);
      return fake.branches.has(branch);
    },

    async addWorktree(repo, path, branch, startPoint) {
      call('addWorktree', [repo, path, branch, startPoint]);
      branchAt(repo);
      if (fake.branches.has(branch)) throw new Error(`fatal: a branch named '${branch}' already exists`);
      if (fake.worktrees.has(path)) throw new Error(`fatal: '${path}' already exists`);
      const start = mustResolve(startPoint, repo);
      fake.branches.set(branch, start);
      fake.worktrees.set(path, branch);
      mkdirSync(path, { recursive: true });
    },

    async removeWorktree(repo, path, force = false) {
      call('removeWorktree', [repo, path, ...(force ? ['force'] : [])]);
      if (path === root || !fake.worktrees.has(path)) throw new Error(`fatal: '${path}' is not a working tree`);
      if (!force && (fake.dirty.get(path) ?? []).length)
        throw new Error(`fatal: '${path}' contains modified or untracked files, use --force to delete it`);
      fake.worktrees.delete(path);
      fake.dirty.delete(path);
      rmSync(path, { recursive: true, force: true });
    },

    async deleteBranch(repo, branch, force = false) {
      call('deleteBranch', [repo, branch, ...(force ? ['force'] : [])]);
      const head = fake.branches.get(branch);
      if (head === undefined) throw new Error(`error: branch '${branch}' not found.`);
      if ([...fake.worktrees.values()].includes(branch))
        throw new Error(`error: Cannot delete branch '${branch}' checked out`);
      const base = fake.branches.get(fake.worktrees.get(repo) ?? mainBranch);
      if (!force && base !== undefined && !ancestors(base).has(head))
        throw new Error(`error: The branch '${branch}' is not fully merged.`);
      fake.branches.delete(branch);
    },

    async checkoutNewBranchAt(dir, branch, at) {
      call('checkoutNewBranchAt', [dir, branch, at]);
      if (fake.branches.get(branchAt(dir)) !== at) throw new Error(`fatal: ${dir} is not at ${at}`);
      if (fake.branches.has(branch))
        throw new Error(`fatal: update_ref failed for ref 'refs/heads/${branch}': reference already exists`);
      fake.branches.set(branch, at);
      fake.worktrees.set(dir, branch);
    },

    async resetHard(dir, ref) {
      call('resetHard', [dir, ref]);
      fake.branches.set(branchAt(dir), mustResolve(ref, dir));
    },

    async dirtyPaths(dir, _untracked = true) {
      call('dirtyPaths', [dir]);
      branchAt(dir);
      return [...(fake.dirty.get(dir) ?? [])];
    },

    async snapshotCommit(dir, message, exclude = []) {
      call('snapshotCommit', [dir, message, exclude]);
      const branch = branchAt(dir);
      const paths = (fake.dirty.get(dir) ?? []).filter((p) => !exclude.includes(p));
      fake.dirty.set(
        dir,
        (fake.dirty.get(dir) ?? []).filter((p) => exclude.includes(p)),
      );
      if (!paths.length) return undefined;
      return fake.commit(branch, message, paths);
    },

    async commitsAhead(dir, base, branch) {
      call('commitsAhead', [dir, base, branch]);
      return only(mustResolve(base, dir), mustResolve(branch, dir)).length;
    },

    async ensureExcluded(commonDir, line, fs) {
      call('ensureExcluded', [commonDir, line]);
      const file = `${commonDir}/info/exclude`;
      const current = fs.read(file) ?? '';
      if (current.split('\n').includes(line)) return;
      fs.append(file, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
      fake.excluded.push(line);
    },

    async diff(dir, base, branch) {
      call('diff', [dir, base, branch]);
      const files = [
        ...new Set(only(mustResolve(base, dir), mustResolve(branch, dir)).flatMap((c) => commits.get(c)!.files)),
      ].sort();
      return {
        stat: files.map((f) => ` ${f} | 1 +`).join('\n'),
        patch: files.map((f) => `diff --git a/${f} b/${f}\n+changed\n`).join(''),
        shortstat: files.length
          ? ` ${files.length} file${files.length === 1 ? '' : 's'} changed, ${files.length} insertion${files.length === 1 ? '' : 's'}(+)`
          : '',
      };
    },

    async uncommittedDiff(dir, exclude = []) {
      call('uncommittedDiff', [dir, exclude.join(',')]);
      branchAt(dir);
      const files = (fake.dirty.get(dir) ?? []).filter((p) => !exclude.includes(p));
      return {
        stat: files.map((f) => ` ${f} | 1 +`).join('\n'),
        patch: files.map((f) => `diff --git a/${f} b/${f}\n+uncommitted\n`).join(''),
      };
    },

    async merge(worktree, branch, message): Promise<MergeResult> {
      call('merge', [worktree, branch, message]);
      const target = branchAt(worktree);
      const head = fake.branches.get(target)!;
      const theirs = mustResolve(branch, worktree);
      const script = merges.get(branch)?.shift() ?? { kind: 'clean' };
      if (script.kind === 'conflict') {
        return {
          ok: false,
          kind: 'conflict',
          conflicts: [...script.files],
          detail: script.files.map((f) => `CONFLICT (content): Merge conflict in ${f}`).join(' '),
        };
      }
      if (script.kind === 'failed') return { ok: false, kind: 'failed', detail: script.detail };
      if (ancestors(head).has(theirs)) return { ok: true, commit: head };
      const id = addCommit([head, theirs], message, []);
      fake.branches.set(target, id);
      return { ok: true, commit: id };
    },

    async conflictFiles(dir, a, b) {
      call('conflictFiles', [dir, a, b]);
      return [...(conflicts.get(pairKey(mustResolve(a, dir), mustResolve(b, dir))) ?? [])];
    },

    async isAncestor(dir, a, b) {
      call('isAncestor', [dir, a, b]);
      return ancestors(mustResolve(b, dir)).has(mustResolve(a, dir));
    },

    async branchHeads(dir, prefix) {
      call('branchHeads', [dir, prefix]);
      return new Map(
        [...fake.branches].filter(([name]) => name.startsWith(prefix)).sort(([x], [y]) => x.localeCompare(y)),
      );
    },

    async fastForward(dir, ref) {
      call('fastForward', [dir, ref]);
      const target = branchAt(dir);
      const to = mustResolve(ref, dir);
      if (!ancestors(to).has(fake.branches.get(target)!)) return false;
      fake.branches.set(target, to);
      return true;
    },

    async raw(dir, args) {
      call('raw', [dir, args]);
      const out = raws.get(JSON.stringify(args));
      if (out === undefined) throw new Error(`fake git: raw ${JSON.stringify(args)} is not scripted (scriptRaw)`);
      return out;
    },

    async identityFlags(dir) {
      call('identityFlags', [dir]);
      return [];
    },
  };
  return fake;
}
