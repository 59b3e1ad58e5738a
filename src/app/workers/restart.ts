/**
 * restart_worker: relaunches a worker whose agent is gone (crashed, killed, timed out, lost in a
 * restart) on its own worktree and branch, with its task and its previous summary. Same id and branch;
 * a new turn nonce.
 */
import { ToolError } from '../../core/errors.js';
import { readIfExists, removeFile, writeFileAtomic } from '../../adapters/files.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { launchWorkerAgent, newNonce } from './spawn.js';
import { changeWorkerState } from './state-change.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';
import { exitStatusFile } from './panes.js';

/**
 * restart_worker: relaunches a crashed, killed or timed-out worker on its own worktree with its prompt, a fresh
 * nonce and a note of the previous attempt; ToolError for any other state, or when the launch fails (the worker is
 * then crashed again).
 */
export async function restartWorker(rt: Runtime, workerId: string): Promise<WorkerRow> {
  const w = getWorkerOrFail(rt, workerId);
  if (!['crashed', 'killed', 'timeout'].includes(w.state)) {
    throw new ToolError(
      `Error: worker ${workerId} is ${w.state}; only a crashed, killed or timed-out worker can be restarted.`,
    );
  }
  const panes = await rt.tmux.listPanes(rt.tmuxSession);
  const old = panes.find((p) => p.paneId === w.pane_id);
  if (old) await rt.tmux.killPane(old.paneId);
  const nonce = newNonce();
  const previous = readIfExists(w.prompt_file) ?? '';
  // The prompt keeps the task; the old nonce is replaced and the previous attempt is told.
  const prompt =
    previous.replaceAll(w.nonce, nonce) +
    `\n## Previous attempt\nThis worker was restarted on its own worktree (${w.worktree}) after it ended as ${w.state}${w.summary ? `: ${w.summary}` : ''}. Its committed work is on ${w.branch}; continue from there.\n`;
  writeFileAtomic(w.prompt_file, prompt);
  removeFile(w.done_file);
  removeFile(exitStatusFile(w.log_file));
  rt.store.updateWorker(rt.sid, w.id, { nonce, pane_id: null, exit_info: null });
  const running = changeWorkerState(rt, w, 'running', 'restarted on its worktree', { finished_at: null });
  try {
    await launchWorkerAgent(rt, rt.store.getWorker(rt.sid, w.id)!);
  } catch (e) {
    changeWorkerState(rt, rt.store.getWorker(rt.sid, w.id)!, 'crashed', `restart failed: ${(e as Error).message}`);
    throw new ToolError(`Error: worker ${workerId} could not be restarted: ${(e as Error).message}.`);
  }
  return running ?? rt.store.getWorker(rt.sid, w.id)!;
}
