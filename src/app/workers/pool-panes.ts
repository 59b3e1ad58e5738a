/**
 * The parked panes of the worktree pool (issue 15 item 6): a pane costs tmux about 35 ms (the pane, its pty, its
 * shell), most of a pooled spawn, so each ready pool worktree also holds a pane started ahead, in the hidden
 * `crewmux-pool` window of the session. Its shell runs in the worktree and waits at a named pipe; a spawn writes the
 * worker's launch script, moves the pane into place and opens the pipe (panes.ts openParkedPane). Nothing is ever
 * typed into a parked pane. Each pane's gate, launch script and piped log live in `<session>/pool/pool-<k>/` (0700,
 * files 0600); the log becomes the worker's pane log when it is taken.
 */
import { dirname, join } from 'node:path';
import { appendText, ensureDir, removeTree } from '../../adapters/system/files.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import { FIFO_GATE, parkedCommand, POOL_WINDOW, type ParkedPane } from './panes.js';
import type { Runtime } from '../runtime.js';

/** What the pool does with parked panes (pool.ts); `createPoolPanes` is the tmux one. */
export interface PoolPanes {
  /** Starts a parked pane in pool worktree `path` (entry `k`); rejects when tmux or the gate fails. */
  park(path: string, k: number): Promise<ParkedPane>;
  /** Whether its shell still waits (a dead one is never handed out). */
  alive(p: ParkedPane): boolean;
  /** Kills the pane and removes its gate and launch script; never rejects. */
  remove(p: ParkedPane): Promise<void>;
  /** Kills every parked pane of the session (an earlier supervisor's included) and removes their files; never rejects. */
  clear(): Promise<void>;
}

/** The folder of the parked panes' gates and launch scripts of session `rt`. */
export function poolPanesDir(rt: Runtime): string {
  return join(rt.sessionDir, 'pool');
}

/** Parked panes in the hidden `crewmux-pool` window of `rt`'s tmux session. */
export function createPoolPanes(rt: Runtime): PoolPanes {
  const gate = rt.paneGate ?? FIFO_GATE;
  return {
    async park(path, k) {
      const dir = join(poolPanesDir(rt), `pool-${k}`);
      removeTree(dir);
      ensureDir(dir);
      const files = { gate: join(dir, 'gate.fifo'), launch: join(dir, 'launch.sh'), log: join(dir, 'pane.log') };
      await gate.create(files.gate);
      // 0600 before the pipe's `cat` opens it (it would create it with the tmux server's umask).
      appendText(files.log, '');
      const p = await rt.tmux.parkPane(rt.tmuxSession, POOL_WINDOW, {
        cwd: path,
        command: parkedCommand(files.gate, files.launch),
      });
      // Piped now, so the spawn's tmux command list forks nothing (panes.ts openParkedPane renames this log).
      try {
        await rt.tmux.pipePane(p.paneId, `cat >> ${shellQuote(files.log)}`);
      } catch (e) {
        await rt.tmux.killPane(p.paneId).catch(() => undefined);
        throw e;
      }
      return { paneId: p.paneId, pid: p.pid, ...files };
    },
    alive: (p) => rt.runner.isAlive(p.pid),
    async remove(p) {
      await rt.tmux.killPane(p.paneId).catch(() => undefined);
      removeTree(dirname(p.gate));
    },
    async clear() {
      const panes = await rt.tmux.listPanes(rt.tmuxSession).catch(() => []);
      for (const p of panes.filter((x) => x.windowName === POOL_WINDOW))
        await rt.tmux.killPane(p.paneId).catch(() => undefined);
      removeTree(poolPanesDir(rt));
    },
  };
}
