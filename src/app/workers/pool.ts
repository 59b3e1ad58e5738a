/**
 * The warm worktree pool: a few worktrees kept ready at the integration head (created, and prepared by
 * `prepare`: includes copied, folders cloned, setup run), so spawn_worker only creates a branch. Each
 * entry sits on a branch of its own (`crewmux/<sid>/pool-<k>`) in `<worktrees>/pool-<k>`; taking it
 * creates the worker's branch at the entry's commit and points the worktree's HEAD at it (Git.checkoutNewBranchAt),
 * the worker keeps that directory, and the pool branch is deleted after the spawn. When the integration head
 * moves, idle entries are reset to it in the background (`reset --hard`: it costs the diff, not the
 * repository). Pool worktrees never hold a worker's work, and `drain` removes every idle one when the
 * session ends. Failures are events, never thrown into a spawn: a spawn with an empty pool creates its
 * worktree itself. With `panes` (pool-panes.ts), each ready entry also holds a parked pane, its shell waiting in the
 * worktree, which the spawn takes with it; an entry whose shell died is handed out without one (the spawn opens a
 * new pane) and the others' dead panes are replaced. Parked panes go with their entry (discard, drain).
 */
import { join } from 'node:path';
import { poolBranch, sessionBranchPrefix } from '../../core/session/naming.js';
import type { Runtime } from '../runtime.js';
import type { PreparedWorktree } from '../worktrees/prepare.js';
import type { ParkedPane } from './panes.js';
import type { PoolPanes } from './pool-panes.js';

export interface PoolEntry {
  path: string;
  branch: string;
  /** The commit the entry is checked out at. */
  head: string;
  /** False while it is being created, prepared or refreshed. */
  ready: boolean;
  /** What `prepare` made of it (its bootstrap), handed to the worker that takes it. */
  prepared?: PreparedWorktree;
  /** Its parked pane (with `panes`), once started: the pane id is known from the fill on. */
  pane?: ParkedPane;
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
  ): Promise<{ path: string; prepared?: PreparedWorktree; pane?: ParkedPane } | undefined>;
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
  /** Parked panes for the entries (pool-panes.ts); without it a spawn opens its pane itself. */
  panes?: PoolPanes;
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
    // Its pane first: no shell is left waiting in a worktree that goes.
    if (e.pane) await opts.panes?.remove(e.pane);
    e.pane = undefined;
    if (e.prepared && opts.teardown) await opts.teardown(e.path);
    await rt.git.removeWorktree(rt.repoRoot, e.path, true);
    await rt.git.deleteBranch(rt.repoRoot, e.branch, true);
  }

  async function reclaim(): Promise<void> {
    // An earlier supervisor's parked panes wait on gates nobody opens: they go first.
    await opts.panes?.clear();
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
      await park(e, k);
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

  /** Gives entry `e` (pool-`k`) a parked pane; a failure is an event and leaves it without one (it still serves). */
  async function park(e: PoolEntry, k: number): Promise<void> {
    if (!opts.panes) return;
    try {
      e.pane = await opts.panes.park(e.path, k);
    } catch (err) {
      report(`could not park a pane for ${e.path}`, err);
    }
  }

  /** Replaces the dead parked panes of idle entries (a shell killed by hand, or by the OOM killer). */
  function revive(): void {
    if (!opts.panes || closed) return;
    for (const e of entries) {
      if (!e.ready || !e.pane || opts.panes.alive(e.pane)) continue;
      const dead = e.pane;
      e.pane = undefined;
      const k = Number(/pool-(\d+)$/.exec(e.path)?.[1] ?? next++);
      queue = queue.then(async () => {
        await opts.panes!.remove(dead);
        if (!closed && entries.includes(e) && !e.pane) await park(e, k);
      });
      track(queue);
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
      const ready = entries.filter((x) => x.ready && x.head === head);
      // One whose parked pane still waits first; a dead pane is never handed out.
      const e = ready.find((x) => x.pane && opts.panes?.alive(x.pane)) ?? ready[0];
      if (!e) {
        // Entries made while the head moved are behind: move them for the next spawn.
        if (entries.some((x) => x.ready)) pool.moved();
        return undefined;
      }
      remove(e);
      const deadPane = e.pane && !opts.panes?.alive(e.pane) ? e.pane : undefined;
      if (deadPane) {
        e.pane = undefined;
        report(
          `parked pane ${deadPane.paneId} of ${e.path}`,
          new Error('its shell is gone; the spawn opens a new pane'),
        );
        void opts.panes?.remove(deadPane);
      }
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
        revive();
        pool.fill();
      };
      track((refillAfter ?? Promise.resolve()).then(after, after));
      return handed ? { path: e.path, prepared: e.prepared, ...(e.pane ? { pane: e.pane } : {}) } : undefined;
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
      // Parked panes of entries no longer listed (a creation that failed half-way) and the panes' folder.
      await opts.panes?.clear();
    },
    entries: () => entries,
  };
  return pool;
}
