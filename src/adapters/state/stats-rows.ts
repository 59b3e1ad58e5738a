/**
 * The rows stats-store.ts reads, as zod schemas: the source of its generated checks (row-checks.ts), which read them
 * without loading zod.
 */
import { z } from 'zod';
import { jsonColumn } from '../../core/session/rows.js';

export const ToolStatRowSchema = z.object({
  tool: z.string(),
  calls: z.number().int(),
  errors: z.number().int(),
  total_ms: z.number(),
  buckets: jsonColumn(z.array(z.number().int())),
});
/** A `k`, `n` pair of a GROUP BY count. */
export const CountRowSchema = z.object({ k: z.string(), n: z.number().int() });
