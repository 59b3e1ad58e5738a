/**
 * restart_worker: relaunches a worker whose agent is gone (crashed, killed, timed out, lost in a
 * restart) on its own worktree and branch, with its task and its previous summary. Same id and branch;
 * a new turn nonce. On resume, `relaunchLiveWorker` does the same for a worker whose agent is still
 * running with a token that was just rotated away.
 */
import { ToolError } from '../../core/errors.js';
import { readIfExists, removeFile, writeFileAtomic } from '../../adapters/system/files.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { launchWorkerAgent, newNonce } from './spawn.js';
import { changeWorkerState } from './state-change.js';
import { snapshotWorker, turnMessageFile } from './turns.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';
import { exitStatusFile } from './panes.js';
import { assertWithinBudget } from '../usage/budget.js';

/**
 * Rewrites `w`'s prompt for a new attempt (a fresh nonce, `note` appended, then the messages of its last turn when
 * one came by send_to_worker, which the new agent would not see otherwise) and clears its turn files and pane.
 */
export function prepareNewAttempt(rt: Runtime, w: WorkerRow, note: string): void {
  const nonce = newNonce();
  const previous = readIfExists(w.prompt_file) ?? '';
  const messages = readIfExists(turnMessageFile(w))?.trim();
  const turn = messages
    ? `\n## The messages of your last turn\nAfter the task above you were sent these messages; where they differ from the task, they win:\n\n${messages}\n`
    : '';
  // The prompt keeps the task; the old nonce is replaced and the previous attempt is told.
  writeFileAtomic(w.prompt_file, previous.replaceAll(w.nonce, nonce) + `\n## Previous attempt\n${note}\n${turn}`);
  // Told once: a later attempt finds them in the prompt.
  removeFile(turnMessageFile(w));
  removeFile(w.done_file);
  removeFile(exitStatusFile(w.log_file));
  rt.store.updateWorker(rt.sid, w.id, { nonce, pane_id: null, exit_info: null });
}

/**
 * restart_worker: relaunches a crashed, killed, timed-out or budget_exceeded worker on its own worktree with its
 * prompt, a fresh nonce and a note of the previous attempt; ToolError for any other state, over a budget (raise it
 * first: `crewmux resume --budget-*`), or when the launch fails (the worker is then crashed again).
 */
export async function restartWorker(rt: Runtime, workerId: string): Promise<WorkerRow> {
  const w = getWorkerOrFail(rt, workerId);
  if (!['crashed', 'killed', 'timeout', 'budget_exceeded'].includes(w.state)) {
    throw new ToolError(
      `Error: worker ${workerId} is ${w.state}; only a crashed, killed, timed-out or budget_exceeded worker can be restarted.`,
    );
  }
  assertWithinBudget(rt, workerId);
  const panes = await rt.tmux.listPanes(rt.tmuxSession);
  const old = panes.find((p) => p.paneId === w.pane_id);
  if (old) await rt.tmux.killPane(old.paneId);
  prepareNewAttempt(
    rt,
    w,
    `This worker was restarted on its own worktree (${w.worktree}) after it ended as ${w.state}${w.summary ? `: ${w.summary}` : ''}. Its committed work is on ${w.branch}; continue from there.`,
  );
  const running = changeWorkerState(rt, w, 'running', 'restarted on its worktree', { finished_at: null });
  try {
    await launchWorkerAgent(rt, rt.store.getWorker(rt.sid, w.id)!);
  } catch (e) {
    changeWorkerState(rt, rt.store.getWorker(rt.sid, w.id)!, 'crashed', `restart failed: ${(e as Error).message}`);
    throw new ToolError(`Error: worker ${workerId} could not be restarted: ${(e as Error).message}.`);
  }
  return running ?? rt.store.getWorker(rt.sid, w.id)!;
}

/**
 * Relaunches active worker `workerId` whose agent still runs in pane `panePid`'s tree but holds a token that is no
 * longer valid (`why` says so): its leftover work is snapshot-committed, its process tree stopped (TERM, then
 * KILL) and its pane closed, and its agent started again on its worktree with the worker's current token and a
 * note. The state stays active; a failed launch makes the worker `crashed` (restart_worker can retry) and rejects.
 */
export async function relaunchLiveWorker(
  rt: Runtime,
  workerId: string,
  panePid: number,
  why: string,
): Promise<WorkerRow> {
  const w = getWorkerOrFail(rt, workerId);
  rt.stopping.add(w.id);
  try {
    await snapshotWorker(rt, w, why);
    await rt.runner.killTree(panePid);
    if (w.pane_id) await rt.tmux.killPane(w.pane_id).catch(() => undefined);
  } finally {
    rt.stopping.delete(w.id);
  }
  prepareNewAttempt(
    rt,
    w,
    `This worker was restarted on its own worktree (${w.worktree}) because ${why}. Its work so far is committed on ${w.branch}; continue the task from there.`,
  );
  try {
    await launchWorkerAgent(rt, rt.store.getWorker(rt.sid, w.id)!);
  } catch (e) {
    changeWorkerState(rt, rt.store.getWorker(rt.sid, w.id)!, 'crashed', `relaunch failed: ${(e as Error).message}`);
    throw e;
  }
  rt.events.emit('worker.running', `${w.id} relaunched on its worktree (${why})`, w.id);
  return rt.store.getWorker(rt.sid, w.id)!;
}
