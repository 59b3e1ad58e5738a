/**
 * Risk-aware merging: config `merge` (autoMerge, reviewBeforeMerge) and the one decision it makes: does a worker's
 * change at a verdict's risk merge without a person, or wait for `crewmux approve`? Pure.
 */
import type { RiskLevel } from './verdict.js';

/** Which risk levels merge without a person: every one (today's behaviour), low only, low and medium, none. */
export const AUTO_MERGE_LEVELS = ['all', 'low', 'medium', 'none'] as const;
export type AutoMerge = (typeof AUTO_MERGE_LEVELS)[number];
export type { MergeConfig } from './merge-config.js';

/** pending: waits for the human; approved: the human said yes (merged as soon as it can be); merged; rejected. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'merged', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * What merge_worker does with a change at `risk` (undefined: no verdict on it) under `autoMerge`. A `verdict` of
 * "fail" holds whatever the risk and the level (a reviewer said it is not right; a person decides), even under "all".
 */
export function mergeDecision(
  autoMerge: AutoMerge,
  risk: RiskLevel | undefined,
  verdict?: 'pass' | 'fail',
): 'merge' | 'hold' {
  if (verdict === 'fail') return 'hold';
  if (autoMerge === 'all') return 'merge';
  if (autoMerge === 'none' || risk === undefined) return 'hold';
  if (risk === 'low') return 'merge';
  return autoMerge === 'medium' && risk === 'medium' ? 'merge' : 'hold';
}

/** Why a change is held, for the lead and the human. */
export function holdReason(autoMerge: AutoMerge, risk: RiskLevel | undefined, verdict?: 'pass' | 'fail'): string {
  if (verdict === 'fail')
    return `its review failed (risk ${risk ?? 'unknown'}): a failed review never merges by itself`;
  if (autoMerge === 'none') return 'merge.autoMerge is "none": every merge needs a person';
  if (risk === undefined) return `no reviewer verdict on it, and merge.autoMerge is "${autoMerge}"`;
  return `its review says risk ${risk}, above merge.autoMerge "${autoMerge}"`;
}

/** The note on a pending hold that the worker's new commit replaced (not a person's rejection). */
export const SUPERSEDED_NOTE = 'superseded: the worker changed its branch after the hold';

/** Held merges over a run: every hold, those a person approved (merged or not yet), rejected by a person, waiting. */
export interface ApprovalCounts {
  held: number;
  approved: number;
  rejected: number;
  pending: number;
}

/** Counts `rows` (a session's approval rows); a hold superseded by a new commit counts as held only. */
export function approvalCounts(rows: readonly { status: ApprovalStatus; note?: string | undefined }[]): ApprovalCounts {
  return {
    held: rows.length,
    approved: rows.filter((a) => a.status === 'approved' || a.status === 'merged').length,
    rejected: rows.filter((a) => a.status === 'rejected' && a.note !== SUPERSEDED_NOTE).length,
    pending: rows.filter((a) => a.status === 'pending').length,
  };
}

/** The report line: `approvals: 3 held, 1 approved by you, 1 rejected` (and how many still wait). */
export function approvalsLine(c: ApprovalCounts): string {
  return `approvals: ${c.held} held, ${c.approved} approved by you, ${c.rejected} rejected${c.pending ? `, ${c.pending} still waiting` : ''}`;
}
