/**
 * Starting a run: session id and row, the integration branch `crewmux/<sid>/integration` from HEAD in
 * its own worktree (the user's checkout is never modified during a run), the tmux session with the
 * lead's window and the supervisor's window. The supervisor (MCP server, monitor, lead launch) runs
 * inside tmux so it lives as long as the session, whatever happens to the terminal that started it.
 * All-or-nothing: a failure undoes what was made. A manual session (`kind: 'manual'`) is started the same way, with no
 * lead: its supervisor starts the one worker in the lead window's first pane (manual.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { integrationBranch, sessionIdFrom, tmuxSessionName } from '../../core/session/naming.js';
import { UserError } from '../../core/errors.js';
import { waitUntil } from '../../core/clock.js';
import { shellJoin } from '../../core/text/shell-quote.js';
import { appendText, ensureDir, readIfExists } from '../../adapters/system/files.js';
import { TERMINAL_SESSION_STATUSES, type RunOptions, type SessionKind } from '../../core/session/rows.js';
import { forwardableEnv } from '../agents/launch.js';
import { createSessionWindows, withEnvFile } from '../workers/panes.js';
import { leadScriptPath } from './lead.js';
import { LEAD_START_TIMEOUT_S } from '../../core/workers/blockers.js';
import { repoWorktreesDir } from './paths.js';
import { saveSessionRepoConfig } from './repo-config.js';
import type { Preflight } from '../setup/preflight.js';
import type { Config } from '../../core/session/config-schema.js';
import type { BudgetLimits } from '../../core/usage/budget.js';
import { resolveGate, type GateSettings } from '../../core/review/gate.js';
import type { AppServices } from '../services.js';

export interface RunRequest {
  goal: string;
  maxWorkers: number;
  timeoutS: number | null;
  workerTimeoutS: number | null;
  stuckAfterS: number;
  toolWaitS: number;
  /** Seconds the lead may go without an MCP tool call after it started before the run reports it cannot work. */
  leadStartTimeoutS: number;
  keepSession: boolean;
  attach: boolean;
  requireSignedSkills: boolean;
  /** The review gate of mark_goal_done; null or absent: none. */
  gate?: GateSettings | null;
  /** `manual`: no lead; the supervisor starts one worker on the goal as its task in the first pane (default `run`). */
  kind?: SessionKind;
  /** The run's budgets (default config `budget`; the CLI merges --budget-usd / --budget-tokens over it). */
  budget?: BudgetLimits;
}

/**
 * A RunRequest from the flags that were given, the rest from config.json, then crewmux's defaults
 * (4 workers, no time limits, nudge after 600 s, blocking tools answer within 45 s, the lead's first MCP call
 * within 120 s, the review gate only when config `gate` is set).
 */
export function runRequest(config: Config, given: Partial<RunRequest> & { goal: string; attach: boolean }): RunRequest {
  return {
    maxWorkers: config.maxWorkers ?? 4,
    timeoutS: config.timeout ?? null,
    workerTimeoutS: config.workerTimeout ?? null,
    stuckAfterS: config.stuckAfter ?? 600,
    toolWaitS: config.toolWait ?? 45,
    leadStartTimeoutS: config.leadStartTimeout ?? LEAD_START_TIMEOUT_S,
    keepSession: false,
    requireSignedSkills: false,
    ...(config.budget ? { budget: config.budget } : {}),
    gate: resolveGate(config.gate, undefined) ?? null,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null)),
  } as RunRequest;
}

export interface StartedRun {
  sid: string;
  tmuxSession: string;
}

