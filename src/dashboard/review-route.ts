/**
 * The dashboard's review panels: GET a session's verdicts, gate rounds and held merges, and POST a person's approval
 * or rejection of a held merge. The POSTs call approveMerge / rejectMerge, the functions `crewmux approve` and
 * `crewmux reject` call (one path: the same row, event and lead notice); Approve then waits, like `crewmux approve`,
 * for the live supervisor's merge and answers its outcome (merged, or not made and why). They are guarded like the answer box
 * (security.ts refuseUnsafeWrite: the token only in an Authorization header, a JSON body only, on top of the guard).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Store } from '../app/ports/store.js';
import { approveMerge, awaitApprovalOutcome, rejectMerge } from '../app/review/approval-human.js';
import { reviewPanels } from '../app/review/review-views.js';
import { ReviewPanels } from '../app/review/review-views-schema.js';
import { ToolError } from '../core/errors.js';
import type { createApiRouter } from './api-route.js';
import { refuseUnsafeWrite } from './security.js';

const DecisionParams = z.object({ id: z.string().regex(/^[a-z0-9-]+$/i), worker: z.string().regex(/^[a-z0-9-]+$/i) });
const ApproveBody = z.object({}).strict();
const RejectBody = z.object({ reason: z.string().trim().min(1).max(2_000) }).strict();

/** Registers GET /api/sessions/:id/review and POST /api/sessions/:id/approvals/:worker/{approve,reject}. */
export function registerReviewRoutes(
  app: FastifyInstance,
  api: ReturnType<typeof createApiRouter>,
  d: { store: Store; now: () => number; approvalWaitMs: number },
): void {
  api.get(
    {
      url: '/api/sessions/:id/review',
      summary: "The session's review: each worker's latest verdict and held merge, the gate's rounds, the approvals.",
      params: z.object({ id: z.string() }),
      response: ReviewPanels,
    },
    ({ params }) => reviewPanels(d.store, params.id),
  );

  const decide = (
    kind: 'approve' | 'reject',
    body: z.ZodType<{ reason?: string }>,
    example: string,
    act: (sid: string, worker: string, b: { reason?: string }) => void,
  ) =>
    app.post(
      `/api/sessions/:id/approvals/:worker/${kind}`,
      { bodyLimit: 8 * 1024 },
      async (req, reply: FastifyReply) => {
        if (refuseUnsafeWrite(req, reply, example)) return reply;
        const params = DecisionParams.safeParse(req.params);
        const parsed = body.safeParse(req.body);
        if (!params.success || !parsed.success)
          return reply.code(400).send({ error: 'bad_request', message: `Give a worker id and ${example}.` });
        const { id: sid, worker } = params.data;
        const s = d.store.getSession(sid);
        if (!s) return reply.code(404).send({ error: 'not_found', message: 'No such session or worker.' });
        try {
          act(sid, worker, parsed.data);
        } catch (e) {
          if (!(e instanceof ToolError)) throw e;
          return reply.code(409).send({ error: 'conflict', message: e.message.replace(/^Error: /, '') });
        }
        // A live supervisor merges an approved change at its next pass; an ended one when the session is resumed.
        const live = s.status === 'running' || s.status === 'starting';
        // Approve waits for that pass (as `crewmux approve` does) to say how it went: merged, or not and why.
        const { row, outcome } =
          kind === 'approve'
            ? await awaitApprovalOutcome(d.store, sid, worker, { live, waitMs: d.approvalWaitMs, now: d.now })
            : { row: d.store.review().latestApproval(sid, worker)!, outcome: null };
        return reply.type('application/json; charset=utf-8').send({
          worker,
          status: row.status,
          note: row.note ?? null,
          commit: row.commit ?? null,
          outcome,
          live,
        });
      },
    );
  decide('approve', ApproveBody, '{}', (sid, worker) => approveMerge(d.store, sid, worker, d.now));
  decide('reject', RejectBody, '{"reason": "..."}', (sid, worker, b) =>
    rejectMerge(d.store, sid, worker, b.reason ?? '', d.now),
  );
}
