/**
 * The session's event stream: every event is appended to the SQLite log (the durable record other
 * processes tail) and pushed in-process to subscribers (wait_for_worker, the headless printer).
 */
import { EventEmitter } from 'node:events';
import type { Store } from '../ports/store.js';
import type { EventType } from '../../core/session/event-types.js';

export interface SessionEvent {
  id: number;
  sessionId: string;
  workerId: string | null;
  ts: number;
  type: EventType;
  message: string;
  data: Record<string, unknown>;
}

export type EventLog = ReturnType<typeof createEventLog>;

/**
 * The session's event log: `emit` appends a row to the store, stamps it with `now()` (epoch ms) and publishes it to
 * subscribers; a store failure throws from `emit`.
 */
export function createEventLog(store: Store, sessionId: string, now: () => number) {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  return {
    /** Appends and publishes an event; returns it. */
    emit(
      type: EventType,
      message: string,
      workerId: string | null = null,
      data: Record<string, unknown> = {},
    ): SessionEvent {
      const id = store.addEvent(sessionId, workerId, type, message, data);
      const ev: SessionEvent = { id, sessionId, workerId, ts: now(), type, message, data };
      bus.emit('event', ev);
      return ev;
    },
    /** Calls `fn` for every event from now on; returns the unsubscribe function. */
    subscribe(fn: (ev: SessionEvent) => void): () => void {
      bus.on('event', fn);
      return () => bus.off('event', fn);
    },
  };
}
