/**
 * `crewmux stop` and `crewmux resume`: ending a session politely from outside its supervisor, and
 * bringing a session back after its supervisor died (SIGKILL included), it was stopped, or the
 * machine rebooted.
 */
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { waitUntil } from '../../core/clock.js';
import { shellJoin } from '../../core/text/shell-quote.js';
import {
  isAlive,
  killTree,
  processIdentity,
  processTree,
  type ProcessIdentity,
} from '../../adapters/process/process-tree.js';
import { appendText, readIfExists } from '../../adapters/system/files.js';
import { TERMINAL_SESSION_STATUSES, type SessionRow } from '../../core/session/rows.js';
import { endSession } from './goal.js';
import { findSession } from './lookup.js';
import { createSessionWindows, SUPERVISOR_WINDOW, withEnvFile } from '../workers/panes.js';
import { supervisorEnv } from './start-run.js';
import { leadScriptPath } from './lead.js';
import { loadSessionRepoConfig, parseRepoConfig, readRepoConfig, saveSessionRepoConfig } from './repo-config.js';
import { requireRepoTrust, type Consent } from './repo-trust.js';
import { resumeBudget } from '../usage/budget.js';
import type { AppServices } from '../services.js';

/**
 * What the pid recorded as session `s`'s supervisor is now: `none` (no pid, or no such process), `ours` (a process
 * of this user whose argv runs `supervise <sid>`), `other` (a recycled pid: someone else's process, or one of ours
 * that is not this session's supervisor), or `unverified` (alive, but this system has no /proc to tell).
 */
export type SupervisorCheck = 'none' | 'ours' | 'other' | 'unverified';

/** Classifies session `s`'s recorded supervisor pid (see SupervisorCheck); `identify` reads /proc by default. */
export function checkSupervisor(
  s: SessionRow,
  identify: (pid: number) => ProcessIdentity | undefined | 'unsupported' = processIdentity,
  uid: number | undefined = process.getuid?.(),
): SupervisorCheck {
  const pid = s.supervisor_pid;
  if (pid === null || !isAlive(pid)) return 'none';
  const who = identify(pid);
  if (who === 'unsupported') return 'unverified';
  if (who === undefined) return isAlive(pid) ? 'other' : 'none';
  const at = who.argv.indexOf('supervise');
  return who.uid === uid && at >= 0 && who.argv[at + 1] === s.id ? 'ours' : 'other';
}

/**
 * Whether session `s`'s supervisor is running: its recorded pid is alive and is this session's supervisor (on a
 * system without /proc, alive is all that can be checked).
 */
export function supervisorAlive(s: SessionRow): boolean {
  const c = checkSupervisor(s);
  return c === 'ours' || c === 'unverified';
}

/** Whether `crewmux resume` can bring the session back. */
export function canResume(s: SessionRow): boolean {
  if (s.status === 'stopped' || s.status === 'budget') return true;
  return (s.status === 'running' || s.status === 'starting') && !supervisorAlive(s);
}

/**
 * What is left of an ended session `s`: stops every live pane's process tree (this process excepted) and kills its
 * tmux session; true when there was a tmux session to clear (a `--keep-session` run, or a supervisor that died
 * while closing), false when nothing was left.
 */
export async function clearEndedSession(ctx: AppServices, s: SessionRow): Promise<boolean> {
  const tmux = ctx.tmuxFor(s.tmux_socket);
  if (!(await tmux.hasSession(s.tmux_session).catch(() => false))) return false;
  const panes = await tmux.listPanes(s.tmux_session).catch(() => []);
  await Promise.all(
    panes
      .filter((p) => !p.dead && !processTree(p.pid).includes(process.pid))
      .map((p) => killTree(p.pid).catch(() => undefined)),
  );
  await tmux.killSession(s.tmux_session);
  return true;
}

/** What `crewmux stop` did: the session afterwards, and whether it had already ended (only leftovers cleared). */
export interface StopOutcome {
  session: SessionRow;
  alreadyEnded: boolean;
}

/**
 * Stops a session: its supervisor ends it (snapshotting work, stopping agents); without one, this process does.
 * Only a pid verified as this session's supervisor (this user's process running `supervise <sid>`) is signalled:
 * a recycled pid is left alone, and where that cannot be verified (no /proc) nothing is signalled and the outcome
 * says so. A session that already ended but left its tmux session (and agents) behind has those cleared; one that
 * left nothing is UserError E_SESSION_ENDED.
 */
