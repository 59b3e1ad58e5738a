/** Lead tools that close the goal, and progress notes (lead and workers). */
import { z } from 'zod';
import { ToolError } from '../../core/errors.js';
import { markGoalDone, markGoalFailed } from '../../app/session/goal.js';
import { addWorkerNote } from '../../app/workers/state-change.js';
import { getWorkerOrFail } from '../../app/runtime.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import type { ToolDeps } from '../build-server.js';

export function registerGoalTools(server: ToolServer, d: ToolDeps): void {
  const { rt } = d;
  defineTool(
    server,
    d.stats,
    'mark_goal_done',
    rt.options.gate
      ? `Close the goal as achieved. Refused, with the reason, while workers still run. Then independent reviewers (${rt.options.gate.reviewers.join(', ')}) judge the result: "still running" means call again; "DONE REJECTED (round N of ${rt.options.gate.maxRounds})" lists what to fix first.`
      : 'Close the goal as achieved. Refused, with the reason, while workers still run.',
    {
      summary: z.string().describe('What was achieved.'),
      criteria: z
        .array(z.string())
        .optional()
        .describe("Acceptance criteria of your own for the review gate, besides the goal's and the workers'."),
    },
    async (a) => {
      const r = await markGoalDone(rt, a.summary, { criteria: a.criteria, extras: d.promptExtras });
      if (r.status === 'running') return textResult(r.text, { status: 'gate_running' });
      return textResult('The goal is marked done. The session is ending; you can stop now.');
    },
  );
  defineTool(
    server,
    d.stats,
    'mark_goal_failed',
    'Close the goal as failed, with the reason. Always ends the run.',
    {
      reason: z.string().describe('Why the goal cannot be reached; shown to the user in the report.'),
    },
    async (a) => {
      await markGoalFailed(rt, a.reason);
      return textResult('The goal is marked failed. The session is ending; you can stop now.');
    },
  );
}

/** report_progress for either role: a lead note or a note on the calling worker. */
export function registerProgressTool(server: ToolServer, d: ToolDeps, workerId?: string): void {
  const { rt } = d;
  defineTool(
    server,
    d.stats,
    'report_progress',
    'Record a short progress note that the user and the lead can see.',
    {
      message: z.string().describe('One or two sentences on where things stand (up to 2000 characters).'),
    },
    async (a) => {
      if (!a.message.trim()) throw new ToolError('Error: the message is empty.');
      const text = a.message.slice(0, 2000);
      if (workerId) {
        addWorkerNote(rt, getWorkerOrFail(rt, workerId), 'worker.progress', text);
        d.onWorkerActivity?.(workerId);
      } else {
        rt.events.emit('lead.progress', `lead: ${text}`);
      }
      return textResult('Noted.');
    },
  );
}
