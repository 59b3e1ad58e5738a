/** The status decisions port: each worker's last activity decisions in state.db (adapters/signals/decisions-store.ts). */
import type { StatusDecision } from '../../core/workers/signals.js';

export interface StatusDecisionStore {
  /** Appends a decision about `workerId`; only its newest MAX_DECISIONS_PER_WORKER are kept. */
  add(sessionId: string, workerId: string, d: StatusDecision): void;
  /** `workerId`'s newest `limit` decisions, oldest first. */
  list(sessionId: string, workerId: string, limit: number): StatusDecision[];
  /** The newest decision of each worker of the session that has one, by worker id. */
  latest(sessionId: string): Map<string, StatusDecision>;
  /** The newest decision about `workerId` from a source other than the pane, or undefined. */
  latestStructured(sessionId: string, workerId: string): StatusDecision | undefined;
}
