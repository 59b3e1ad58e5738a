/** Applying a worker state change: checked against the state machine, stored, and logged as an event. */
import { canTransition, type WorkerState } from '../../core/workers/state.js';
import type { WorkerPatch, WorkerRow } from '../../core/session/rows.js';
import type { Runtime } from '../runtime.js';
import type { EventType } from '../../core/session/event-types.js';

/**
 * Moves worker `w` to `to` with `message` in the event log; extra columns go in `patch`. Returns the
 * updated row, or undefined when the transition is not allowed (the row is left as it was).
 */
export function changeWorkerState(
  rt: Runtime,
  w: WorkerRow,
  to: WorkerState,
  message: string,
  patch: WorkerPatch = {},
  data: Record<string, unknown> = {},
): WorkerRow | undefined {
  const current = rt.store.getWorker(rt.sid, w.id);
  // Nothing moves back to 'starting' (canTransition says so too); ruling it out here types the event name.
  if (to === 'starting' || !current || !canTransition(current.state, to)) return undefined;
  const finished = to !== 'running' && to !== 'waiting';
  rt.store.updateWorker(rt.sid, w.id, {
    ...patch,
    state: to,
    ...(finished && !patch.finished_at ? { finished_at: rt.now() } : {}),
    ...(finished ? {} : { finished_at: null }),
  });
  rt.events.emit(`worker.${to}`, `${w.id} ${to}: ${message}`, w.id, { from: current.state, to, ...data });
  return rt.store.getWorker(rt.sid, w.id);
}

/** Appends a note (progress, warning) to the worker row and the event log. */
export function addWorkerNote(rt: Runtime, w: WorkerRow, type: EventType & `worker.${string}`, note: string): void {
  const current = rt.store.getWorker(rt.sid, w.id) ?? w;
  const notes = [...current.notes, note].slice(-20);
  rt.store.updateWorker(rt.sid, w.id, { notes });
  rt.events.emit(type, `${w.id}: ${note}`, w.id);
}