export async function stopSession(ctx: AppServices, sid?: string): Promise<StopOutcome> {
  const s = findSession(ctx.store(), sid);
  const check = checkSupervisor(s);
  if (TERMINAL_SESSION_STATUSES.includes(s.status) && check !== 'ours') {
    if (await clearEndedSession(ctx, s)) return { session: s, alreadyEnded: true };
    throw new UserError('E_SESSION_ENDED', `Session ${s.id} already ended (${s.status}); nothing of it is running.`);
  }
  if (check === 'ours') {
    process.kill(s.supervisor_pid!, 'SIGTERM');
    // The supervisor ends the session (agents stopped, report written) and exits; after 60 s, report what is there.
    await waitUntil(() => !supervisorAlive(ctx.store().getSession(s.id)!), {
      timeoutMs: 60_000,
      intervalMs: 100,
      clock: ctx.clock,
    });
  } else {
    const why =
      check === 'unverified'
        ? `pid ${s.supervisor_pid} could not be verified as its supervisor on this system (no /proc), so it was not signalled`
        : check === 'other'
          ? `pid ${s.supervisor_pid} is no longer its supervisor and was not signalled`
          : 'the supervisor was not running';
    const rt = await ctx.openRuntime(s.id);
    await endSession(rt, 'stopped', `stopped by \`crewmux stop\` (${why})`);
    await rt.tmux.killSession(s.tmux_session);
  }
  return { session: ctx.store().getSession(s.id)!, alreadyEnded: false };
}

/**
 * The repo config a resumed session runs with: the stored snapshot while the checkout's config is unchanged;
 * a changed one (or a session without a snapshot) needs trust again (`consent`), then replaces the snapshot.
 */
async function refreshRepoConfig(ctx: AppServices, s: SessionRow, consent: Omit<Consent, 'now'>): Promise<void> {
  const current = readRepoConfig(s.repo_root);
  if (loadSessionRepoConfig(s.session_dir)?.hash === current.hash) return;
  await requireRepoTrust(ctx.paths.configDir, current, parseRepoConfig(current), {
    ...consent,
    now: new Date(ctx.now()).toISOString(),
  });
  saveSessionRepoConfig(s.session_dir, current);
}

/**
 * Starts a new supervisor for `sid` in resume mode; resolves once it reports the session running. Repo config
 * changed since the session started needs trust again (`consent`; E_REPO_CONFIG_UNTRUSTED otherwise). `budget`
 * raises the goal budgets first; a session still at a goal budget is refused (E_BUDGET_EXCEEDED).
 */
export async function resumeRun(
  ctx: AppServices,
  sid?: string,
  consent: Omit<Consent, 'now'> = {},
  budget: { usd?: number; tokens?: number } = {},
): Promise<SessionRow> {
  let s = findSession(ctx.store(), sid);
  if (supervisorAlive(s))
    throw new UserError(
      'E_SESSION_LIVE',
      `Session ${s.id} is running with a live supervisor.`,
      `Attach to it: \`crewmux attach ${s.id}\`.`,
    );
  if (!canResume(s))
    throw new UserError('E_SESSION_ENDED', `Session ${s.id} ended (${s.status}); a finished goal cannot be resumed.`);
  s = resumeBudget(ctx.store(), s, budget);
  await refreshRepoConfig(ctx, s, consent);
  const tmux = ctx.tmuxFor(s.tmux_socket);
  const log = join(s.session_dir, 'supervisor.log');
  appendText(log, ''); // 0600 before the shell redirect, which would use the tmux server's umask
  const live = await tmux.hasSession(s.tmux_session);
  const args = [process.execPath, ctx.crewmuxBin, 'supervise', s.id, '--resume', ...(live ? [] : ['--fresh-tmux'])];
  const pane = withEnvFile(
    {
      cwd: s.integration_worktree,
      command: `${shellJoin(args)} >> ${shellJoin([log])} 2>&1 < /dev/null`,
      env: supervisorEnv(ctx),
    },
    join(s.session_dir, 'supervisor.env'),
  );
  ctx.store().updateSession(s.id, { status: 'starting', supervisor_pid: null });
  ctx
    .store()
    .addEvent(
      s.id,
      null,
      'session.resuming',
      `resuming session ${s.id}${live ? ' in its live tmux session' : ' in a new tmux session'}`,
    );
  if (live) await tmux.newWindow(s.tmux_session, SUPERVISOR_WINDOW, pane);
  else await createSessionWindows(tmux, s.tmux_session, s.integration_worktree, leadScriptPath(s.session_dir), pane);
  const settled = (row: SessionRow) =>
    (row.status === 'running' && supervisorAlive(row)) || TERMINAL_SESSION_STATUSES.includes(row.status);
  const now =
    (await waitUntil(
      () => {
        const row = ctx.store().getSession(s.id)!;
        return settled(row) ? row : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, clock: ctx.clock },
    )) ?? ctx.store().getSession(s.id)!;
  if (now.status === 'running' && supervisorAlive(now)) return now;
  const why = readIfExists(log)?.trim().split('\n').slice(-3).join(' | ') || now.outcome_reason || 'no output';
  throw new UserError(
    'E_START_FAILED',
    `Session ${s.id} could not be resumed: ${why}`,
    `The session is kept; read ${log}, then see \`crewmux status ${s.id}\`.`,
  );
}
