/**
 * A worker's turns: finishing one (worker_done, done.flag or sentinel line, all ending here), starting
 * the next with a message (send_to_worker), and stopping the worker (kill_worker, timeouts). Work left
 * uncommitted is always snapshot-committed first, so nothing is lost.
 */
import { tailLines, stripAnsi } from '../../core/text/ansi.js';
import { followUpTurn } from '../../core/workers/prompts.js';
import { perspectiveInfo, type Perspective } from '../../core/workers/perspectives.js';
import { CANNOT_WORK_STATES, isActive, isFinished, type WorkerState } from '../../core/workers/state.js';
import type { Completion } from '../../core/workers/completion.js';
import { ToolError } from '../../core/errors.js';
import { fileSize, readFrom, readIfExists, removeFile, writeFileAtomic } from '../../adapters/system/files.js';
import { dirname, join } from 'node:path';
import type { WorkerRow } from '../../core/session/rows.js';
import { deliverySignals } from './signals.js';
import { nodeRuntimeOf, runtimeOf } from './worker-runtimes.js';
import { fetchNodeWorker } from '../nodes/node-workers.js';
import { addWorkerNote, changeWorkerState } from './state-change.js';
import { getWorkerOrFail, workerDir, type Runtime } from '../runtime.js';
import { MAX_TASK_BYTES, newNonce } from './spawn.js';
import { assertWithinBudget } from '../usage/budget.js';
import { checkDoneClaim } from '../review/check-claim.js';

export type CompletionSource = 'mcp' | 'flag' | 'line';

/** Paths the snapshot never commits (crewmux's own signalling files). */
const SNAPSHOT_EXCLUDE = ['.crewmux/done.flag'];

/** What the snapshot of `w` leaves out: crewmux's signalling files and its agent's token-bearing project config. */
export function snapshotExcludes(rt: Runtime, w: WorkerRow): string[] {
  return [...SNAPSHOT_EXCLUDE, ...(rt.agents.get(w.agent)?.profile.projectConfig ?? [])];
}

/**
 * Commits leftover work on the worker's branch; returns the commit or undefined. Never throws. A node worker's is
 * committed on its node and its branch fetched back here (app/nodes/node-workers.ts).
 */
export async function snapshotWorker(rt: Runtime, w: WorkerRow, why: string): Promise<string | undefined> {
  const node = nodeRuntimeOf(rt, w);
  if (node) return fetchNodeWorker(rt, w, node, why, snapshotExcludes(rt, w));
  try {
    const sha = await rt.git.snapshotCommit(
      w.worktree,
      `crewmux: snapshot of ${w.id} leftover work (${why})`,
      snapshotExcludes(rt, w),
    );
    if (sha)
      rt.events.emit('worker.snapshot', `${w.id}: committed leftover work as ${sha.slice(0, 10)}`, w.id, {
        commit: sha,
      });
    return sha;
  } catch (e) {
    rt.events.emit('worker.snapshot_failed', `${w.id}: snapshot commit failed: ${(e as Error).message}`, w.id);
    return undefined;
  }
}

/**
 * Ends the current turn of `workerId` with `c`. From MCP, a worker that is not running is a ToolError;
 * from a flag or line, it is ignored (the turn already ended another way).
 */
