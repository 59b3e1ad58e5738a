/**
 * The human's side of tickets, from outside the supervisor (`crewmux answer`, the dashboard): list what needs them and
 * record their answer. The running supervisor delivers it to the worker at its next pass (app/questions/pump.ts).
 */
import type { Ticket } from '../../core/questions/tickets.js';
import type { Store } from '../ports/store.js';
import { createEventLog } from '../session/events.js';
import { answerQuestion, openTickets, type TicketScope } from './tickets.js';

function scope(store: Store, sid: string, now: () => number): TicketScope {
  return { sid, store, now, events: createEventLog(store, sid, now) };
}

/** Session `sid`'s open tickets, escalated ones first, then oldest first. */
export function ticketsNeedingYou(store: Store, sid: string): Ticket[] {
  const open = openTickets(scope(store, sid, Date.now));
  return [...open.filter((t) => t.escalations > 0), ...open.filter((t) => t.escalations === 0)];
}

/**
 * Records the user's `answer` to ticket `id` of session `sid` (answered_by human, event `question.answered`); throws
 * ToolError when the ticket is unknown or already answered, or the answer is empty.
 */
export function answerAsUser(store: Store, sid: string, id: string, answer: string, now: () => number): Ticket {
  return answerQuestion(scope(store, sid, now), id, answer, 'human');
}
