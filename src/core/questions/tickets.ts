/**
 * Worker questions as tickets: what a ticket holds, who may answer it, when it goes to the human and with
 * which urgency, and the report line. Pure: the app layer (app/questions/) stores tickets as rows, emits
 * the `question.*` events and delivers answers.
 */
import type { Ticket } from './ticket-schema.js';
export type { Ticket } from './ticket-schema.js';

export const URGENCIES = ['low', 'normal', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const CATEGORIES = ['question', 'approval', 'credentials'] as const;
export type Category = (typeof CATEGORIES)[number];
/** Where a ticket came from: the worker's `ask` tool, its pane (an agent-native prompt), or a Claude Code hook. */
export const TICKET_SOURCES = ['tool', 'pane', 'hook'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];
export const ANSWERERS = ['lead', 'human'] as const;
export type Answerer = (typeof ANSWERERS)[number];

/** Default seconds the lead has to answer before a ticket goes to the human (`questions.leadTimeout`). */
export const LEAD_TIMEOUT_S = 300;
/** Escalations after the first: an unanswered ticket is re-sent at most this many times, urgency raised. */
export const MAX_RESENDS = 2;
/** Longest question or answer kept (characters). */
export const MAX_TEXT = 8_000;

/** What a new ticket needs; the store numbers it (`q1`, `q2`, … per session). */
export interface NewTicket {
  sessionId: string;
  workerId: string;
  question: string;
  options: string[];
  urgency: Urgency;
  category: Category;
  source: TicketSource;
  createdAt: number;
}

/** Ticket ids: `q` and a number. */
export const TICKET_ID = /^q[1-9]\d*$/;

/** Categories the lead must not settle alone: they go to the human at once. */
export function humanOnly(c: Category): boolean {
  return c === 'approval' || c === 'credentials';
}

/** One step up (`high` stays `high`). */
export function raiseUrgency(u: Urgency): Urgency {
  return u === 'low' ? 'normal' : 'high';
}

/** The escalation of ticket `t` due at `now` (ms), or undefined: attempt 1 is the first, 2 and 3 are re-sends. */
export function escalationDue(
  t: Pick<Ticket, 'status' | 'category' | 'created_at' | 'escalations' | 'escalated_at' | 'urgency'>,
  now: number,
  leadTimeoutS: number,
): { attempt: number; urgency: Urgency } | undefined {
  if (t.status !== 'open' || t.escalations > MAX_RESENDS) return undefined;
  const waitMs = leadTimeoutS * 1000;
  const since = t.escalations === 0 ? t.created_at : (t.escalated_at ?? t.created_at);
  const due = (t.escalations === 0 && humanOnly(t.category)) || now - since >= waitMs;
  if (!due) return undefined;
  let urgency = t.urgency;
  for (let i = 0; i < t.escalations; i++) urgency = raiseUrgency(urgency);
  return { attempt: t.escalations + 1, urgency };
}

/** How many tickets a run had and who answered them (the report's `questions`). */
export interface QuestionCounts {
  asked: number;
  lead: number;
  human: number;
}

/** Counts `tickets` by who answered them. */
export function questionCounts(tickets: readonly Pick<Ticket, 'answered_by'>[]): QuestionCounts {
  return {
    asked: tickets.length,
    lead: tickets.filter((t) => t.answered_by === 'lead').length,
    human: tickets.filter((t) => t.answered_by === 'human').length,
  };
}

/** The report line: `questions asked: 3, answered by the lead: 2, by you: 1` (and how many are unanswered). */
export function questionsLine(c: QuestionCounts): string {
  const open = c.asked - c.lead - c.human;
  return `questions asked: ${c.asked}, answered by the lead: ${c.lead}, by you: ${c.human}${open ? `, unanswered: ${open}` : ''}`;
}

/** The question text from a pane: its last `n` non-blank lines, at most MAX_TEXT characters (still raw: fence it). */
export function paneQuestion(screen: string, n = 12): string {
  const lines = screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n').slice(-MAX_TEXT);
}
