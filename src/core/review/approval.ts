/**
 * Risk-aware merging: config `merge` (autoMerge, reviewBeforeMerge) and the one decision it makes: does a worker's
 * change at a verdict's risk merge without a person, or wait for `crewmux approve`? Pure.
 */
import { z } from 'zod';
import type { RiskLevel } from './verdict.js';

/** Which risk levels merge without a person: every one (today's behaviour), low only, low and medium, none. */
export const AUTO_MERGE_LEVELS = ['all', 'low', 'medium', 'none'] as const;
export type AutoMerge = (typeof AUTO_MERGE_LEVELS)[number];

export const MergeConfigSchema = z
  .object({
    /** Risk levels that merge without a person (default "all"). */
    autoMerge: z.enum(AUTO_MERGE_LEVELS).optional(),
    /** merge_worker on a worker with no verdict yet starts a reviewer first (default false). */
    reviewBeforeMerge: z.boolean().optional(),
  })
  .strict();
export type MergeConfig = z.infer<typeof MergeConfigSchema>;

/** pending: waits for the human; approved: the human said yes (merged as soon as it can be); merged; rejected. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'merged', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** What merge_worker does with a change at `risk` (undefined: no verdict on it) under `autoMerge`. */
export function mergeDecision(autoMerge: AutoMerge, risk: RiskLevel | undefined): 'merge' | 'hold' {
  if (autoMerge === 'all') return 'merge';
  if (autoMerge === 'none' || risk === undefined) return 'hold';
  if (risk === 'low') return 'merge';
  return autoMerge === 'medium' && risk === 'medium' ? 'merge' : 'hold';
}

/** Why a change is held, for the lead and the human. */
export function holdReason(autoMerge: AutoMerge, risk: RiskLevel | undefined): string {
  if (autoMerge === 'none') return 'merge.autoMerge is "none": every merge needs a person';
  if (risk === undefined) return `no reviewer verdict on it, and merge.autoMerge is "${autoMerge}"`;
  return `its review says risk ${risk}, above merge.autoMerge "${autoMerge}"`;
}
