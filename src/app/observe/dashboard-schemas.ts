/**
 * The dashboard's HTTP contract as zod schemas: responses are parsed with these before they are sent,
 * and /api/docs (OpenAPI) is generated from them. Secrets (tokens, nonces) are never part of a view.
 */
import { z } from 'zod';

export const SessionIdParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export const WorkerParams = SessionIdParams.extend({ wid: z.string().regex(/^w\d{1,6}$/) });
export const OutputQuery = z.object({ lines: z.coerce.number().int().min(1).max(2000).default(200) });
export const EventsQuery = z.object({ after: z.coerce.number().int().min(0).optional() });

const iso = z.string().nullable();

export const SessionSummary = z.object({
  id: z.string(),
  goal: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  lead: z.string(),
  repo: z.string(),
  integrationBranch: z.string(),
  tmuxSession: z.string(),
  createdAt: z.string(),
  endedAt: iso,
  workerCount: z.number().int(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

export const SessionList = z.object({ sessions: z.array(SessionSummary) });

export const WorkerView = z.object({
  id: z.string(),
  num: z.number().int(),
  agent: z.string(),
  perspective: z.string(),
  task: z.string(),
  state: z.string(),
  branch: z.string(),
  pane: z.string().nullable(),
  summary: z.string().nullable(),
  exitInfo: z.string().nullable(),
  notes: z.array(z.string()),
  radar: z.object({ integration: z.array(z.string()), workers: z.record(z.string(), z.array(z.string())) }),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: iso,
});
export type WorkerView = z.infer<typeof WorkerView>;
export const WorkerList = z.object({ workers: z.array(WorkerView) });

export const VerifyView = z.object({
  id: z.number().int(),
  commit: z.string(),
  status: z.string(),
  commands: z.array(z.string()),
  results: z.array(
    z.object({
      command: z.string(),
      exitCode: z.number().nullable(),
      timedOut: z.boolean(),
      durationMs: z.number(),
      tail: z.string(),
    }),
  ),
  startedAt: z.string(),
  endedAt: iso,
});

/** Tokens and estimated cost (null = unknown: a model without a price) of one worker, the lead or the session. */
export const UsageView = z.object({ tokens: z.number().int(), costUsd: z.number().nullable(), cost: z.string() });

export const SessionDetail = z.object({
  session: SessionSummary.extend({ baseCommit: z.string(), lastEventId: z.number().int() }),
  workers: z.array(WorkerView),
  /** The status line, the total and each worker's (and the lead's, key `lead`) usage, by id. */
  usage: z.object({ line: z.string(), total: UsageView, workers: z.record(z.string(), UsageView) }),
  /** Each worker's peak resident size (its agent's process tree, bytes), by id; absent: none sampled. */
  peakRss: z.record(z.string(), z.number().int()),
  verifies: z.array(VerifyView),
  report: z.record(z.string(), z.unknown()).nullable(),
  reportText: z.string().nullable(),
});
export type SessionDetail = z.infer<typeof SessionDetail>;

export const WorkerOutput = z.object({
  worker: z.string(),
  source: z.enum(['pane', 'log', 'none']),
  text: z.string(),
});
export type WorkerOutput = z.infer<typeof WorkerOutput>;

export const LeadOutput = z.object({
  /** The lead agent's name. */
  lead: z.string(),
  source: z.enum(['pane', 'log', 'none']),
  text: z.string(),
});
export type LeadOutput = z.infer<typeof LeadOutput>;

export const WorkerDiff = z.object({
  worker: z.string(),
  base: z.string(),
  branch: z.string(),
  stat: z.string(),
  shortstat: z.string(),
  patch: z.string(),
  truncated: z.boolean(),
});
export type WorkerDiff = z.infer<typeof WorkerDiff>;

export const EventView = z.object({
  id: z.number().int(),
  workerId: z.string().nullable(),
  ts: z.number(),
  type: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type EventView = z.infer<typeof EventView>;

export const Health = z.object({ ok: z.literal(true), sessions: z.number().int() });
export const ErrorBody = z.object({ error: z.string(), message: z.string() });
