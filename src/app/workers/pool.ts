/**
 * The warm worktree pool: a few worktrees kept ready at the integration head (created, and prepared by
 * `prepare`: includes copied, folders cloned, setup run), so spawn_worker only creates a branch. Each
 * entry sits on a branch of its own (`crewmux/<sid>/pool-<k>`) in `<worktrees>/pool-<k>`; taking it
 * creates the worker's branch at the entry's commit and points the worktree's HEAD at it (Git.checkoutNewBranchAt),
 * the worker keeps that directory, and the pool branch is deleted after the spawn. When the integration head
 * moves, idle entries are reset to it in the background (`reset --hard`: it costs the diff, not the
 * repository). Pool worktrees never hold a worker's work, and `drain` removes every idle one when the
 * session ends. Failures are events, never thrown into a spawn: a spawn with an empty pool creates its
 * worktree itself.
 */
import { join } from 'node:path';
import { poolBranch, sessionBranchPrefix } from '../../core/session/naming.js';
import type { Runtime } from '../runtime.js';
import type { PreparedWorktree } from '../worktrees/prepare.js';

export interface PoolEntry {
  path: string;
  branch: string;
  /** The commit the entry is checked out at. */
  head: string;
  /** False while it is being created, prepared or refreshed. */
  ready: boolean;
  /** What `prepare` made of it (its bootstrap), handed to the worker that takes it. */
  prepared?: PreparedWorktree;
  /** While it moves to a new head: that head, and the move (a spawn at that head waits for it: it costs the diff). */
  moving?: { head: string; done: Promise<void> };
}

export interface WorktreePool {
  /**
   * An idle entry at `head`, now on new branch `branch`; the entry leaves the pool (its pool branch is deleted and a
   * refill starts). Undefined
   * when none is ready at that head: the caller creates a worktree itself. With `refillAfter` (spawn_worker's end),
   * both wait for it, so they do not compete with the spawn for the CPU.
   */
  take(
    head: string,
    branch: string,
    refillAfter?: Promise<unknown>,
  ): Promise<{ path: string; prepared?: PreparedWorktree } | undefined>;
  /** The integration head moved: reset idle entries to it, in the background. */
  moved(): void;
  /** Tops the pool up to its size, in the background. */
  fill(): void;
  /** Resolves when no background work is in flight (tests, drain). */
  settled(): Promise<void>;
  /** Stops refilling and removes every entry (worktree and branch); errors are events. */
  drain(): Promise<void>;
  entries(): readonly PoolEntry[];
}

/** Ready worktrees kept when config `worktree.pool` is not set. */
export const DEFAULT_POOL_SIZE = 2;

export interface PoolOptions {
  size: number;
  /** Runs before an entry's worktree is removed (worktree.teardown); never throws. */
  teardown?: (path: string) => Promise<void>;
  /** Makes a new entry ready to work in (the bootstrap); a throw drops the entry. */
  prepare?: (path: string) => Promise<PreparedWorktree | undefined>;
}

