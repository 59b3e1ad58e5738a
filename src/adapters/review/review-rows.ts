/**
 * The rows review-store.ts and approval-store.ts read, as zod schemas (the columns as stored; the stores map them to
 * app/ports/review.ts's names): the source of their generated checks (adapters/state/row-checks.ts), which read them
 * without loading zod.
 */
import { z } from 'zod';
import { jsonColumn } from '../../core/session/rows.js';
import { PassCriterionSchema, VerdictSchema } from '../../core/review/verdict-schema.js';
import { RISK_LEVELS } from '../../core/review/verdict.js';
import { APPROVAL_STATUSES } from '../../core/review/approval.js';

export const ReviewColumnsSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  reviewer_id: z.string(),
  subject: z.string(),
  round: z.number().int(),
  criteria: jsonColumn(z.array(z.object({ id: z.string(), text: z.string() }))),
  status: z.enum(['pending', 'submitted', 'missing']),
  verdict: jsonColumn(VerdictSchema).nullable(),
  asked: z.number().int(),
  created_at: z.number(),
  submitted_at: z.number().nullable(),
});

export const GateRoundColumnsSchema = z.object({
  session_id: z.string(),
  round: z.number().int(),
  head: z.string(),
  status: z.enum(['running', 'passed', 'rejected', 'exhausted']),
  reviewers: jsonColumn(z.array(z.string())),
  started_at: z.number(),
  ended_at: z.number().nullable(),
});

export const WorkerCriteriaColumnsSchema = z.object({
  worker_id: z.string(),
  criteria: jsonColumn(z.array(PassCriterionSchema)),
});

export const ApprovalColumnsSchema = z.object({
  id: z.number().int(),
  session_id: z.string(),
  worker_id: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  head: z.string(),
  risk: z.enum(RISK_LEVELS).nullable(),
  reason: z.string(),
  review_id: z.number().int().nullable(),
  note: z.string().nullable(),
  merge_commit: z.string().nullable(),
  told: z.number().int(),
  created_at: z.number(),
  decided_at: z.number().nullable(),
});
