/**
 * The zod schemas of a reviewer's verdict (verdict.ts says what it is) and of a worker's pass criteria; apart from
 * verdict.ts so that code which only renders verdicts (`crewmux status`) does not load zod.
 */
import { z } from 'zod';
import { RISK_LEVELS } from './verdict.js';

export const CriterionVerdictSchema = z
  .object({
    id: z.string().min(1).max(40),
    met: z.boolean(),
    evidence: z.string().max(4000),
  })
  .strict();

export const FindingSchema = z
  .object({
    file: z.string().max(500),
    line: z.number().int().min(0).optional(),
    severity: z.enum(RISK_LEVELS),
    text: z.string().min(1).max(4000),
  })
  .strict();
export type Finding = z.infer<typeof FindingSchema>;

export const VerdictSchema = z
  .object({
    verdict: z.enum(['pass', 'fail']),
    risk: z.enum(RISK_LEVELS),
    criteria: z.array(CriterionVerdictSchema).max(100),
    findings: z.array(FindingSchema).max(200),
  })
  .strict();
export type Verdict = z.infer<typeof VerdictSchema>;

/** A pass/fail criterion given to a worker (spawn_worker pass_criteria), optionally checked by running `command`. */
export const PassCriterionSchema = z
  .object({
    id: z.string().min(1).max(40),
    text: z.string().min(1).max(2000),
    command: z.string().min(1).max(2000).optional(),
  })
  .strict();
export type PassCriterion = z.infer<typeof PassCriterionSchema>;
