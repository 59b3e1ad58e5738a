/**
 * The zod schemas of a status decision and of a line of an agent's signals file (signals.ts says what they are);
 * apart from signals.ts so that what `crewmux status` imports from there does not load zod.
 */
import { z } from 'zod';
import { ACTIVITIES, SIGNAL_SOURCES } from './signals.js';

/** One decision about a worker's agent: when (ms), what, who said so and why (the hook event, the marker). */
export const StatusDecisionSchema = z.object({
  at: z.number(),
  activity: z.enum(ACTIVITIES),
  source: z.enum(SIGNAL_SOURCES),
  evidence: z.string(),
});
export type StatusDecision = z.infer<typeof StatusDecisionSchema>;

/**
 * A line of an agent's signals file, as crewmux's recorder (adapters/signals/signal-recorder.ts) writes it:
 * `via` names the agent's mechanism, `event` its event name, `type` a notification's type, `tool` a tool call's
 * tool, `message` a notification's text (clipped).
 */
export const SignalLineSchema = z.object({
  at: z.number(),
  via: z.enum(['claude-hook', 'codex-notify', 'acp']),
  event: z.string(),
  type: z.string().optional(),
  tool: z.string().optional(),
  message: z.string().optional(),
});
export type SignalLine = z.infer<typeof SignalLineSchema>;
