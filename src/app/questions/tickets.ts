/**
 * Worker questions as tickets: a worker asks (its `ask` tool, its pane, its Claude Code hook), the lead lists and
 * answers, the human answers what the lead cannot (`crewmux answer`, the dashboard). Every step is a row in the
 * `questions` table and a `question.*` event; delivering answers and escalating is pump.ts.
 */
import { ToolError } from '../../core/errors.js';
import {
  LEAD_TIMEOUT_S,
  MAX_TEXT,
  TICKET_ID,
  humanOnly,
  type Answerer,
  type Category,
  type Ticket,
  type TicketSource,
  type Urgency,
} from '../../core/questions/tickets.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** What the ticket use cases need of a Runtime (a CLI or the dashboard builds it from the store alone). */
export type TicketScope = Pick<Runtime, 'sid' | 'store' | 'events' | 'now'>;

export interface Ask {
  question: string;
  options?: string[];
  urgency?: Urgency;
  category?: Category;
  source?: TicketSource;
}

/** Seconds the lead has before a ticket goes to the human: `questions.leadTimeout` (default 300). */
export function leadTimeoutS(rt: Runtime): number {
  return rt.config.questions?.leadTimeout ?? LEAD_TIMEOUT_S;
}

/**
 * Opens a ticket for worker `workerId` (event `question.asked`); approval and credentials tickets are escalated at
 * once. Throws ToolError for an empty or oversized question or an unknown worker.
 */
export function askQuestion(rt: Runtime, workerId: string, a: Ask): Ticket {
  const w = getWorkerOrFail(rt, workerId);
  const question = a.question.trim();
  if (!question) throw new ToolError('Error: the question is empty. Call ask with the question to put to the lead.');
  if (question.length > MAX_TEXT)
    throw new ToolError(`Error: the question is longer than ${MAX_TEXT} characters. Shorten it.`);
  const t = rt.store.questions().add({
    sessionId: rt.sid,
    workerId: w.id,
    question,
    options: (a.options ?? []).map((o) => o.slice(0, 500)).slice(0, 20),
    urgency: a.urgency ?? 'normal',
    category: a.category ?? 'question',
    source: a.source ?? 'tool',
    createdAt: rt.now(),
  });
  rt.events.emit(
    'question.asked',
    `${w.id} asked ${t.id} (${t.category}, ${t.source}): ${question.slice(0, 200)}`,
    w.id,
    {
      ticket: t.id,
      urgency: t.urgency,
      category: t.category,
      source: t.source,
    },
  );
  if (humanOnly(t.category)) escalateTicket(rt, t, 1, t.urgency);
  return t;
}

/** Ticket `id` of this session, or a ToolError naming the open ones. */
export function getTicketOrFail(rt: TicketScope, id: string): Ticket {
  const t = TICKET_ID.test(id) ? rt.store.questions().get(rt.sid, id) : undefined;
  if (!t) {
    const open = openTickets(rt).map((x) => x.id);
    throw new ToolError(
      `Error: unknown ticket "${id}". Open tickets: ${open.length ? open.join(', ') : 'none'}. Call list_questions to see them.`,
    );
  }
  return t;
}

/** The session's tickets still waiting for an answer, oldest first. */
export function openTickets(rt: TicketScope, workerIds?: readonly string[]): Ticket[] {
  return rt.store
    .questions()
    .list(rt.sid)
    .filter((t) => t.status === 'open' && (!workerIds || workerIds.includes(t.worker_id)));
}

/**
 * Records `answer` to ticket `id` from `by` (event `question.answered`); throws ToolError when the ticket is unknown,
 * already answered, or the answer is empty. Delivery to the worker is pump.ts's (deliverAnswers).
 */
export function answerQuestion(rt: TicketScope, id: string, answer: string, by: Answerer): Ticket {
  const t = getTicketOrFail(rt, id);
  const text = answer.trim();
  if (!text) throw new ToolError(`Error: the answer is empty. Give the text to send to ${t.worker_id}.`);
  if (text.length > MAX_TEXT)
    throw new ToolError(`Error: the answer is longer than ${MAX_TEXT} characters. Shorten it.`);
  if (!rt.store.questions().answer(rt.sid, t.id, text, by, rt.now())) {
    const now = rt.store.questions().get(rt.sid, t.id)!;
    throw new ToolError(
      `Error: ticket ${t.id} was already answered by ${now.answered_by ?? 'someone'}; nothing was sent.`,
    );
  }
  rt.events.emit('question.answered', `${t.id} answered by ${by === 'lead' ? 'the lead' : 'you'}`, t.worker_id, {
    ticket: t.id,
    by,
  });
  return rt.store.questions().get(rt.sid, t.id)!;
}

/**
 * get_answer: the answer to worker `workerId`'s own ticket `id`, or undefined while it is open. Reading an answer
 * counts as its delivery (it is then not typed into the pane too). Throws ToolError for another worker's ticket.
 */
export function readAnswer(rt: Runtime, workerId: string, id: string): Ticket {
  const t = getTicketOrFail(rt, id);
  if (t.worker_id !== workerId)
    throw new ToolError(`Error: ticket ${id} is not yours; ask your own question with ask.`);
  if (t.status === 'answered' && rt.store.questions().claimDelivery(rt.sid, t.id, rt.now()))
    rt.events.emit('question.delivered', `${t.id}: ${workerId} read the answer (get_answer)`, workerId, {
      ticket: t.id,
      via: t.source === 'hook' ? 'hook' : 'get_answer',
    });
  return rt.store.questions().get(rt.sid, t.id)!;
}

/** Marks escalation `attempt` of `t` and emits `question.escalated` {ticket, urgency, attempt} for the notifiers. */
export function escalateTicket(rt: Runtime, t: Ticket, attempt: number, urgency: Urgency): void {
  rt.store.questions().markEscalated(rt.sid, t.id, attempt, rt.now());
  const why = humanOnly(t.category)
    ? `a ${t.category} question goes to you`
    : `the lead did not answer within ${leadTimeoutS(rt)} s`;
  rt.events.emit(
    'question.escalated',
    `${t.id} from ${t.worker_id} needs you (${why}; attempt ${attempt}, urgency ${urgency}): answer with \`crewmux answer ${t.id} "..."\``,
    t.worker_id,
    { ticket: t.id, urgency, attempt, category: t.category, question: t.question.slice(0, 500) },
  );
}
