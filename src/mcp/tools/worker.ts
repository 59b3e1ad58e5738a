/** The worker's own tools: worker_done (for its own turn only), report_progress, ask and get_answer. */
import { z } from 'zod';
import { COMPLETION_STATUSES } from '../../core/workers/state.js';
import { completeTurn } from '../../app/workers/turns.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import { registerProgressTool } from './goal.js';
import { registerWorkerQuestionTools } from './questions.js';
import { registerVerdictTool } from './verdict.js';
import type { ToolDeps } from '../build-server.js';

export function registerWorkerTools(server: ToolServer, d: ToolDeps, workerId: string): void {
  defineTool(
    server,
    d.stats,
    'worker_done',
    'Report that your task is finished (done), cannot go on (blocked) or failed, with a short summary.',
    {
      status: z
        .enum(COMPLETION_STATUSES)
        .describe('done: the task is finished; blocked: you need something to go on; failed: it cannot be done.'),
      summary: z
        .string()
        .describe('What you did (files, commits, test results), or what blocks you; the lead reads it.'),
      no_changes: z
        .string()
        .optional()
        .describe(
          'When done without changing any file on purpose: why (a done with no commits is otherwise unverified).',
        ),
    },
    async (a) => {
      const w = await completeTurn(
        d.rt,
        workerId,
        { status: a.status, summary: a.summary.slice(0, 20_000), ...(a.no_changes ? { noChanges: a.no_changes } : {}) },
        'mcp',
      );
      if (w?.state === 'unverified')
        return textResult(
          `Recorded: ${workerId} unverified: crewmux checked your done and it does not hold: ${(w.summary ?? '').split('UNVERIFIED by crewmux: ')[1] ?? 'see the event log'}. Stop here and wait; the lead decides.`,
        );
      return textResult(
        `Recorded: ${workerId} ${a.status}. Your work is committed on your branch. Stop here and wait; the lead may send more work.`,
      );
    },
  );
  registerProgressTool(server, d, workerId);
  registerWorkerQuestionTools(server, d, workerId);
  registerVerdictTool(server, d, workerId);
}
