/** `crewmux run`: one goal, a lead in tmux pane 0, workers in worktrees; attach, or follow headless. */
import { createInterface } from 'node:readline';
import { numberOption, type Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import { renderReport, type RunReport } from '../../core/session/report.js';
import { GATE_PERSPECTIVES, resolveGate, type GatePerspective } from '../../core/review/gate.js';
import { preflight } from '../../app/setup/preflight.js';
import { runRequest, startRun } from '../../app/session/start-run.js';
import { exitCodeOf, followRun } from '../../app/session/follow-run.js';
import { requireSignedSkills } from '../../app/skills/policy.js';
import { fastForwardToIntegration } from '../../app/integration/take-result.js';
import type { AppContext } from '../../compose/app-context.js';
import { launchDashboardFor } from '../../compose/dashboard-server.js';
import { consentFromArgs, TRUST_REPO_CONFIG_OPTION } from '../consent.js';
import { showSession } from './attach.js';
import { budgetLimits } from '../../core/usage/budget.js';
import { BUDGET_TOKENS_OPTION, BUDGET_USD_OPTION, budgetFlags } from '../budget-flags.js';

export const MAX_GOAL_BYTES = 64 * 1024;

async function readInteractiveGoal(): Promise<string> {
  process.stderr.write('Type the goal; end with a line holding only /end\n');
  const rl = createInterface({ input: process.stdin });
  const lines: string[] = [];
  for await (const line of rl) {
    if (line.trim() === '/end') break;
    lines.push(line);
  }
  rl.close();
  return lines.join('\n');
}

async function readGoal(a: Record<string, unknown>, readFile: (path: string) => string): Promise<string> {
  let goal: string;
  if (typeof a.goal === 'string') goal = a.goal;
  else if (typeof a.goalFile === 'string') {
    try {
      goal = readFile(a.goalFile);
    } catch (e) {
      throw new UserError(
        'E_GOAL_FILE',
        `Cannot read goal file ${a.goalFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
      );
    }
  } else if (a.interactive) goal = await readInteractiveGoal();
  else throw new UserError('E_GOAL_MISSING');
  if (Buffer.byteLength(goal) > MAX_GOAL_BYTES)
    throw new UserError(
      'E_GOAL_TOO_LARGE',
      `The goal is ${Math.round(Buffer.byteLength(goal) / 1024)} KB; the limit is 64 KB.`,
    );
  if (!goal.trim()) throw new UserError('E_GOAL_EMPTY');
  return goal;
}

function positive(name: string, v: unknown): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new UserError('E_BAD_FLAG', `--${name} must be a positive number of seconds (got ${JSON.stringify(v)}).`);
  return v;
}

/**
 * Prints the stored report of `sid` and returns the run's exit code; a run that did not end done also gets its
 * reason on stderr (e.g. "lead claude cannot work: Not logged in · Please run /login — fix: ...").
 */
export function finishRun(ctx: AppContext, sid: string): number {
  const s = ctx.store().getSession(sid)!;
  if (s.report) ctx.out.out('\n' + renderReport(JSON.parse(s.report) as RunReport));
  if (s.status !== 'done' && s.outcome_reason)
    ctx.out.err(`crewmux: session ${sid} ${s.status}: ${escapeControls(s.outcome_reason)}`);
  return exitCodeOf(s.status);
}

/** `run --dashboard`: a failure to start the dashboard is reported, and the run goes on without it. */
async function startRunDashboard(ctx: AppContext, sid: string): Promise<void> {
  try {
    ctx.out.err(`crewmux: dashboard ${await launchDashboardFor(ctx, sid)}`);
  } catch (e) {
    ctx.out.err(`crewmux: ${(e as Error).message} [E_DASHBOARD_START]; the run goes on without it.`);
  }
}

/** `--review-gate [PERSPECTIVES]`: undefined when absent, [] when given bare; E_BAD_FLAG for an unknown perspective. */
function reviewGateFlag(v: unknown): GatePerspective[] | undefined {
  if (v === undefined) return undefined;
  const names = (typeof v === 'string' ? v : '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(GATE_PERSPECTIVES as readonly string[]).includes(n));
  if (bad.length)
    throw new UserError(
      'E_BAD_FLAG',
      `--review-gate: unknown review perspective ${bad.join(', ')}; the gate takes ${GATE_PERSPECTIVES.join(', ')}.`,
    );
  return names as GatePerspective[];
}

export const runCommand: Command = {
  command: 'run',
  describe: 'Run a goal: a lead agent drives workers in git worktrees',
  builder: (y) =>
    y
      .option('goal', { type: 'string', describe: 'The goal text' })
      .option('goal-file', { type: 'string', describe: 'Read the goal from a file' })
      .option('interactive', { type: 'boolean', describe: 'Type the goal; end with /end' })
      .conflicts('goal', ['goal-file', 'interactive'])
      .conflicts('goal-file', 'interactive')
      .option('lead', { type: 'string', describe: 'Lead agent (default: config "lead", else the best detected)' })
      .option('agents', { type: 'string', describe: 'Worker agents, comma-separated' })
      .option('attach', { type: 'boolean', describe: 'Attach this terminal to the tmux session (default on a TTY)' })
      .option('wait', {
        type: 'boolean',
        describe: 'Block until the goal ends, printing progress (default when not attaching)',
      })
      .option(
        'timeout',
        numberOption('timeout', 'Seconds before the whole run ends as timed out', { positive: true, unit: 'seconds' }),
      )
      .option(
        'max-workers',
        numberOption('max-workers', 'Workers running at once (default 4)', { min: 1, max: 64, integer: true }),
      )
      .option(
        'worker-timeout',
        numberOption('worker-timeout', 'Seconds a worker may run before it is stopped', {
          positive: true,
          unit: 'seconds',
        }),
      )
      .option(
        'lead-start-timeout',
        numberOption(
          'lead-start-timeout',
          'Seconds the lead may run without calling crewmux (MCP) before the run fails (default 120)',
          {
            positive: true,
            unit: 'seconds',
          },
        ),
      )
      .option(...BUDGET_USD_OPTION)
      .option(...BUDGET_TOKENS_OPTION)
      .option('keep-session', {
        type: 'boolean',
        default: false,
        describe: 'Leave the tmux session open after the goal ends',
      })
      .option('dashboard', {
        type: 'boolean',
        default: false,
        describe: 'Also serve the live dashboard on 127.0.0.1 and print its URL',
      })
      .option('merge', {
        type: 'boolean',
        default: false,
        describe: 'When done, fast-forward your branch to the integration branch (clean tree only)',
      })
      .option('review-gate', {
        type: 'string',
        describe: `mark_goal_done needs independent reviewers to pass; optional comma-separated perspectives (${GATE_PERSPECTIVES.join(', ')}; default config gate.reviewers, else verifier,reviewer)`,
      })
      .option('trust-repo-config', TRUST_REPO_CONFIG_OPTION)
      .option('require-signed-skills', {
        type: 'boolean',
        describe: 'Load only skills signed by a trusted key (also config requireSignedSkills)',
      }),
  async handler(a, ctx) {
    const goal = await readGoal(a, (p) => ctx.readUserFile(p));
    const timeoutS = positive('timeout', a.timeout);
    const workerTimeoutS = positive('worker-timeout', a.workerTimeout);
    const leadStartTimeoutS = positive('lead-start-timeout', a.leadStartTimeout);
    const maxWorkers = a.maxWorkers === undefined ? undefined : Number(a.maxWorkers);
    if (maxWorkers !== undefined && (!Number.isInteger(maxWorkers) || maxWorkers < 1 || maxWorkers > 64)) {
      throw new UserError(
        'E_BAD_FLAG',
        `--max-workers must be a whole number from 1 to 64 (got ${String(a.maxWorkers)}).`,
      );
    }
    const agents =
      typeof a.agents === 'string'
        ? a.agents
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
    const gateFlag = reviewGateFlag(a.reviewGate);
    const pre = await preflight(ctx, { lead: a.lead as string | undefined, agents }, consentFromArgs(a));
    const gate = resolveGate(pre.config.gate, gateFlag);
    const strangers = (gate?.agents ?? []).filter((n) => !pre.workers.includes(n));
    if (strangers.length)
      throw new UserError(
        'E_CONFIG_INVALID',
        `gate.agents names ${strangers.join(', ')}, not among this run's worker agents (${pre.workers.join(', ')}).`,
        `Add them to --agents (or config "workers"), or change "gate.agents" in .crewmux/config.json.`,
      );
    for (const w of pre.warnings) ctx.out.err(`crewmux: warning: ${w}`);
    const attach = (a.attach as boolean | undefined) ?? Boolean(process.stdout.isTTY && process.stdin.isTTY);
    const wait = (a.wait as boolean | undefined) ?? !attach;
    const run = await startRun(
      ctx,
      pre,
      runRequest(pre.config, {
        goal,
        attach,
        maxWorkers,
        timeoutS,
        workerTimeoutS,
        leadStartTimeoutS: leadStartTimeoutS ?? undefined,
        budget: budgetLimits(pre.config.budget, budgetFlags(a)),
        keepSession: Boolean(a.keepSession),
        gate,
        requireSignedSkills: requireSignedSkills({
          flag: a.requireSignedSkills as boolean | undefined,
          paths: ctx.paths,
          projectRoot: pre.repo.root,
        }),
      }),
    );
    ctx.out.err(
      `crewmux: session ${run.sid} started (tmux session ${run.tmuxSession}, lead ${pre.lead}, workers ${pre.workers.join(', ')})`,
    );
    if (a.dashboard) await startRunDashboard(ctx, run.sid);
    if (attach) {
      const shown = await showSession(ctx, ctx.tmux, run.tmuxSession);
      if (shown.mode !== 'attached') {
        // Inside tmux the session shows in another session or window; this pane is free (or follows with --wait).
        if (!wait) {
          ctx.out.err(
            `crewmux: the run goes on there. Status: crewmux status ${run.sid}   Stop: crewmux stop ${run.sid}`,
          );
          return shown.code === 0 ? 0 : 1;
        }
      } else {
        if (ctx.store().getSession(run.sid)!.ended_at) {
          const code = finishRun(ctx, run.sid);
          if (a.merge) ctx.out.out(await fastForwardToIntegration(ctx, run.sid));
          return code;
        }
        ctx.out.err(
          `crewmux: detached; the run goes on. Reattach: crewmux attach ${run.sid}   Status: crewmux status ${run.sid}`,
        );
        if (!wait) return 0;
      }
    }
    if (!wait) {
      ctx.out.out(run.sid);
      ctx.out.err(
        `crewmux: running in the background. Watch: crewmux attach ${run.sid}   Status: crewmux status ${run.sid}`,
      );
      return 0;
    }
    await followRun(ctx.store(), ctx.tmux, run.sid, (l) => ctx.out.out(l), { clock: ctx.clock });
    const code = finishRun(ctx, run.sid);
    if (a.merge) ctx.out.out(await fastForwardToIntegration(ctx, run.sid));
    return code;
  },
};
