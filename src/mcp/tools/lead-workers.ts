/** Lead tools that manage workers: spawn, watch, talk to, wait for, list and stop them. */
import { z } from 'zod';
import { listPerspectives, PERSPECTIVES } from '../../core/workers/perspectives.js';
import { ToolError } from '../../core/errors.js';
import { spawnWorker } from '../../app/workers/spawn.js';
import { readWorkerOutput, sendToWorker, stopWorker } from '../../app/workers/turns.js';
import { waitForWorkers } from '../../app/workers/wait.js';
import { readOnlyCommits, readOnlyCommitsNote } from '../../app/integration/merge.js';
import { restartWorker } from '../../app/workers/restart.js';
import { nodeOf } from '../../app/workers/worker-runtimes.js';
import { nodeEntries } from '../../core/nodes/node-config.js';
import { compactedSummaries, compactedSummary } from '../../app/llm/compaction.js';
import { getWorkerOrFail } from '../../app/runtime.js';
import { sessionFence } from '../../app/session/data-fence.js';
import { defineTool, textResult, type ToolServer } from '../define-tool.js';
import { finishedLine, W_ID, workerView } from './views.js';
import { askedLine, ticketView } from './questions.js';
import type { ToolDeps } from '../build-server.js';
import { workerUsage } from '../../app/usage/views.js';
import { activityViews } from '../../app/workers/signals.js';
import { budgetNotice } from '../../app/usage/budget.js';
import { PassCriterionSchema } from '../../core/review/verdict-schema.js';
import { checkPassCriteria, passCriteriaText } from '../../app/review/check-claim.js';
import { approvalLine, approvalNotices } from '../../app/review/approval.js';

