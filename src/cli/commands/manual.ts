/**
 * `crewmux manual --task "..."`: one worker and no lead, in a worktree and the session's first pane; attach and work
 * with it, or follow it headless. It ends with the worker's turn: done -> merged into the integration branch.
 */
import { numberOption, type Command } from '../command.js';
import { showSession } from './attach.js';
import { UserError } from '../../core/errors.js';
import { preflight } from '../../app/setup/preflight.js';
import { runRequest, startRun } from '../../app/session/start-run.js';
import { followRun } from '../../app/session/follow-run.js';
import { MAX_TASK_BYTES } from '../../app/workers/spawn.js';
import { requireSignedSkills } from '../../app/skills/policy.js';
import { fastForwardToIntegration } from '../../app/integration/take-result.js';
import { consentFromArgs, TRUST_REPO_CONFIG_OPTION } from '../consent.js';
import { finishRun } from './run.js';
import { budgetLimits } from '../../core/usage/budget.js';
import { BUDGET_TOKENS_OPTION, BUDGET_USD_OPTION, budgetFlags } from '../budget-flags.js';

function taskOf(a: Record<string, unknown>): string {
  const given = typeof a.task === 'string' ? a.task : typeof a.text === 'string' ? a.text : undefined;
  if (given === undefined || !given.trim()) throw new UserError('E_TASK_MISSING');
  if (Buffer.byteLength(given) > MAX_TASK_BYTES)
    throw new UserError(
      'E_TASK_TOO_LARGE',
      `The task is ${Math.round(Buffer.byteLength(given) / 1024)} KB; the limit is ${MAX_TASK_BYTES / 1024} KB.`,
    );
  return given;
}

function seconds(name: string, v: unknown): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new UserError('E_BAD_FLAG', `--${name} must be a positive number of seconds (got ${JSON.stringify(v)}).`);
  return v;
}

export const manualCommand: Command = {
  command: 'manual [text]',
  describe: 'One worker agent on a task, no lead: a worktree and a pane to work in, the same report',
  builder: (y) =>
    y
      .positional('text', { type: 'string', describe: 'The task (or --task)' })
      .option('task', { type: 'string', describe: 'The task for the worker' })
      .conflicts('task', 'text')
      .option('agent', {
        type: 'string',
        describe: 'Worker agent (default: the first of config "workers", else the first detected)',
      })
      .option('attach', { type: 'boolean', describe: 'Attach this terminal to the tmux session (default on a TTY)' })
      .option('wait', {
        type: 'boolean',
        describe: 'Block until the worker ends, printing progress (default when not attaching)',
      })
      .option(
        'timeout',
        numberOption('timeout', 'Seconds before the session ends as timed out', { positive: true, unit: 'seconds' }),
      )
      .option(...BUDGET_USD_OPTION)
      .option(...BUDGET_TOKENS_OPTION)
      .option('keep-session', {
        type: 'boolean',
        default: false,
        describe: 'Leave the tmux session open after the worker ends',
      })
      .option('merge', {
        type: 'boolean',
        default: false,
        describe: 'When done, fast-forward your branch to the integration branch (clean tree only)',
      })
      .option('trust-repo-config', TRUST_REPO_CONFIG_OPTION),
  async handler(a, ctx) {
    const task = taskOf(a);
    const timeoutS = seconds('timeout', a.timeout);
    const agent = typeof a.agent === 'string' && a.agent.trim() ? a.agent.trim() : undefined;
    const pre = await preflight(ctx, { noLead: true, agents: agent ? [agent] : undefined }, consentFromArgs(a));
    for (const w of pre.warnings) ctx.out.err(`crewmux: warning: ${w}`);
    // One worker: the named agent, else the configured default worker agent.
    const worker = pre.workers[0]!;
    const attach = (a.attach as boolean | undefined) ?? Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const wait = (a.wait as boolean | undefined) ?? !attach;
    const run = await startRun(
      ctx,
      { ...pre, workers: [worker] },
      runRequest(pre.config, {
        goal: task,
        kind: 'manual',
        attach,
        maxWorkers: 1,
        timeoutS,
        budget: budgetLimits(pre.config.budget, budgetFlags(a)),
        keepSession: Boolean(a.keepSession),
        requireSignedSkills: requireSignedSkills({ paths: ctx.paths, projectRoot: pre.repo.root }),
      }),
    );
    ctx.out.err(
      `crewmux: manual session ${run.sid} started (tmux session ${run.tmuxSession}, worker ${worker} in its first pane, no lead); it ends when the worker reports done`,
    );
    const take = async (code: number) => {
      if (a.merge) ctx.out.out(await fastForwardToIntegration(ctx, run.sid));
      return code;
    };
    if (attach) {
      const shown = await showSession(ctx, ctx.tmux, run.tmuxSession);
      if (shown.mode !== 'attached' && !wait) {
        // Inside tmux the session shows in another session or window; this pane is free.
        ctx.out.err(
          `crewmux: the worker goes on there. Status: crewmux status ${run.sid}   Stop: crewmux stop ${run.sid}`,
        );
        return shown.code === 0 ? 0 : 1;
      }
      if (ctx.store().getSession(run.sid)!.ended_at) return take(finishRun(ctx, run.sid));
      ctx.out.err(
        `crewmux: detached; the worker goes on. Reattach: crewmux attach ${run.sid}   Status: crewmux status ${run.sid}`,
      );
      if (!wait) return 0;
    }
    if (!wait) {
      ctx.out.out(run.sid);
      ctx.out.err(
        `crewmux: running in the background. Work with it: crewmux attach ${run.sid}   Status: crewmux status ${run.sid}`,
      );
      return 0;
    }
    await followRun(ctx.store(), ctx.tmux, run.sid, (l) => ctx.out.out(l), { clock: ctx.clock });
    return take(finishRun(ctx, run.sid));
  },
};