export async function completeTurn(
  rt: Runtime,
  workerId: string,
  c: Completion,
  source: CompletionSource,
): Promise<WorkerRow | undefined> {
  const pending = rt.completing.get(workerId);
  if (pending) {
    await pending;
    if (source === 'mcp')
      throw new ToolError(`Error: this turn of ${workerId} has already ended. Nothing more to do; stop here.`);
    return undefined;
  }
  const w = getWorkerOrFail(rt, workerId);
  if (!isActive(w.state)) {
    if (source === 'mcp')
      throw new ToolError(`Error: worker ${workerId} is ${w.state}, not running; its turn has already ended.`);
    return undefined;
  }
  const job = (async () => {
    const sha = await snapshotWorker(rt, w, `turn ended: ${c.status}`);
    if (perspectiveInfo(w.perspective as Perspective).readOnly) {
      const ahead = await rt.git.commitsAhead(rt.repoRoot, w.base_commit, w.branch).catch(() => 0);
      if (ahead > 0)
        addWorkerNote(
          rt,
          w,
          'worker.flagged',
          `read-only ${w.perspective} worker has ${ahead} commit(s) on ${w.branch}; they will not be merged`,
        );
    }
    // Evidence, not claims: a done that does not hold is unverified, with what failed.
    const check = await checkDoneClaim(rt, w, c, source, snapshotExcludes(rt, w));
    if (check.problems.length) {
      const why = check.problems.join('; ');
      return changeWorkerState(
        rt,
        w,
        'unverified',
        `claimed done, but ${why} [via ${source}]`,
        { summary: `${c.summary || '(no summary)'}\n\nUNVERIFIED by crewmux: ${why}` },
        { source, snapshot: sha ?? null, problems: check.problems, commands: check.commands },
      );
    }
    return changeWorkerState(
      rt,
      w,
      c.status,
      `${c.summary || '(no summary)'} [via ${source}]`,
      { summary: c.summary },
      { source, snapshot: sha ?? null, ...(check.commands.length ? { commands: check.commands } : {}) },
    );
  })();
  rt.completing.set(workerId, job);
  try {
    return await job;
  } finally {
    rt.completing.delete(workerId);
  }
}

/** `w`'s agent with its runtime when it is running (a live pane for local workers), else undefined. */
async function liveAgent(rt: Runtime, w: WorkerRow) {
  const on = runtimeOf(rt, w);
  return on && (await on.runtime.isRunning(on.handle)) ? on : undefined;
}

/**
 * send_to_worker: types `message` into the worker's agent; starts a new turn if the last one ended. A delivery
 * from the lead is refused over a goal budget or the worker's own (`fromCrewmux`: crewmux's own notices are not).
 */
export async function sendToWorker(
  rt: Runtime,
  workerId: string,
  message: string,
  opts: { fromCrewmux?: boolean } = {},
): Promise<WorkerRow> {
  const w = getWorkerOrFail(rt, workerId);
  if (!message.trim()) throw new ToolError('Error: the message is empty. Call send_to_worker with some text.');
  if (w.state === 'queued')
    throw new ToolError(
      `Error: worker ${workerId} is queued for memory; its agent has not started, so nothing was sent. It starts with its task when memory frees: wait_for_worker, or kill_worker to drop it.`,
    );
  if (Buffer.byteLength(message) > MAX_TASK_BYTES)
    throw new ToolError(`Error: the message is larger than ${MAX_TASK_BYTES / 1024} KB. Shorten it.`);
  if (!opts.fromCrewmux) assertWithinBudget(rt, workerId);
  if (
    !isActive(w.state) &&
    !(['done', 'unverified', 'blocked', 'failed', 'budget_exceeded', ...CANNOT_WORK_STATES] as WorkerState[]).includes(
      w.state,
    )
  ) {
    throw new ToolError(
      `Error: worker ${workerId} is ${w.state}; it cannot take messages. Spawn a new worker for more work.`,
    );
  }
  const agent = await liveAgent(rt, w);
  if (!agent) {
    throw new ToolError(
      `Error: the agent of worker ${workerId} has exited, so nothing was sent (crewmux never types into a pane without its agent). Spawn a new worker on the same task instead.`,
    );
  }
  let text = message;
  const turnStarts = isFinished(w.state);
  if (turnStarts) {
    const nonce = newNonce();
    removeFile(w.done_file);
    rt.store.updateWorker(rt.sid, w.id, { nonce });
    text = followUpTurn(message, nonce, w.done_file);
    changeWorkerState(rt, w, 'running', 'new turn from send_to_worker');
    rt.hooks.workerStarted(rt.store.getWorker(rt.sid, w.id)!);
  }
  const profile = rt.agents.get(w.agent)?.profile;
  try {
    await agent.runtime.sendText(agent.handle, text, {
      readyMarkers: profile?.markers.ready,
      busyMarkers: profile?.markers.busy,
      signals: deliverySignals(rt, w),
      tmpDir: workerDir(rt, w.id),
      readyTimeoutMs: 10_000,
    });
  } catch (e) {
    throw new ToolError(
      `Error: the message to ${workerId} was pasted but not accepted: ${(e as Error).message}. Check it with read_worker_output.`,
    );
  }
  recordTurnMessage(w, message, turnStarts);
  rt.events.emit('worker.message', `${w.id} received a message (${message.length} chars)`, w.id);
  return rt.store.getWorker(rt.sid, w.id)!;
}

