/**
 * Question tickets: a worker's `ask` and `get_answer`, the lead's `list_questions` and `answer_question`. Question
 * text reaches the lead fenced as data; answers reach the worker as a fenced message (app/questions/pump.ts).
 */
import { z } from 'zod';
import { CATEGORIES, URGENCIES, type Ticket } from '../../core/questions/tickets.js';
import type { Fence } from '../../core/text/data-fence.js';
import { answerQuestion, askQuestion, readAnswer } from '../../app/questions/tickets.js';
import { deliverAnswers } from '../../app/questions/pump.js';
import { sessionFence } from '../../app/session/data-fence.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import type { ToolDeps } from '../build-server.js';

const TICKET = 'A ticket id such as q1 (ask returns it; list_questions lists them).';

/** A ticket as the lead sees it: the worker's question and options fenced as data. */
export function ticketView(t: Ticket, fence: Fence) {
  return {
    ticket: t.id,
    worker: t.worker_id,
    status: t.status,
    category: t.category,
    urgency: t.urgency,
    source: t.source,
    question: fence(`${t.worker_id} question ${t.id}`, t.question),
    options: t.options.map((o) => fence(`${t.worker_id} option`, o)),
    escalated: t.escalations > 0,
    answeredBy: t.answered_by,
    answer: t.answer,
  };
}

/** The line wait_for_worker and list_questions give for an open ticket. */
export function askedLine(t: Ticket, fence: Fence): string {
  const opts = t.options.length ? `\noptions: ${t.options.map((o, i) => `${i + 1}. ${o}`).join('; ')}` : '';
  return `${t.worker_id} asked ${t.id} (${t.category}, ${t.urgency}):\n${fence(`${t.worker_id} question ${t.id}`, t.question + opts)}\nAnswer with answer_question (ticket "${t.id}"), or leave it: unanswered tickets go to the user.`;
}

/** The worker's question tools: ask and get_answer, for its own tickets only. */
export function registerWorkerQuestionTools(server: ToolServer, d: ToolDeps, workerId: string): void {
  defineTool(
    server,
    d.stats,
    'ask',
    'Ask the lead (or, failing it, the user) a question you cannot settle yourself. Returns a ticket at once; stop and wait: the answer is typed into your terminal.',
    {
      question: z.string().describe('The question, self-contained: what you need to know and why.'),
      options: z.array(z.string()).optional().describe('Possible answers to choose from, if any.'),
      urgency: z.enum(URGENCIES).optional().describe('How soon you need it (default normal).'),
      category: z
        .enum(CATEGORIES)
        .optional()
        .describe('question (default); approval or credentials go to the user, not the lead.'),
      via: z.enum(['hook']).optional().describe("Leave unset (crewmux's own Claude Code hook sets it)."),
    },
    async (a) => {
      const t = askQuestion(d.rt, workerId, {
        question: a.question,
        options: a.options,
        urgency: a.urgency,
        category: a.category,
        source: a.via === 'hook' ? 'hook' : 'tool',
      });
      return textResult(
        `Ticket ${t.id} is open. Stop here and wait: the answer will be typed into your terminal as a message (or call get_answer with ticket "${t.id}").`,
        { ticket: t.id, status: t.status },
      );
    },
  );
  defineTool(
    server,
    d.stats,
    'get_answer',
    'Read the answer to one of your tickets (from ask); says when it is still open.',
    { ticket: z.string().describe(TICKET) },
    async (a) => {
      const t = readAnswer(d.rt, workerId, a.ticket);
      if (t.status === 'open')
        return textResult(`Ticket ${t.id} is still open; wait for the answer.`, { ticket: t.id, status: t.status });
      return textResult(
        `Answer to ${t.id} (from ${t.answered_by === 'human' ? 'the user' : 'the lead'}): ${t.answer}`,
        {
          ticket: t.id,
          status: t.status,
          answer: t.answer,
          answeredBy: t.answered_by,
        },
      );
    },
  );
}

/** The lead's question tools: list_questions and answer_question. */
export function registerLeadQuestionTools(server: ToolServer, d: ToolDeps): void {
  const { rt } = d;
  const fence = sessionFence(rt);
  defineTool(
    server,
    d.stats,
    'list_questions',
    "List workers' question tickets: open ones first, with who asked, the question and its options.",
    { all: z.boolean().optional().describe('Include answered tickets too (default: open only).') },
    async (a) => {
      const rows = rt.store
        .questions()
        .list(rt.sid)
        .filter((t) => a.all || t.status === 'open');
      const open = rows.filter((t) => t.status === 'open');
      rt.store.questions().markShown(
        rt.sid,
        open.map((t) => t.id),
        rt.now(),
      );
      const text = rows.length
        ? rows
            .map((t) =>
              t.status === 'open'
                ? askedLine(t, fence)
                : `${t.id} (${t.worker_id}): answered by ${t.answered_by === 'human' ? 'the user' : 'the lead'}`,
            )
            .join('\n\n')
        : 'No open questions.';
      return textResult(text, { questions: rows.map((t) => ticketView(t, fence)) });
    },
  );
  defineTool(
    server,
    d.stats,
    'answer_question',
    "Answer a worker's question ticket; the answer is typed into the worker's terminal as a message.",
    {
      ticket: z.string().describe(TICKET),
      answer: z.string().describe('The answer, self-contained; the worker carries on with it.'),
    },
    async (a) => {
      const t = answerQuestion(rt, a.ticket, a.answer, 'lead');
      await deliverAnswers(rt);
      const now = rt.store.questions().get(rt.sid, t.id)!;
      const note = now.delivered_at
        ? `delivered to ${t.worker_id}`
        : `recorded; it reaches ${t.worker_id} when its terminal takes it`;
      return textResult(`Answered ${t.id}: ${note}. Call wait_for_worker with worker_id "${t.worker_id}".`, {
        ticket: t.id,
        worker: t.worker_id,
        delivered: now.delivered_at !== null,
      });
    },
  );
}
