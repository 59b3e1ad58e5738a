/** Lead tools that integrate: diff, merge, discard, verify, cross-review. */
import { z } from 'zod';
import { discardWorker, workerDiff } from '../../app/integration/merge.js';
import { approvalLine, mergeWithApproval } from '../../app/review/approval.js';
import { verify, verifyHint } from '../../app/integration/verify.js';
import { crossReview } from '../../app/workers/review.js';
import { awaitReview } from '../../app/review/verdicts.js';
import { renderVerdict } from '../../core/review/verdict.js';
import { defineTool, errorResult, textResult, type ToolServer } from '../define-tool.js';
import { sessionFence } from '../../app/session/data-fence.js';
import type { ToolDeps } from '../build-server.js';
import { W_ID } from './views.js';

export function registerIntegrationTools(server: ToolServer, d: ToolDeps): void {
  const { rt } = d;
  const fence = sessionFence(rt);
  defineTool(
    server,
    d.stats,
    'worker_diff',
    "Show a worker's changes against the integration branch (stat and patch); of a running worker, also what it has not committed yet.",
    { worker_id: z.string().describe(W_ID) },
    async (a) => {
      const r = await workerDiff(rt, a.worker_id);
      const note = r.truncated ? '\n[diff cut at 60 000 characters; read the files in the worktree for the rest]' : '';
      const committed =
        r.stat || r.patch ? fence(`worker ${a.worker_id} diff`, `${r.stat}\n\n${r.patch}`) : '(no committed changes)';
      if (!r.uncommitted) return textResult(r.stat || r.patch ? `${committed}${note}` : '(no changes)');
      const u = r.uncommitted;
      return textResult(
        `Committed on its branch:\n${committed}\n\nUncommitted in its worktree (the worker is still running; untracked files included; committed when its turn ends):\n${fence(`worker ${a.worker_id} uncommitted diff`, `${u.stat}\n\n${u.patch}`)}${note}`,
      );
    },
  );

  defineTool(
    server,
    d.stats,
    'merge_worker',
    "Merge a finished worker's branch into the integration branch. A conflict changes nothing and lists the files.",
    { worker_id: z.string().describe(W_ID) },
    async (a) => {
      const r = await mergeWithApproval(rt, a.worker_id, d.promptExtras);
      if (r.kind === 'failed') {
        return errorResult(
          `Error: git could not merge ${a.worker_id} (not a conflict): ${r.detail}. The integration branch is unchanged. Fix the cause git names (a hook, a lock, a missing branch) and call merge_worker again, or discard_worker.`,
        );
      }
      if (r.kind === 'conflicts') {
        return errorResult(
          `Error: merging ${a.worker_id} conflicts on: ${r.conflicts.join(', ')}. The integration branch is unchanged. Send the worker a message to rebase on ${rt.integrationBranch} and resolve, or spawn a worker to redo it, or discard_worker.`,
        );
      }
      if (r.kind === 'reviewing')
        return textResult(
          `${r.started ? 'Started' : 'Still reviewing'}: merge.reviewBeforeMerge asks for a review before merging; reviewer worker ${r.reviewer} has not given its verdict on ${a.worker_id} yet; still reviewing. Call merge_worker with worker_id "${a.worker_id}" again to wait for it.`,
          { status: 'reviewing', reviewer: r.reviewer },
        );
      if (r.kind === 'held')
        return textResult(
          `Not merged yet: merging ${a.worker_id} awaits a person's approval (${r.approval.reason}). The user was notified and approves with \`crewmux approve ${a.worker_id}\` (crewmux then merges it) or rejects with \`crewmux reject ${a.worker_id} "why"\`. Carry on with other work; wait_for_worker tells you the outcome, and merge_worker "${a.worker_id}" again answers it.`,
          { status: 'awaiting_approval', risk: r.approval.risk ?? null, reason: r.approval.reason },
        );
      if (r.kind === 'rejected')
        return textResult(approvalLine(rt, r.approval), {
          status: 'rejected',
          reason: r.approval.note ?? null,
        });
      return textResult(
        r.byApproval
          ? `Merged by approval: ${a.worker_id} is in ${rt.integrationBranch} (${r.commit.slice(0, 10)}), approved by a person. Call verify when the merges are in.`
          : `Merged ${a.worker_id} into ${rt.integrationBranch} (${r.commit.slice(0, 10)}). Call verify when the merges are in.`,
        { status: 'merged', commit: r.commit, byApproval: r.byApproval },
      );
    },
  );

  defineTool(
    server,
    d.stats,
    'discard_worker',
    'Mark a finished worker as not to be merged, with the reason. Its branch is kept.',
    {
      worker_id: z.string().describe(W_ID),
      reason: z.string().describe('Why it is not merged; kept in the session log and the report.'),
    },
    async (a) => {
      discardWorker(rt, a.worker_id, a.reason);
      return textResult(`Discarded ${a.worker_id}.`);
    },
  );

  defineTool(
    server,
    d.stats,
    'verify',
    'Run the verify commands on the integration branch (default: the configured ones). If it answers "still running", call verify again.',
    {
      commands: z
        .array(z.string())
        .optional()
        .describe(
          'Commands to run without a shell; default: .crewmux/config.json "verify" or PROJECT.md "How to verify".',
        ),
    },
    async (a) => {
      const v = await verify(rt, a.commands, rt.options.toolWaitS * 1000);
      if (v.status === 'running')
        return textResult(
          `Verify is still running on ${v.commit_sha.slice(0, 10)} (${v.commands.join(', ')}). Call verify again to get its result.`,
          { status: 'running' },
        );
      const lines = v.results.map(
        (r) =>
          `[${r.timedOut ? 'timeout' : `exit ${r.exitCode}`}] ${r.command} (${Math.round(r.durationMs)} ms)\n${fence('verify command output', r.tail)}`,
      );
      const head = `Verify ${v.status === 'passed' ? 'PASSED' : 'FAILED'} on ${v.commit_sha.slice(0, 10)}.`;
      const structured = {
        status: v.status,
        commit: v.commit_sha,
        results: v.results.map((r) => ({
          command: r.command,
          exitCode: r.exitCode,
          timedOut: r.timedOut,
          durationMs: r.durationMs,
        })),
      };
      const hint = await verifyHint(rt, v);
      if (v.status === 'failed')
        return {
          ...errorResult(
            `Error: ${head}\n${lines.join('\n')}\n` +
              (hint ? `Likely cause: ${hint}` : 'Fix the failures (spawn a worker), merge, and verify again.'),
          ),
          structuredContent: structured,
        };
      return textResult(`${head}\n${lines.join('\n')}`, structured);
    },
  );

  defineTool(
    server,
    d.stats,
    'cross_review',
    'Review a worker\'s change with a read-only reviewer (another agent family when possible) and wait for its structured verdict (pass/fail, risk, criteria, findings). If the answer says "still reviewing", call it again with the same worker_id.',
    {
      worker_id: z.string().describe(`${W_ID} Its change is reviewed.`),
      reviewer_agent: z
        .string()
        .optional()
        .describe("Agent to review with; default an agent of another family than the worker's when one is available."),
      focus: z.string().optional().describe('What the review should look at most (e.g. error handling).'),
    },
    async (a) => {
      const r = await crossReview(rt, a.worker_id, a.reviewer_agent, a.focus, d.promptExtras);
      const row = await awaitReview(rt, r.review, rt.options.toolWaitS * 1000);
      const who = `reviewer worker ${r.worker.id} (${r.worker.agent})`;
      if (row.status === 'pending')
        return textResult(
          `${r.joined ? 'Still reviewing' : 'Started'}: ${who} on ${a.worker_id} has not given its verdict yet; still reviewing. Call cross_review with worker_id "${a.worker_id}" again to wait for it.`,
          { reviewer: r.worker.id, status: 'pending' },
        );
      if (row.status === 'missing' || !row.verdict)
        return {
          ...errorResult(
            `Error: ${who} ended its turn without a verdict, also after being asked once more. Read its summary (wait_for_worker "${r.worker.id}") or call cross_review again for a new reviewer after discard_worker "${r.worker.id}".`,
          ),
          structuredContent: { reviewer: r.worker.id, status: 'missing' },
        };
      return textResult(
        `Verdict of ${who} on ${a.worker_id}:\n${fence(`${r.worker.id} verdict`, renderVerdict(row.verdict))}\nThe reviewer is finished: discard_worker "${r.worker.id}" when you no longer need it.`,
        {
          reviewer: r.worker.id,
          status: 'submitted',
          ...row.verdict,
        },
      );
    },
  );
}
