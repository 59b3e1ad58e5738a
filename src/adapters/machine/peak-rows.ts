/**
 * The rows peak-store.ts reads, as zod schemas: the source of their generated checks (adapters/state/row-checks.ts), which
 * read them without loading zod.
 */
import { z } from 'zod';

export const WorkerPeakColumnsSchema = z.object({
  worker_id: z.string(),
  agent: z.string(),
  peak_rss: z.number().int(),
});
/** One agent_peaks.peak_rss value (bytes). */
export const PeakRssSchema = z.number().int();
