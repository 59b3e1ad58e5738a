/**
 * `crewmux manual`: a session with one worker and no lead. The supervisor starts the worker on the session's goal
 * (its task, the usual worker prompt and completion protocol) in the session's first pane, where the user attaches
 * and works with it; the monitor watches it like any worker. When its turn ends, the session ends: a `done`
 * worker's branch is merged into the integration branch and the session is `done`; any other end (blocked, failed,
 * crashed, timeout, killed) ends it `failed` with the branch left unmerged; a goal budget used up ends it `budget`
 * (app/usage/budget.ts), the worker stopped at its turn's end, its work committed and not merged. Snapshot, report and episode are the
 * run's (endSession), so `status`, `sessions`, `stop` and `resume` work on it as on a run.
 */
import { isActive, isFinished } from '../../core/workers/state.js';
import { waitUntil } from '../../core/clock.js';
import { ToolError } from '../../core/errors.js';
import { shellQuote } from '../../core/text/shell-quote.js';
import type { PaneInfo } from '../ports/tmux.js';
import type { SessionRow, WorkerRow } from '../../core/session/rows.js';
import { mergeWorker } from '../integration/merge.js';
import { exitStatusFile, FIFO_GATE, LEAD_WINDOW, leadGate, openGate, writeLaunchScript } from '../workers/panes.js';
import { launchWorkerAgent, spawnWorker, type OpenWorkerPane, type PromptExtras } from '../workers/spawn.js';
import { changeWorkerState } from '../workers/state-change.js';
import { prepareNewAttempt } from '../workers/restart.js';
import { snapshotWorker } from '../workers/turns.js';
import type { Monitor } from '../workers/monitor.js';
import { endSession } from './goal.js';
import { goalBudgetOver } from '../usage/budget.js';
import { leadScriptPath } from './lead.js';
import { session, type Runtime } from '../runtime.js';

/** True for a session started by `crewmux manual` (one worker, no lead). */
export function isManualSession(s: SessionRow): boolean {
  return s.options.kind === 'manual';
}

function firstPaneOf(panes: PaneInfo[]): PaneInfo | undefined {
  return panes.filter((p) => p.windowName === LEAD_WINDOW).sort((a, b) => a.paneIndex - b.paneIndex)[0];
}

/**
 * Opens the manual worker in the first pane of the session (the one a run gives its lead): its launch script is
 * written where that pane's gate runs it, with the exit status saved where the monitor reads a worker's, and the gate
 * is opened once the pane's output goes to the worker's log. A dead first pane (a relaunch) is respawned behind a
 * new gate first.
 */
export const openFirstPane: OpenWorkerPane = async (rt, pane, logFile) => {
  const first = firstPaneOf(await rt.tmux.listPanes(rt.tmuxSession));
  if (!first) throw new Error(`the first window of tmux session ${rt.tmuxSession} is gone`);
  const script = leadScriptPath(rt.sessionDir);
  writeLaunchScript(script, pane, exitStatusFile(logFile));
  const gate = leadGate(script);
  if (first.dead) {
    await (rt.paneGate ?? FIFO_GATE).create(gate);
    await rt.tmux.respawnPane(first.paneId, {
      cwd: pane.cwd,
      command: `read _ < ${shellQuote(gate)} && exec /bin/sh ${shellQuote(script)}`,
    });
    // The old agent's output pipe survives respawn-pane and would make openGate's `pipe-pane -o` close it.
    await rt.tmux.pipePane(first.paneId, '');
  }
  await openGate(rt.tmux, first.paneId, gate, logFile, rt.paneGate);
  return { paneId: first.paneId, windowId: first.windowId };
};

/**
 * Starts the manual session's worker: the session's goal as an implementer's task, for the session's one agent, in
 * the first pane (spawnWorker, all-or-nothing before the pane). Throws (a ToolError) when it cannot start.
 */
export async function startManualWorker(rt: Runtime, extras?: PromptExtras): Promise<WorkerRow> {
  const s = session(rt);
  const r = await spawnWorker(rt, { task: s.goal, agent: s.options.agents[0] }, extras, openFirstPane);
  return r.worker;
}

/**
 * Ends the manual session once its worker's turn has ended (a no-op while the session is not running or the worker
 * is still at work): `done` -> its branch merged into the integration branch, session `done`; anything else, or a
 * merge that fails -> session `failed` with the worker's own words, its branch left as it is. Never rejects.
 */
