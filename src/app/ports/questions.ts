/** The questions port: worker question tickets in state.db (adapters/questions/questions-store.ts). */
import type { Answerer, NewTicket, Ticket } from '../../core/questions/tickets.js';

export interface QuestionsStore {
  /** Stores a new open ticket numbered `q<n>` within its session; returns it. */
  add(t: NewTicket): Ticket;
  get(sessionId: string, id: string): Ticket | undefined;
  /** The session's tickets, oldest first. */
  list(sessionId: string): Ticket[];
  /** Records the answer of an open ticket; returns false (and changes nothing) when it was answered already. */
  answer(sessionId: string, id: string, answer: string, by: Answerer, at: number): boolean;
  /** Marks tickets as shown to the lead (wait_for_worker named them). */
  markShown(sessionId: string, ids: readonly string[], at: number): void;
  /** Records escalation `attempt` of an open ticket at `at`. */
  markEscalated(sessionId: string, id: string, attempt: number, at: number): void;
  /**
   * Claims an answered ticket's delivery: true for exactly one caller (delivered_at was unset); `release` undoes a
   * claim whose delivery failed, so the next pass tries again.
   */
  claimDelivery(sessionId: string, id: string, at: number): boolean;
  releaseDelivery(sessionId: string, id: string): void;
}
