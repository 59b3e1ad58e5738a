/**
 * wait_for_worker: resolves when any (or all) of the named workers have finished their turn, when one of them asks
 * a question the lead has not been shown yet, or when `timeoutMs` passes. Woken by the event log, not by polling.
 */
import { isActive } from '../../core/workers/state.js';
import { eventSubject } from '../../core/session/event-types.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { Ticket } from '../../core/questions/tickets.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';
import { openTickets } from '../questions/tickets.js';

export interface WaitResult {
  finished: WorkerRow[];
  pending: WorkerRow[];
  /** Open tickets of the waited-for workers not shown to the lead before (now marked shown). */
  asked: Ticket[];
  /** True when the wait ended by time, not by the condition. */
  timedOut: boolean;
}

/**
 * Resolves when any (`mode` 'any') or all of workers `ids` have finished, one of them has an open ticket the lead was
 * not shown yet (`asked`; marked shown by this answer), the session ends, or `timeoutMs` passes (then `timedOut` is
 * true); throws ToolError before waiting when an id is unknown.
 */
export function waitForWorkers(
  rt: Runtime,
  ids: string[],
  mode: 'any' | 'all',
  timeoutMs: number,
): Promise<WaitResult> {
  for (const id of ids) getWorkerOrFail(rt, id);
  const snapshot = (): WaitResult => {
    const rows = ids.map((id) => rt.store.getWorker(rt.sid, id)!);
    return {
      finished: rows.filter((w) => !isActive(w.state)),
      pending: rows.filter((w) => isActive(w.state)),
      asked: openTickets(rt, ids).filter((t) => t.shown_at === null),
      timedOut: false,
    };
  };
  const met = (r: WaitResult) =>
    r.asked.length > 0 || (mode === 'any' ? r.finished.length > 0 : r.pending.length === 0);
  const shown = (r: WaitResult): WaitResult => {
    rt.store.questions().markShown(
      rt.sid,
      r.asked.map((t) => t.id),
      rt.now(),
    );
    return r;
  };
  const first = snapshot();
  if (met(first)) return Promise.resolve(shown(first));
  return new Promise((resolve) => {
    const done = (r: WaitResult) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(shown(r));
    };
    const unsubscribe = rt.events.subscribe((ev) => {
      // Any session event (ending, ended, resumed) answers the wait with what is known now.
      const aboutSession = eventSubject(ev.type) === 'session';
      if (ev.workerId && !ids.includes(ev.workerId) && !aboutSession) return;
      const r = snapshot();
      if (met(r) || aboutSession) done(r);
    });
    const timer = setTimeout(() => done({ ...snapshot(), timedOut: true }), timeoutMs);
  });
}
