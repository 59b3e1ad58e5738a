/**
 * The dashboard's "needs you" list: GET a session's open question tickets, and POST the user's answer to one. The
 * POST is one of the dashboard's writes (with approve/reject in review-route.ts): besides the guard every request
 * passes (token, loopback Host, same Origin, no cross-site fetch), it takes the token only in the Authorization
 * header and only a JSON body (security.ts refuseUnsafeWrite).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../app/ports/store.js';
import { answerAsUser, ticketsNeedingYou } from '../app/questions/human.js';
import { ToolError } from '../core/errors.js';
import type { createApiRouter } from './api-route.js';
import { refuseUnsafeWrite } from './security.js';

const TicketView = z.object({
  ticket: z.string(),
  worker: z.string(),
  category: z.string(),
  urgency: z.string(),
  source: z.string(),
  question: z.string(),
  options: z.array(z.string()),
  escalated: z.boolean(),
  askedAt: z.string(),
});
export const QuestionList = z.object({ questions: z.array(TicketView) });
const AnswerBody = z.object({ answer: z.string().min(1).max(8_000) }).strict();
const AnswerParams = z.object({ id: z.string().regex(/^[a-z0-9-]+$/i), ticket: z.string().regex(/^q\d+$/) });

/** Registers GET /api/sessions/:id/questions and POST /api/sessions/:id/questions/:ticket/answer. */
export function registerQuestionRoutes(
  app: FastifyInstance,
  api: ReturnType<typeof createApiRouter>,
  d: { store: Store; now: () => number },
): void {
  api.get(
    {
      url: '/api/sessions/:id/questions',
      summary: "The session's open question tickets (escalated first): what needs you.",
      params: z.object({ id: z.string() }),
      response: QuestionList,
    },
    ({ params }) => {
      if (!d.store.getSession(params.id)) return undefined;
      return {
        questions: ticketsNeedingYou(d.store, params.id).map((t) => ({
          ticket: t.id,
          worker: t.worker_id,
          category: t.category,
          urgency: t.urgency,
          source: t.source,
          question: t.question,
          options: t.options,
          escalated: t.escalations > 0,
          askedAt: new Date(t.created_at).toISOString(),
        })),
      };
    },
  );
  app.post('/api/sessions/:id/questions/:ticket/answer', async (req, reply) => {
    if (refuseUnsafeWrite(req, reply, '{"answer": "..."}')) return reply;
    const params = AnswerParams.safeParse(req.params);
    const body = AnswerBody.safeParse(req.body);
    if (!params.success || !body.success)
      return reply.code(400).send({ error: 'bad_request', message: 'Give a ticket id and {"answer": "..."}.' });
    if (!d.store.getSession(params.data.id))
      return reply.code(404).send({ error: 'not_found', message: 'No such session or worker.' });
    let t;
    try {
      t = answerAsUser(d.store, params.data.id, params.data.ticket, body.data.answer, d.now);
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
      return reply.code(409).send({ error: 'conflict', message: e.message.replace(/^Error: /, '') });
    }
    return reply
      .type('application/json; charset=utf-8')
      .send({ ticket: t.id, worker: t.worker_id, answeredBy: 'human' });
  });
}