/** A pool of `opts.size` worktrees for session `rt`; nothing is created until `fill`. */
export function createWorktreePool(rt: Runtime, opts: PoolOptions): WorktreePool {
  const entries: PoolEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  let next = 1;
  let closed = false;
  let failures = 0;
  let pending = 0;
  // Creations run one at a time (on a busy machine parallel checkouts only slow the spawns down), after the
  // entries a supervisor that died left behind are removed (a resumed session starts its pool afresh).
  let queue: Promise<void> = reclaim().catch((err) =>
    report('could not remove the pool of an earlier supervisor', err),
  );

  const track = (p: Promise<void>) => {
    const q = p.finally(() => inFlight.delete(q));
    inFlight.add(q);
  };
  const remove = (e: PoolEntry) => entries.splice(entries.indexOf(e), 1);
  const report = (what: string, e: unknown): void =>
    void rt.events.emit('pool.failed', `worktree pool: ${what}: ${(e as Error).message}`, null, { what });

  async function discard(e: PoolEntry): Promise<void> {
    if (e.prepared && opts.teardown) await opts.teardown(e.path);
    await rt.git.removeWorktree(rt.repoRoot, e.path, true);
    await rt.git.deleteBranch(rt.repoRoot, e.branch, true);
  }

  async function reclaim(): Promise<void> {
    const prefix = sessionBranchPrefix(rt.sid);
    // A worker's worktree keeps its pool-<k> directory: when the supervisor died between a take and the deletion of
    // the pool branch, only the branch goes.
    const workers = new Set(rt.store.listWorkers(rt.sid).map((w) => w.worktree));
    for (const branch of (await rt.git.branchHeads(rt.repoRoot, prefix)).keys()) {
      const k = /\/pool-(\d+)$/.exec(branch)?.[1];
      if (!k) continue;
      const path = join(rt.worktreesDir, `pool-${k}`);
      if (!workers.has(path)) await rt.git.removeWorktree(rt.repoRoot, path, true).catch(() => undefined);
      await rt.git.deleteBranch(rt.repoRoot, branch, true);
      next = Math.max(next, Number(k) + 1);
    }
  }

  async function create(): Promise<void> {
    const k = next++;
    const e: PoolEntry = {
      path: join(rt.worktreesDir, `pool-${k}`),
      branch: poolBranch(rt.sid, k),
      head: '',
      ready: false,
    };
    entries.push(e);
    try {
      e.head = await rt.git.revParse(rt.repoRoot, rt.integrationBranch);
      await rt.git.addWorktree(rt.repoRoot, e.path, e.branch, e.head);
      if (opts.prepare) e.prepared = await opts.prepare(e.path);
      if (closed) throw new Error('the session is ending');
      e.ready = true;
      failures = 0;
    } catch (err) {
      remove(e);
      failures++;
      if (!closed) report(`could not prepare ${e.path}`, err);
      await discard(e).catch(() => undefined);
    }
  }

  function refresh(e: PoolEntry, head: string): Promise<void> {
    e.ready = false;
    const done = (async () => {
      try {
        await rt.git.resetHard(e.path, head);
        e.head = head;
        e.ready = !closed;
      } catch (err) {
        remove(e);
        report(`could not move ${e.path} to the integration head`, err);
        await discard(e).catch(() => undefined);
      } finally {
        e.moving = undefined;
      }
    })();
    e.moving = { head, done };
    return done;
  }

  track(queue);

  const pool: WorktreePool = {
    async take(head, branch, refillAfter) {
      if (closed) return undefined;
      const moving = entries.find((x) => x.moving?.head === head);
      if (!entries.some((x) => x.ready && x.head === head) && moving) await moving.moving!.done;
      const e = entries.find((x) => x.ready && x.head === head);
      if (!e) {
        // Entries made while the head moved are behind: move them for the next spawn.
        if (entries.some((x) => x.ready)) pool.moved();
        return undefined;
      }
      remove(e);
      let handed = true;
      try {
        await rt.git.checkoutNewBranchAt(e.path, branch, e.head);
      } catch (err) {
        handed = false;
        report(`could not hand ${e.path} to a worker`, err);
        // The spawn creates its own worktree next: this one goes first (its HEAD is unknown now).
        await discard(e).catch(() => undefined);
      }
      // After the spawn (so it competes with nothing in it): the entry's pool branch goes, then the refill.
      const after = async () => {
        if (handed)
          await rt.git
            .deleteBranch(rt.repoRoot, e.branch, true)
            .catch((err) => report(`could not delete pool branch ${e.branch}`, err));
        pool.fill();
      };
      track((refillAfter ?? Promise.resolve()).then(after, after));
      return handed ? { path: e.path, prepared: e.prepared } : undefined;
    },
    moved() {
      if (closed) return;
      track(
        (async () => {
          const head = await rt.git.revParse(rt.repoRoot, rt.integrationBranch);
          await Promise.all(entries.filter((e) => e.ready && e.head !== head).map((e) => refresh(e, head)));
        })().catch((err) => void report('could not read the integration head', err)),
      );
    },
    fill() {
      // Two failed creations in a row stop the refills: the spawns create their worktrees as before.
      if (closed || failures >= 2) return;
      for (let n = entries.length + pending; n < opts.size; n++) {
        pending++;
        queue = queue.then(() => {
          pending--;
          return create();
        });
        track(queue);
      }
    },
    async settled() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    async drain() {
      closed = true;
      await pool.settled();
      for (const e of entries.splice(0)) await discard(e).catch((err) => report(`could not remove ${e.path}`, err));
    },
    entries: () => entries,
  };
  return pool;
}
