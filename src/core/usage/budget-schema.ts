/**
 * The zod schema of a run's budget limits (budget.ts reads them against the usage); apart from budget.ts so that
 * what `crewmux status` imports from there does not load zod.
 */
import { z } from 'zod';

/** The limits of a run: config `budget`, with `--budget-usd` / `--budget-tokens` over goalUsd / goalTokens. */
export const BudgetLimitsSchema = z
  .object({
    /** Dollars the whole run (lead and workers) may cost. */
    goalUsd: z.number().positive().optional(),
    /** Dollars each worker may cost. */
    workerUsd: z.number().positive().optional(),
    /** Tokens (input, output, cache, reasoning) the whole run may use. */
    goalTokens: z.number().int().positive().optional(),
    /** Tokens each worker may use. */
    workerTokens: z.number().int().positive().optional(),
    /** The highest rate-limit window an agent reports may reach this percentage of its quota. */
    quotaPercent: z.number().positive().max(100).optional(),
  })
  .strict();
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;