/** The file beside `w`'s prompt holding the messages of its current turn (see recordTurnMessage). */
export function turnMessageFile(w: WorkerRow): string {
  return join(dirname(w.prompt_file), 'turn-messages.md');
}

/**
 * Keeps the messages `w` was sent in its current turn (`newTurn`: this one started it), so a relaunch of its agent
 * (resume, restart_worker) hands them over with its task: a gate reviewer relaunched in round 2 judges round 2.
 */
function recordTurnMessage(w: WorkerRow, message: string, newTurn: boolean): void {
  const file = turnMessageFile(w);
  try {
    const kept = newTurn ? '' : (readIfExists(file)?.trimEnd() ?? '');
    writeFileAtomic(file, `${kept}${kept ? '\n\n' : ''}${message.trim()}\n`);
  } catch {
    // The message was delivered; only a relaunch would miss it.
  }
}

/** Stops a worker's agent: snapshot, then its process tree (TERM, then KILL); state `to`. */
export async function stopWorker(
  rt: Runtime,
  workerId: string,
  to: 'killed' | 'timeout' | 'budget_exceeded',
  reason: string,
): Promise<WorkerRow | undefined> {
  const w = getWorkerOrFail(rt, workerId);
  // Queued for memory: nothing runs yet; stopping it takes it off the queue.
  if (w.state === 'queued')
    return changeWorkerState(rt, w, 'discarded', `removed from the memory queue (${reason})`, {
      summary: `never started: removed from the memory queue (${reason})`,
    });
  const settled = w.state === 'merged' || w.state === 'discarded';
  rt.stopping.add(w.id);
  try {
    // A settled worker's branch is final; only its idle agent is stopped.
    if (!settled) await snapshotWorker(rt, w, reason);
    // Ctrl-C first, then SIGTERM and SIGKILL of the agent's tree (the runtime's stop).
    const on = runtimeOf(rt, w);
    const pane = on ? await on.runtime.stop(on.handle) : false;
    rt.hooks.workerStopped(w.id);
    // A finished worker whose agent idled is stopped too, but keeps its result state.
    const current = rt.store.getWorker(rt.sid, w.id)!;
    if (isActive(current.state)) return changeWorkerState(rt, current, to, reason);
    if (pane) rt.events.emit('worker.stopped', `${w.id}: agent stopped (${reason})`, w.id);
    return current;
  } finally {
    rt.stopping.delete(w.id);
  }
}

/** read_worker_output: the last `tailLines` lines of the worker's pane (its log when the pane is gone). */
export async function readWorkerOutput(rt: Runtime, workerId: string, tail = 60): Promise<string> {
  const w = getWorkerOrFail(rt, workerId);
  // When tmux does not answer, the pane log holds the same output.
  const on = runtimeOf(rt, w);
  const shown = on ? await on.runtime.readOutput(on.handle, tail).catch(() => undefined) : undefined;
  if (shown !== undefined) return shown;
  const size = fileSize(w.log_file);
  const chunk = readFrom(w.log_file, Math.max(0, size - 256 * 1024), 256 * 1024).text;
  return tailLines(stripAnsi(chunk), tail);
}
