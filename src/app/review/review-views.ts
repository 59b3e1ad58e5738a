/**
 * The review as the dashboard and `crewmux status` show it: per worker the latest verdict on its change and its held
 * merge, the gate's rounds with each reviewer's verdict, and the session's approvals. Read-only views over the review
 * store; every text in them comes from agents and is rendered inert by the page.
 */
import { approvalCounts } from '../../core/review/approval.js';
import type { ApprovalView, ReviewPanels, VerdictView } from './review-views-schema.js';
import type { ApprovalRow, ReviewRow } from '../ports/review.js';
import type { Store } from '../ports/store.js';

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

export type { ApprovalView, ReviewPanels, VerdictView } from './review-views-schema.js';

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
