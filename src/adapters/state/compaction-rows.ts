/**
 * The rows compaction-store.ts reads, as a zod schema: the source of its generated check (row-checks.ts), which reads
 * them without loading zod.
 */
import { z } from 'zod';
import type { CompactionRow } from '../../app/ports/compactions.js';

export const CompactionRowSchema: z.ZodType<CompactionRow> = z.object({
  session_id: z.string(),
  worker_id: z.string(),
  summary: z.string(),
  output: z.string(),
  method: z.enum(['router', 'truncation']),
  note: z.string(),
  full_chars: z.number().int(),
  event_id: z.number().int(),
  created_at: z.number(),
});