export async function settleManualSession(rt: Runtime): Promise<void> {
  try {
    const s = session(rt);
    // A goal budget used up ends the session itself (`budget`, the work committed on the branch, not merged).
    if (s.status !== 'running' || rt.ending || goalBudgetOver(rt)) return;
    const w = rt.store.listWorkers(rt.sid)[0];
    if (!w || !isFinished(w.state)) return;
    // A turn is over once its completion (snapshot commit included) has settled.
    await rt.completing.get(w.id);
    const now = rt.store.getWorker(rt.sid, w.id)!;
    const said = `${now.id} (${now.agent}) ${now.state}: ${now.summary || '(no summary)'}`;
    if (now.state !== 'done') {
      await endSession(rt, 'failed', `${said}; its work is on ${now.branch}, not merged`);
      return;
    }
    let merged: Awaited<ReturnType<typeof mergeWorker>> | undefined;
    try {
      merged = await mergeWorker(rt, now.id);
    } catch (e) {
      // No commits of its own: done, with nothing to merge.
      if (!(e instanceof ToolError)) throw e;
    }
    if (!merged) await endSession(rt, 'done', `${said}; no changes to merge`);
    else if (merged.merged) await endSession(rt, 'done', `${said}; merged into ${rt.integrationBranch}`);
    else
      await endSession(
        rt,
        'failed',
        `${said}; merging ${now.branch} into ${rt.integrationBranch} failed (${'conflicts' in merged ? `conflicts on ${merged.conflicts.join(', ')}` : merged.failed}); its work is on ${now.branch}`,
      );
  } catch (e) {
    await endSession(rt, 'failed', `the manual session could not be settled: ${(e as Error).message}`);
  }
}

/**
 * Resumes a manual session in a new supervisor (tokens already rotated): a worker whose turn ended while crewmux was
 * down is left for settleManualSession; a worker still at work, or crashed, killed or timed out (a stopped session),
 * is relaunched in the first pane on its worktree with its task and a note (its live agent, holding an old token,
 * is stopped first and its leftover work snapshot-committed); with no worker yet, the worker is started. A launch
 * failure rejects.
 */
export async function resumeManualSession(
  rt: Runtime,
  monitor: Monitor,
  facts: { freshTmux: boolean },
  extras?: PromptExtras,
): Promise<void> {
  const w = rt.store.listWorkers(rt.sid)[0];
  let note = 'nothing changed while down';
  if (!w) {
    await startManualWorker(rt, extras);
    note = 'its worker had not started; started it';
  } else {
    if (isActive(w.state)) {
      monitor.watch(w);
      await monitor.checkNow(w.id);
    }
    const now = rt.store.getWorker(rt.sid, w.id)!;
    if (isActive(now.state) || ['crashed', 'killed', 'timeout'].includes(now.state)) {
      await relaunchManualWorker(rt, now, facts.freshTmux);
      note = `${w.id} was relaunched on its worktree (it was ${now.state})`;
    } else note = `${w.id} ended while crewmux was down (${now.state})`;
  }
  rt.store.updateSession(rt.sid, { status: 'running', ended_at: null, outcome_reason: null, report: null });
  rt.events.emit(
    'session.resumed',
    `manual session resumed${facts.freshTmux ? ' in a new tmux session' : ''}: ${note}`,
  );
}

async function relaunchManualWorker(rt: Runtime, w: WorkerRow, freshTmux: boolean): Promise<void> {
  const why = 'crewmux resumed the session and replaced every MCP token';
  const live = freshTmux
    ? undefined
    : (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === w.pane_id && !p.dead);
  rt.stopping.add(w.id);
  try {
    await snapshotWorker(rt, w, why);
    if (live) {
      await rt.runner.killTree(live.pid);
      // Respawned only once tmux has seen it die (see resumeSession).
      await waitUntil(
        async () => (await rt.tmux.listPanes(rt.tmuxSession)).find((p) => p.paneId === live.paneId)?.dead !== false,
        { timeoutMs: 5_000, intervalMs: 50, clock: rt.clock },
      );
    }
  } finally {
    rt.stopping.delete(w.id);
  }
  prepareNewAttempt(
    rt,
    w,
    `This worker was restarted on its own worktree (${w.worktree}) because ${why}. Its work so far is committed on ${w.branch}; continue the task from there.`,
  );
  if (!isActive(w.state)) changeWorkerState(rt, w, 'running', 'relaunched on resume', { finished_at: null });
  try {
    await launchWorkerAgent(rt, rt.store.getWorker(rt.sid, w.id)!, undefined, openFirstPane);
  } catch (e) {
    changeWorkerState(rt, rt.store.getWorker(rt.sid, w.id)!, 'crashed', `relaunch failed: ${(e as Error).message}`);
    throw e;
  }
}
