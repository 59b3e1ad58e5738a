/**
 * The review port: reviewers' verdicts (one row per review asked of a reviewer), the review gate's rounds, and the
 * structured pass_criteria given to workers (adapters/review/review-store.ts, on state.db).
 */
import type { Criterion, PassCriterion, RiskLevel, Verdict } from '../../core/review/verdict.js';
import type { ApprovalStatus } from '../../core/review/approval.js';

/** pending: asked, no verdict yet; submitted: the verdict is in; missing: the reviewer ended without one twice. */
export type ReviewStatus = 'pending' | 'submitted' | 'missing';

export interface ReviewRow {
  id: number;
  session: string;
  reviewer: string;
  /** The worker whose change is reviewed (cross_review), or `gate`. */
  subject: string;
  /** The gate round (0 for cross_review). */
  round: number;
  criteria: Criterion[];
  status: ReviewStatus;
  verdict?: Verdict;
  /** The reviewer was asked once more for its verdict after it ended a turn without one. */
  asked: boolean;
  createdAt: number;
  submittedAt?: number;
}

export type GateRoundStatus = 'running' | 'passed' | 'rejected' | 'exhausted';

export interface GateRoundRow {
  session: string;
  round: number;
  /** The integration head the round reviews. */
  head: string;
  status: GateRoundStatus;
  /** Reviewer worker ids, in gate.reviewers order. */
  reviewers: string[];
  startedAt: number;
  endedAt?: number;
}

/** A merge held for the human (merge.autoMerge): one row per hold; the latest row of a worker is its state. */
export interface ApprovalRow {
  id: number;
  session: string;
  worker: string;
  status: ApprovalStatus;
  /** The worker's branch head the hold is about (a new commit makes a new change). */
  head: string;
  /** The verdict's risk; absent when no reviewer gave one. */
  risk?: RiskLevel;
  /** Why it is held (the lead's and the human's words). */
  reason: string;
  /** The reviewer's review id, when there was one. */
  review?: number;
  /** The human's reason of a rejection, or git's words when an approved merge could not be made. */
  note?: string;
  /** The merge commit of an approved merge. */
  commit?: string;
  /** The lead was told the outcome (wait_for_worker, merge_worker). */
  told: boolean;
  createdAt: number;
  decidedAt?: number;
}

/** The merge_approvals table (adapters/review/approval-store.ts). */
export interface ApprovalStore {
  addApproval(r: {
    session: string;
    worker: string;
    head: string;
    risk?: RiskLevel;
    reason: string;
    review?: number;
    ts: number;
  }): number;
  /** Worker `worker`'s latest approval row, if any. */
  latestApproval(session: string, worker: string): ApprovalRow | undefined;
  /** The session's approval rows, oldest first. */
  listApprovals(session: string): ApprovalRow[];
  /** Moves row `id` from `from` to `to` (with the note, commit, decision time); false when it was not in `from`. */
  decideApproval(
    id: number,
    from: ApprovalStatus,
    to: ApprovalStatus,
    patch: { note?: string; commit?: string; ts: number },
  ): boolean;
  /** Sets the note of row `id` (an approved merge git refused) without changing its status. */
  noteApproval(id: number, note: string): void;
  /** Marks row `id`'s outcome told to the lead (or not yet, after a new outcome). */
  setApprovalTold(id: number, told: boolean): void;
}

export interface ReviewStore extends ApprovalStore {
  /** Records a review asked of `reviewer` (status pending); returns its id. */
  addReview(r: {
    session: string;
    reviewer: string;
    subject: string;
    round: number;
    criteria: Criterion[];
    ts: number;
  }): number;
  getReview(id: number): ReviewRow | undefined;
  /** The reviewer's latest review still waiting for a verdict, if any. */
  pendingReviewOf(session: string, reviewer: string): ReviewRow | undefined;
  /** Stores `verdict` on review `id` (status submitted); false when it is no longer pending. */
  submitVerdict(id: number, verdict: Verdict, ts: number): boolean;
  /** Marks review `id` asked once more (`asked`) or given up (`missing`). */
  updateReview(id: number, patch: { asked?: boolean; status?: 'missing' }): void;
  /** The session's reviews, oldest first. */
  listReviews(session: string): ReviewRow[];
  startRound(r: { session: string; round: number; head: string; reviewers: string[]; ts: number }): void;
  finishRound(session: string, round: number, status: Exclude<GateRoundStatus, 'running'>, ts: number): void;
  /** The session's gate rounds, first round first. */
  listRounds(session: string): GateRoundRow[];
  /** Replaces worker `worker`'s structured pass_criteria. */
  setWorkerCriteria(session: string, worker: string, criteria: PassCriterion[]): void;
  /** Every worker's structured pass_criteria, in the order they were set. */
  workerCriteria(session: string): { worker: string; criteria: PassCriterion[] }[];
}
