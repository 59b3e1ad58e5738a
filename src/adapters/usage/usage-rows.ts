/**
 * The rows usage-store.ts reads, as zod schemas (the columns as stored; the store maps them to the core's names): the
 * source of their generated checks (adapters/state/row-checks.ts), which read them without loading zod.
 */
import { z } from 'zod';

/** The columns a usage row and a group of rows share. */
const COMMON = {
  worker_id: z.string(),
  agent: z.string(),
  model: z.string(),
  input: z.number().int(),
  output: z.number().int(),
  cache_read: z.number().int(),
  cache_write: z.number().int(),
  reasoning: z.number().int(),
  bucket: z.enum(['api', 'subscription']),
  source: z.enum(['protocol', 'session-files', 'otel', 'pane']),
  approximate: z.number().int(),
};
export const UsageColumnsSchema = z.object({
  ...COMMON,
  session_id: z.string(),
  cost_usd: z.number().nullable(),
  ts: z.number(),
});
const GROUP = { ...COMMON, cost_usd: z.number(), calls: z.number().int(), priced: z.number().int() };
export const UsageGroupColumnsSchema = z.object(GROUP);
export const UsageGroupBySessionColumnsSchema = z.object({ ...GROUP, session_id: z.string() });
export const UsageLimitColumnsSchema = z.object({
  worker_id: z.string(),
  agent: z.string(),
  window: z.string(),
  used_percent: z.number(),
  window_minutes: z.number().nullable(),
  resets_at: z.number().nullable(),
  ts: z.number(),
});
export const UsageCursorColumnsSchema = z.object({ offset: z.number().int().min(0), state: z.string() });
