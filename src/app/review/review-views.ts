/**
 * The review as the dashboard and `crewmux status` show it: per worker the latest verdict on its change and its held
 * merge, the gate's rounds with each reviewer's verdict, and the session's approvals. Read-only views over the review
 * store; every text in them comes from agents and is rendered inert by the page.
 */
import { z } from 'zod';
import { approvalCounts, APPROVAL_STATUSES } from '../../core/review/approval.js';
import { RISK_LEVELS } from '../../core/review/verdict.js';
import { GATE_PERSPECTIVES } from '../../core/review/gate.js';
import type { ApprovalRow, ReviewRow } from '../ports/review.js';
import type { Store } from '../ports/store.js';

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

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

/** Review row `r` as shown: the criteria asked joined with the reviewer's judgement of each. */
export function verdictView(r: ReviewRow, perspective: string | null): VerdictView {
  const judged = new Map((r.verdict?.criteria ?? []).map((c) => [c.id, c]));
  const asked = new Set(r.criteria.map((c) => c.id));
  return {
    review: r.id,
    reviewer: r.reviewer,
    perspective,
    subject: r.subject,
    round: r.round,
    status: r.status,
    verdict: r.verdict?.verdict ?? null,
    risk: r.verdict?.risk ?? null,
    criteria: [
      ...r.criteria.map((c) => {
        const j = judged.get(c.id);
        return { id: c.id, text: c.text, met: j ? j.met : null, evidence: j?.evidence ?? '' };
      }),
      // A criterion judged but not asked cannot be stored (submit_verdict refuses it); kept for old rows.
      ...(r.verdict?.criteria ?? [])
        .filter((c) => !asked.has(c.id))
        .map((c) => ({ id: c.id, text: '', met: c.met, evidence: c.evidence })),
    ],
    findings: (r.verdict?.findings ?? []).map((f) => ({
      file: f.file,
      line: f.line ?? null,
      severity: f.severity,
      text: f.text,
    })),
    askedAt: iso(r.createdAt)!,
    submittedAt: iso(r.submittedAt),
  };
}

/** Approval row `a` as shown; `latest` is the id of its worker's latest row. */
export function approvalView(a: ApprovalRow, latest: number | undefined): ApprovalView {
  return {
    id: a.id,
    worker: a.worker,
    status: a.status,
    awaiting: a.status === 'pending' && latest === a.id,
    risk: a.risk ?? null,
    reason: a.reason,
    note: a.note ?? null,
    commit: a.commit ?? null,
    head: a.head,
    heldAt: iso(a.createdAt)!,
    decidedAt: iso(a.decidedAt),
  };
}

/** Session `sid`'s approvals, oldest first, with their counts (for `crewmux status` and the dashboard). */
export function approvalsView(store: Store, sid: string): ReviewPanels['approvals'] {
  const rows = store.review().listApprovals(sid);
  const latest = new Map<string, number>();
  for (const a of rows) latest.set(a.worker, a.id);
  return { counts: approvalCounts(rows), rows: rows.map((a) => approvalView(a, latest.get(a.worker))) };
}

/**
 * The dashboard's review panels of session `sid`: per worker, the latest verdict on its change and its latest hold;
 * the gate's rounds with every reviewer's verdict; the approvals. Undefined when the session does not exist.
 */
export function reviewPanels(store: Store, sid: string): ReviewPanels | undefined {
  const s = store.getSession(sid);
  if (!s) return undefined;
  const perspective = new Map(store.listWorkers(sid).map((w) => [w.id, w.perspective]));
  const view = (r: ReviewRow) => verdictView(r, perspective.get(r.reviewer) ?? null);
  const reviews = store.review().listReviews(sid);
  const approvals = approvalsView(store, sid);
  const workers: ReviewPanels['workers'] = {};
  for (const r of reviews.filter((x) => x.subject !== 'gate' && x.round === 0))
    workers[r.subject] = { review: view(r), approval: null };
  for (const a of approvals.rows) workers[a.worker] = { review: workers[a.worker]?.review ?? null, approval: a };
  const rounds = store.review().listRounds(sid);
  const settings = s.options.gate ?? null;
  const gate =
    settings || rounds.length
      ? {
          reviewers: settings?.reviewers ?? [],
          maxRounds: settings?.maxRounds ?? null,
          rounds: rounds.map((g) => ({
            round: g.round,
            status: g.status,
            head: g.head,
            startedAt: iso(g.startedAt)!,
            endedAt: iso(g.endedAt),
            verdicts: reviews.filter((r) => r.subject === 'gate' && r.round === g.round).map(view),
          })),
        }
      : null;
  return { workers, gate, approvals };
}