/** Environment the supervisor needs to find the same state, tmux server and config as this process. */
export function supervisorEnv(ctx: AppServices): Record<string, string> {
  return {
    ...forwardableEnv(ctx.env),
    CREWMUX_DATA_DIR: ctx.paths.dataDir,
    CREWMUX_CONFIG_DIR: ctx.paths.configDir,
    CREWMUX_RUNTIME_DIR: ctx.paths.runtimeDir,
    ...(ctx.env.CREWMUX_TMUX_SOCKET ? { CREWMUX_TMUX_SOCKET: ctx.env.CREWMUX_TMUX_SOCKET } : {}),
    ...(ctx.env.CREWMUX_TMUX_CONFIG ? { CREWMUX_TMUX_CONFIG: ctx.env.CREWMUX_TMUX_CONFIG } : {}),
    // The ssh command of worker nodes (README#nodes), as `crewmux node add` used it.
    ...(ctx.env.CREWMUX_SSH_COMMAND ? { CREWMUX_SSH_COMMAND: ctx.env.CREWMUX_SSH_COMMAND } : {}),
    // Tests only: a file read instead of the machine's memory figures (README#admission-by-memory).
    ...(ctx.env.CREWMUX_TEST_MEMINFO ? { CREWMUX_TEST_MEMINFO: ctx.env.CREWMUX_TEST_MEMINFO } : {}),
    // Tests only: agents whose pane markers are replaced by nonsense (README#status-from-signals).
    ...(ctx.env.CREWMUX_TEST_PANE_MARKERS ? { CREWMUX_TEST_PANE_MARKERS: ctx.env.CREWMUX_TEST_PANE_MARKERS } : {}),
    // The router's and web_research's settings and the pass-through list are read by the supervisor
    // (agent panes never get CREWMUX_*).
    ...Object.fromEntries(
      Object.entries(ctx.env).filter(
        (e): e is [string, string] => /^CREWMUX_(ROUTER|RESEARCH|PASS_ENV)(_|$)/.test(e[0]) && e[1] !== undefined,
      ),
    ),
  };
}

function newSessionId(ctx: AppServices): string {
  for (;;) {
    const sid = sessionIdFrom(randomBytes(8));
    if (!ctx.store().getSession(sid)) return sid;
  }
}

/**
 * Starts a preflighted run: session row, integration branch and worktree, tmux session with the lead and supervisor
 * windows, then waits (up to 60 s) for the supervisor to report `running`; on failure undoes what it made and
 * throws UserError E_START_FAILED.
 */
