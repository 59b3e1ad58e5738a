/**
 * The zod schemas of config `gate` and of a session's gate settings (gate.ts says what the gate does); apart from
 * gate.ts so that what `crewmux status` imports from there does not load zod.
 */
import { z } from 'zod';
import { GATE_PERSPECTIVES } from './gate.js';

/** The config key `gate` (every field optional) and, resolved, the session's settings (run options). */
export const GateConfigSchema = z
  .object({
    /** One reviewer per entry, by perspective (default verifier, reviewer). */
    reviewers: z.array(z.enum(GATE_PERSPECTIVES)).min(1).max(8).optional(),
    /** Rounds before a rejection ends the run failed (default 5). */
    maxRounds: z.number().int().min(1).max(20).optional(),
    /** Reviewer agents, one per reviewer in turn (default: another agent family than the workers' when installed). */
    agents: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type GateConfig = z.infer<typeof GateConfigSchema>;

export const GateSettingsSchema = z.object({
  reviewers: z.array(z.enum(GATE_PERSPECTIVES)).min(1),
  maxRounds: z.number().int().min(1),
  agents: z.array(z.string()).optional(),
});
/** The gate's settings: review perspectives (one reviewer each), rounds before the run fails, reviewer agents. */
export type GateSettings = z.infer<typeof GateSettingsSchema>;