export function registerLeadWorkerTools(server: ToolServer, d: ToolDeps): void {
  const { rt } = d;
  const fence = sessionFence(rt);
  defineTool(
    server,
    d.stats,
    'spawn_worker',
    'Start a worker agent on a task in its own git worktree and branch. Returns the worker id; then call wait_for_worker.',
    {
      task: z.string().describe('What the worker must do; self-contained.'),
      perspective: z
        .string()
        .optional()
        .describe(`One of ${PERSPECTIVES.join(', ')} (default implementer).`),
      agent: z.string().optional().describe('Worker agent name; default is the first configured.'),
      file_scope: z.array(z.string()).optional().describe('Paths the worker may change.'),
      pass_criteria: z
        .union([
          z.string(),
          z.array(
            z.object({
              id: PassCriterionSchema.shape.id.describe('A short id, unique for this worker (t1, build).'),
              text: PassCriterionSchema.shape.text.describe('What must be true.'),
              command: PassCriterionSchema.shape.command.describe(
                'A command that must exit 0 in its worktree (verify policy applies).',
              ),
            }),
          ),
        ])
        .optional()
        .describe(
          'How the worker knows it is done: text, or a list of {id, text, command?}; a command (a configured verify command, or any with verifyAllowAdHoc) is run in its worktree when it says done, and a failure makes it unverified.',
        ),
      extra_context: z.string().optional().describe('Background the worker needs; included in full.'),
      runtime: z
        .string()
        .optional()
        .describe(
          'Where its agent runs: "local" or a runtime the user configured (default: the configured one, else local).',
        ),
      node: z
        .string()
        .optional()
        .describe(
          'Run it on this SSH worker node (one the user added with `crewmux node add`; list_workers shows where each runs). Its code comes back here when its turn ends; merge it as usual. Default: this machine.',
        ),
    },
    async (a) => {
      const given = a.pass_criteria;
      const criteria = typeof given === 'string' ? undefined : given;
      if (criteria) checkPassCriteria(rt, criteria);
      const r = await spawnWorker(
        rt,
        {
          task: a.task,
          perspective: a.perspective,
          agent: a.agent,
          fileScope: a.file_scope,
          passCriteria: typeof given === 'string' ? given : criteria && passCriteriaText(criteria),
          ...(criteria ? { criteria } : {}),
          extraContext: a.extra_context,
          runtime: a.runtime,
          node: a.node,
        },
        d.promptExtras,
      );
      const w = r.worker;
      const budget = budgetNotice(rt);
      if (r.queued)
        return textResult(
          `Queued worker ${w.id} (${w.agent}, ${w.perspective}): not started for lack of memory (${r.queued}). State: queued. It starts by itself, in order, when memory frees (--max-workers still caps); call wait_for_worker with worker_id "${w.id}" (it waits through the queue), or kill_worker to drop it.${budget ? `\n${budget}` : ''}`,
          { worker: workerView(w, fence), injected: r.included, queued: r.queued },
        );
      const node = nodeOf(rt, w);
      // Where it went: the node named, the node placement chose (and why), or here when nodes are configured.
      const where = r.placed
        ? ` on node ${r.placed.node} (placed there: ${r.placed.why})`
        : node
          ? ` on node ${node}`
          : rt.newNodeRuntime && nodeEntries(rt.config.nodes).length
            ? ' on this machine'
            : '';
      return textResult(
        `Started worker ${w.id} (${w.agent}, ${w.perspective})${where} on branch ${w.branch}. State: ${w.state}. Added to its prompt: ${r.included.length ? r.included.join(', ') : 'none'}. Call wait_for_worker with worker_id "${w.id}".${budget ? `\n${budget}` : ''}`,
        { worker: workerView(w, fence), injected: r.included, ...(node ? { node } : {}) },
      );
    },
  );

  defineTool(
    server,
    d.stats,
    'wait_for_worker',
    'Wait until a worker (or any/all of several) finishes its turn or asks a question. If the answer says "still running", call it again.',
    {
      worker_id: z.string().optional().describe(`${W_ID} Give this or worker_ids.`),
      worker_ids: z.array(z.string()).optional().describe('Several worker ids; see mode.'),
      mode: z
        .enum(['any', 'all'])
        .optional()
        .describe('With worker_ids: return when any (default) or all have finished.'),
      timeout_s: z.number().positive().optional().describe(`Seconds to wait; capped at ${rt.options.toolWaitS}.`),
    },
    async (a) => {
      const ids = [...(a.worker_id ? [a.worker_id] : []), ...(a.worker_ids ?? [])];
      if (ids.length === 0)
        throw new ToolError('Error: name a worker: pass worker_id or worker_ids (list_workers shows them).');
      const timeoutMs = Math.min(a.timeout_s ?? rt.options.toolWaitS, rt.options.toolWaitS) * 1000;
      const r = await waitForWorkers(rt, [...new Set(ids)], a.mode ?? 'any', timeoutMs);
      const lines = [...r.asked.map((t) => askedLine(t, fence)), ...r.finished.map((w) => finishedLine(w, fence))];
      for (const w of r.finished) {
        const commits = await readOnlyCommits(rt, w);
        if (commits > 0) lines.push(`Note: ${readOnlyCommitsNote(w, commits)}`);
      }
      if (r.pending.length)
        lines.push(
          `Still running: ${r.pending.map((w) => `${w.id} (${w.state})`).join(', ')}.${r.finished.length || r.asked.length ? '' : ' Call wait_for_worker again to keep waiting.'}`,
        );
      // Held merges a person decided since the lead last heard (crewmux approve / reject).
      lines.push(...approvalNotices(rt));
      // Budgets at 80 % or more, told on every answer while they are (a warning is also an event, once).
      const budget = budgetNotice(rt);
      if (budget) lines.push(budget);
      return textResult(lines.join('\n'), {
        finished: r.finished.map((w) => workerView(w, fence)),
        pending: r.pending.map((w) => workerView(w, fence)),
        asked: r.asked.map((t) => ticketView(t, fence)),
        timedOut: r.timedOut,
      });
    },
  );

  defineTool(
    server,
    d.stats,
    'read_worker_output',
    "Read the last lines of a worker's terminal (after compact_session, a finished worker's digest unless full is true).",
    {
      worker_id: z.string().describe(W_ID),
      tail_lines: z.number().int().min(1).max(2000).optional().describe('How many last lines (default 60).'),
      full: z.boolean().optional().describe('Read the terminal even when compact_session replaced it with a digest.'),
    },
    async (a) => {
      const view = a.full ? undefined : compactedSummary(rt, getWorkerOrFail(rt, a.worker_id));
      if (view?.compacted) {
        const c = view.compacted;
        const by = c.method === 'router' ? `compacted by the router (${c.note})` : `compacted by ${c.note}`;
        return textResult(
          `[${by}; the full ${c.fullChars} chars are in event #${c.eventId}; pass full=true to read the terminal]\n${fence(`worker ${a.worker_id} output digest`, view.summary ?? '')}`,
        );
      }
      const output = await readWorkerOutput(rt, a.worker_id, a.tail_lines ?? 60);
      return textResult(output ? fence(`worker ${a.worker_id} output`, output) : '(no output yet)');
    },
  );

  defineTool(
    server,
    d.stats,
    'send_to_worker',
    'Type a message into a worker agent. A worker that had finished starts a new turn; wait for it again.',
    {
      worker_id: z.string().describe(W_ID),
      message: z.string().describe('The text to type into the worker, as a new instruction.'),
    },
    async (a) => {
      const w = await sendToWorker(rt, a.worker_id, a.message);
      return textResult(`Sent to ${w.id} (now ${w.state}).`, { worker: workerView(w, fence) });
    },
  );

  defineTool(
    server,
    d.stats,
    'list_workers',
    'List every worker of this session with its state, its agent status (busy, idle or waiting, and the source that said so), branch, summary and usage (tokens, estimated cost).',
    {},
    async () => {
      const rows = rt.store.listWorkers(rt.sid);
      const compacted = compactedSummaries(rt, rows);
      const usage = workerUsage(rt.store, rt.sid);
      const activity = activityViews(rt.store, rt.sid);
      const workers = rows.map((w, i) => {
        const c = compacted[i]!;
        const summary = c.summary === null ? null : fence(`worker ${w.id} summary`, c.summary);
        // What the agent does and which source said so (its hooks or rollout first, else its pane).
        const a = activity.get(w.id);
        const status = a ? { activity: a.activity, source: a.source, since: a.since } : null;
        // Where its agent runs: an SSH node's name, or null for this machine.
        const node = nodeOf(rt, w) ?? null;
        return { ...workerView(w, fence), node, ...c, summary, usage: usage.get(w.id) ?? null, status };
      });
      const budget = budgetNotice(rt) ?? null;
      // Held merges: each worker's approval state, and the outcomes decided since the lead last heard.
      const approvals = rt.store
        .review()
        .listApprovals(rt.sid)
        .filter((x) => rt.store.review().latestApproval(rt.sid, x.worker)?.id === x.id)
        .map((x) => ({ worker: x.worker, status: x.status, risk: x.risk ?? null, line: approvalLine(rt, x) }));
      const news = approvalNotices(rt);
      const out = { workers, budget, ...(approvals.length ? { approvals } : {}), ...(news.length ? { news } : {}) };
      return textResult(JSON.stringify(out, null, 1), out);
    },
  );

  defineTool(
    server,
    d.stats,
    'kill_worker',
    "Stop a worker's agent; its uncommitted work is committed to its branch first.",
    {
      worker_id: z.string().describe(W_ID),
    },
    async (a) => {
      const w = await stopWorker(rt, a.worker_id, 'killed', 'killed by the lead');
      return textResult(
        `Worker ${a.worker_id} stopped (state ${w?.state ?? 'unknown'}); its work is on ${w?.branch ?? 'its branch'}.`,
      );
    },
  );

  defineTool(
    server,
    d.stats,
    'restart_worker',
    'Relaunch a crashed, killed or timed-out worker on its own worktree with its task and previous summary.',
    {
      worker_id: z.string().describe(W_ID),
    },
    async (a) => {
      const w = await restartWorker(rt, a.worker_id);
      return textResult(
        `Restarted ${w.id} on ${w.branch} (now ${w.state}). Call wait_for_worker with worker_id "${w.id}".`,
      );
    },
  );

  defineTool(server, d.stats, 'list_perspectives', 'List worker perspectives and what each does.', {}, async () => {
    const list = listPerspectives().map((p) => ({ name: p.name, readOnly: p.readOnly, summary: p.summary }));
    return textResult(list.map((p) => `${p.name}${p.readOnly ? ' (read-only)' : ''}: ${p.summary}`).join('\n'), {
      perspectives: list,
    });
  });
}