export async function startRun(ctx: AppServices, pre: Preflight, req: RunRequest): Promise<StartedRun> {
  const store = ctx.store();
  const sid = newSessionId(ctx);
  const branch = integrationBranch(sid);
  const worktreesDir = join(repoWorktreesDir(ctx.paths, pre.repo.root), sid);
  const integrationWorktree = join(worktreesDir, 'integration');
  const sessionDir = join(ctx.paths.sessionsDir, sid);
  const tmuxSession = tmuxSessionName(sid);
  ensureDir(sessionDir);
  ensureDir(worktreesDir);
  // The trusted repo config, as preflight read it: the supervisor, hooks and verify run from this copy.
  saveSessionRepoConfig(sessionDir, pre.repoConfig);

  // done.flag must never be committed by a worker's own `git add -A`.
  await ctx.git.ensureExcluded(pre.repo.commonDir, '.crewmux/done.flag', {
    read: readIfExists,
    append: (file, text) => appendText(file, text, 0o644),
  });
  await ctx.git.addWorktree(pre.repo.root, integrationWorktree, branch, pre.repo.head);

  const options: RunOptions = {
    maxWorkers: req.maxWorkers,
    workerTimeoutS: req.workerTimeoutS,
    timeoutS: req.timeoutS,
    stuckAfterS: req.stuckAfterS,
    toolWaitS: req.toolWaitS,
    leadStartTimeoutS: req.leadStartTimeoutS,
    agents: pre.workers,
    keepSession: req.keepSession,
    attach: req.attach,
    env: {},
    requireSignedSkills: req.requireSignedSkills,
    ...(req.kind === 'manual' ? { kind: 'manual' as const } : {}),
    ...(req.budget ? { budget: req.budget } : {}),
    ...(req.gate ? { gate: req.gate } : {}),
  };
  store.createSession({
    id: sid,
    goal: req.goal,
    status: 'starting',
    // A manual session has no lead: the views show it as such.
    lead_agent: req.kind === 'manual' ? '' : pre.lead,
    repo_root: pre.repo.root,
    base_commit: pre.repo.head,
    integration_branch: branch,
    integration_worktree: integrationWorktree,
    session_dir: sessionDir,
    tmux_socket: ctx.env.CREWMUX_TMUX_SOCKET || null,
    tmux_session: tmuxSession,
    mcp_port: null,
    lead_token: randomBytes(24).toString('hex'),
    lead_pane: null,
    options,
    supervisor_pid: null,
  });
  store.addEvent(
    sid,
    null,
    'session.created',
    req.kind === 'manual'
      ? `session ${sid} created: manual, worker ${pre.workers.join(',')}, no lead, integration ${branch}`
      : `session ${sid} created: lead ${pre.lead}, workers ${pre.workers.join(',')}, integration ${branch}`,
  );

  try {
    const log = join(sessionDir, 'supervisor.log');
    // Created 0600 here: the shell redirect below would use the tmux server's umask.
    appendText(log, '');
    // stdin from /dev/null: the supervisor never reads its pane, and its pane vanishes when it ends the session.
    const command = `${shellJoin([process.execPath, ctx.crewmuxBin, 'supervise', sid])} >> ${shellJoin([log])} 2>&1 < /dev/null`;
    await createSessionWindows(
      ctx.tmux,
      tmuxSession,
      integrationWorktree,
      leadScriptPath(sessionDir),
      withEnvFile({ cwd: integrationWorktree, command, env: supervisorEnv(ctx) }, join(sessionDir, 'supervisor.env')),
    );
    // The run has started once the supervisor launched the lead or the manual worker (status running) or gave up.
    const noStart = () =>
      new Error(
        `the supervisor did not start the ${req.kind === 'manual' ? 'worker' : 'lead'} (${readIfExists(log)?.trim().split('\n').slice(-3).join(' | ') || 'no output'})`,
      );
    const started = await waitUntil(
      async () => {
        const row = store.getSession(sid)!;
        if (row.status === 'running' || TERMINAL_SESSION_STATUSES.includes(row.status)) return true;
        if (!(await ctx.tmux.hasSession(tmuxSession))) throw noStart();
        return undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, clock: ctx.clock },
    );
    if (!started) throw noStart();
    const s = store.getSession(sid)!;
    if (s.status !== 'running') throw new Error(s.outcome_reason ?? `the session ended as ${s.status} while starting`);
    return { sid, tmuxSession };
  } catch (e) {
    // Undo in reverse order; whatever cannot be undone is named, never passed over.
    const left: string[] = [];
    const undo = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (u) {
        left.push(`${what} (${(u as Error).message})`);
      }
    };
    await undo(`tmux session ${tmuxSession}`, async () => {
      await ctx.tmux.killSession(tmuxSession);
      if (await ctx.tmux.hasSession(tmuxSession)) throw new Error('still there after kill-session');
    });
    await undo(`worktree ${integrationWorktree}`, () =>
      ctx.git.removeWorktree(pre.repo.root, integrationWorktree, true),
    );
    await undo(`branch ${branch}`, () => ctx.git.deleteBranch(pre.repo.root, branch, true));
    store.updateSession(sid, {
      status: 'failed',
      outcome_reason: `start failed: ${(e as Error).message}`,
      ended_at: ctx.now(),
    });
    const message = `The run could not be started: ${(e as Error).message}`;
    if (!left.length) throw new UserError('E_START_FAILED', message);
    throw new UserError(
      'E_START_FAILED',
      `${message}. Cleaning up failed too; left behind: ${left.join('; ')}`,
      `Remove what is listed (\`git worktree remove --force PATH\`, \`git branch -D BRANCH\`, \`tmux kill-session -t NAME\`), then run again.`,
    );
  }
}
