/**
 * The zod schemas of the review views (review-views.ts builds them; the dashboard's review route answers with them);
 * apart from review-views.ts so that `crewmux status`, which shows approvals, does not load zod.
 */
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../../core/review/approval.js';
import { RISK_LEVELS } from '../../core/review/verdict.js';
import { GATE_PERSPECTIVES } from '../../core/review/gate.js';

export const VerdictView = z.object({
  review: z.number().int(),
  reviewer: z.string(),
  /** The reviewer's perspective (null when its worker row is gone). */
  perspective: z.string().nullable(),
  subject: z.string(),
  round: z.number().int(),
  status: z.enum(['pending', 'submitted', 'missing']),
  verdict: z.enum(['pass', 'fail']).nullable(),
  risk: z.enum(RISK_LEVELS).nullable(),
  /** Every criterion asked, with the reviewer's judgement (met null: not judged yet). */
  criteria: z.array(z.object({ id: z.string(), text: z.string(), met: z.boolean().nullable(), evidence: z.string() })),
  findings: z.array(
    z.object({ file: z.string(), line: z.number().int().nullable(), severity: z.enum(RISK_LEVELS), text: z.string() }),
  ),
  askedAt: z.string(),
  submittedAt: z.string().nullable(),
});
export type VerdictView = z.infer<typeof VerdictView>;

export const ApprovalView = z.object({
  id: z.number().int(),
  worker: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  /** Pending and the worker's latest hold: Approve and Reject apply to it. */
  awaiting: z.boolean(),
  risk: z.enum(RISK_LEVELS).nullable(),
  reason: z.string(),
  /** The person's reason of a rejection, or why an approved merge could not be made. */
  note: z.string().nullable(),
  commit: z.string().nullable(),
  head: z.string(),
  heldAt: z.string(),
  decidedAt: z.string().nullable(),
});
export type ApprovalView = z.infer<typeof ApprovalView>;

export const ReviewPanels = z.object({
  /** Per reviewed worker: the latest verdict on its change (cross_review, reviewBeforeMerge) and its latest hold. */
  workers: z.record(z.string(), z.object({ review: VerdictView.nullable(), approval: ApprovalView.nullable() })),
  /** The review gate (null: the session has none and no round ran). */
  gate: z
    .object({
      reviewers: z.array(z.enum(GATE_PERSPECTIVES)),
      maxRounds: z.number().int().nullable(),
      rounds: z.array(
        z.object({
          round: z.number().int(),
          status: z.enum(['running', 'passed', 'rejected', 'exhausted']),
          head: z.string(),
          startedAt: z.string(),
          endedAt: z.string().nullable(),
          verdicts: z.array(VerdictView),
        }),
      ),
    })
    .nullable(),
  approvals: z.object({
    counts: z.object({ held: z.number(), approved: z.number(), rejected: z.number(), pending: z.number() }),
    rows: z.array(ApprovalView),
  }),
});
export type ReviewPanels = z.infer<typeof ReviewPanels>;
