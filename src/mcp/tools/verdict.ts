/** submit_verdict: a review perspective's structured verdict on what it was asked to review. */
import { z } from 'zod';
import { RISK_LEVELS } from '../../core/review/verdict.js';
import { submitVerdict } from '../../app/review/verdicts.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import type { ToolDeps } from '../build-server.js';

/**
 * Registers submit_verdict for worker `workerId`. Every worker has it (the tool list is built before its row is
 * read); it answers only a worker of a review perspective that was asked for a verdict (cross_review, the gate).
 */
export function registerVerdictTool(server: ToolServer, d: ToolDeps, workerId: string): void {
  defineTool(
    server,
    d.stats,
    'submit_verdict',
    'Only when you were asked to review: give your verdict: pass or fail, risk, each criterion met or not with evidence, and findings. Then call worker_done.',
    {
      verdict: z
        .enum(['pass', 'fail'])
        .describe('pass only when every criterion is met and nothing high or critical was found.'),
      risk: z.enum(RISK_LEVELS).describe('How risky merging the change is.'),
      criteria: z
        .array(
          z.object({
            id: z.string().describe('The criterion id, as given (A1, w01.t1, L1).'),
            met: z.boolean().describe('Whether the result meets it.'),
            evidence: z.string().describe('What you ran or read that shows it.'),
          }),
        )
        .describe('One entry per criterion id you were given: met or not, and the evidence (what you ran or read).'),
      findings: z
        .array(
          z.object({
            file: z.string().describe('Path of the file, relative to the repository.'),
            line: z.number().int().optional().describe('Line number, when there is one.'),
            severity: z.enum(RISK_LEVELS).describe('How serious the problem is.'),
            text: z.string().describe('The problem and, when you know it, the fix.'),
          }),
        )
        .describe('Each problem found, with file, line and severity; [] when none.'),
    },
    async (a) => {
      const r = submitVerdict(d.rt, workerId, a);
      return textResult(
        `Recorded your verdict (${a.verdict}) on ${r.subject === 'gate' ? 'the goal' : r.subject}. Now call worker_done.`,
      );
    },
  );
}
