/**
 * The closing answer of a worker that reported its turn: after worker_done, an agent still answers the tool's result
 * (one more model call), and OpenCode and Kilo Code write a call down only when it completes. A session that ends
 * gives such a worker a short grace to reach its prompt before stopping it, so its usage counts that call; a worker
 * still working on its turn is stopped at once.
 */
import { matchStatus } from '../../core/workers/status-detect.js';
import { waitUntil } from '../../core/clock.js';
import type { WorkerState } from '../../core/workers/state.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { pollSignals } from './signals.js';
import { runtimeOf } from './worker-runtimes.js';
import type { Runtime } from '../runtime.js';

/** The longest a session's end waits for the closing answer of a worker that reported its turn, in ms. */
export const CLOSING_GRACE_MS = 10_000;

/** How often the agent is looked at during the grace, in ms. */
const LOOK_EVERY_MS = 250;

/** A worker's states after it reported its turn (worker_done, done.flag or sentinel line) and the lead's verdict. */
const REPORTED: readonly WorkerState[] = ['done', 'unverified', 'blocked', 'failed', 'merged', 'discarded'];

/**
 * Waits until the agent of `w` is idle (its structured status not busy, else a ready or waiting marker on its screen)
 * or gone, at most `graceMs` (default CLOSING_GRACE_MS) on the runtime's clock; at once when `w` has not reported its
 * turn, or its agent has no way to say it is idle (no signals, no ready marker). True when the agent was seen idle or
 * gone; false when the grace ran out. Never throws: a runtime that cannot answer ends the wait.
 */
export async function awaitClosingAnswer(rt: Runtime, w: WorkerRow, graceMs = CLOSING_GRACE_MS): Promise<boolean> {
  if (!REPORTED.includes(w.state)) return true;
  const on = runtimeOf(rt, w);
  const profile = rt.agents.get(w.agent)?.profile;
  if (!on || !profile || (!profile.signals && !profile.markers.ready?.length)) return true;
  const idle = async (): Promise<boolean> => {
    if (!(await on.runtime.isRunning(on.handle))) return true;
    const said = profile.signals ? pollSignals(rt, w).latest : undefined;
    if (said) return said.activity !== 'busy';
    const screen = await on.runtime.readOutput(on.handle, 40);
    if (screen === undefined) return true;
    const { status } = matchStatus(profile.markers, screen);
    return status === 'ready' || status === 'waiting';
  };
  try {
    return (await waitUntil(idle, { timeoutMs: graceMs, intervalMs: LOOK_EVERY_MS, clock: rt.clock })) === true;
  } catch {
    return true;
  }
}
