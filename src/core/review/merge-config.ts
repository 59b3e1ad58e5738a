/**
 * The zod schema of config `merge` (approval.ts says what it decides); apart from approval.ts so that what
 * `crewmux status` imports from there does not load zod.
 */
import { z } from 'zod';
import { AUTO_MERGE_LEVELS } from './approval.js';

export const MergeConfigSchema = z
  .object({
    /** Risk levels that merge without a person (default "all"). */
    autoMerge: z.enum(AUTO_MERGE_LEVELS).optional(),
    /** merge_worker on a worker with no verdict yet starts a reviewer first (default false). */
    reviewBeforeMerge: z.boolean().optional(),
  })
  .strict();
export type MergeConfig = z.infer<typeof MergeConfigSchema>;
