/**
 * Following a run from outside the supervisor (`run --wait`, `crewmux demo`): tails the event log in
 * SQLite, prints one line per event, and returns the exit code of the outcome.
 */
import { EXIT } from '../../core/errors.js';
import type { EventRow, SessionRow } from '../../core/session/rows.js';
import type { Store } from '../ports/store.js';
import { TERMINAL_SESSION_STATUSES } from '../../core/session/rows.js';
import type { Tmux } from '../ports/tmux.js';
import { isAlive } from '../../adapters/process/process-tree.js';
import { waitUntil, type Clock } from '../../core/clock.js';

/** The exit code for a session status: 0 done, 2 timeout or budget, 1 anything else. */
export function exitCodeOf(status: SessionRow['status']): number {
  if (status === 'done') return EXIT.ok;
  if (status === 'timeout') return EXIT.timeout;
  if (status === 'budget') return EXIT.budget;
  return EXIT.failed;
}

/** One progress line for an event: `[HH:MM:SS] type message` (UTC time, message cut at its first newline). */
export function progressLine(e: EventRow): string {
  const t = new Date(e.ts).toISOString().slice(11, 19);
  return `[${t}] ${e.type.padEnd(18)} ${e.message.split('\n')[0]}`;
}

/**
 * Prints events of `sid` until the session ends; returns its exit code. If the tmux session vanishes
 * while the outcome is still open, the supervisor was lost: returns EXIT.failed after saying so.
 */
export async function followRun(
  store: Store,
  tmux: Tmux,
  sid: string,
  print: (line: string) => void,
  opts: { pollMs?: number; fromEventId?: number; cleanupWaitMs?: number; clock: Clock },
): Promise<number> {
  const clock = opts.clock;
  const pollMs = opts.pollMs ?? 100;
  let last = opts.fromEventId ?? 0;
  let lostChecks = 0;
  for (;;) {
    for (const e of store.eventsAfter(sid, last)) {
      print(progressLine(e));
      last = e.id;
    }
    const s = store.getSession(sid);
    if (!s) return EXIT.failed;
    if (TERMINAL_SESSION_STATUSES.includes(s.status)) {
      // The supervisor stops the agents and the tmux session after recording the outcome; return once
      // it has, so nothing of the run is still alive or writing when the caller goes on (bounded wait).
      // The outcome row is written just before its `session.<status>` event: print what came after too.
      const pid = s.supervisor_pid;
      if (pid !== null)
        await waitUntil(() => !isAlive(pid), { timeoutMs: opts.cleanupWaitMs ?? 20_000, intervalMs: pollMs, clock });
      for (const e of store.eventsAfter(sid, last)) print(progressLine(e));
      return exitCodeOf(s.status);
    }
    const supervisorGone = s.supervisor_pid !== null && !isAlive(s.supervisor_pid);
    // A tmux that does not answer says nothing about the session: ask again at the next check.
    if (++lostChecks % 20 === 0 && (supervisorGone || !(await tmux.hasSession(s.tmux_session).catch(() => true)))) {
      // Re-read once: the supervisor records the outcome just before it removes the tmux session.
      const again = store.getSession(sid);
      if (again && TERMINAL_SESSION_STATUSES.includes(again.status)) continue;
      print(`crewmux: the supervisor of ${sid} is gone and the goal has no outcome [E_SUPERVISOR_LOST]`);
      return EXIT.failed;
    }
    await clock.sleep(pollMs);
  }
}
