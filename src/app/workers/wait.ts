/**
 * wait_for_worker: resolves when any (or all) of the named workers have finished their turn, or when
 * `timeoutMs` passes. Woken by the event log, not by polling.
 */
import { isActive } from '../../core/workers/state.js';
import { eventSubject } from '../../core/session/event-types.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

export interface WaitResult {
  finished: WorkerRow[];
  pending: WorkerRow[];
  /** True when the wait ended by time, not by the condition. */
  timedOut: boolean;
}

/**
 * Resolves when any (`mode` 'any') or all of workers `ids` have finished, the session ends, or `timeoutMs` passes
 * (then `timedOut` is true); throws ToolError before waiting when an id is unknown.
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
      timedOut: false,
    };
  };
  const met = (r: WaitResult) => (mode === 'any' ? r.finished.length > 0 : r.pending.length === 0);
  const first = snapshot();
  if (met(first)) return Promise.resolve(first);
  return new Promise((resolve) => {
    const done = (r: WaitResult) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(r);
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
