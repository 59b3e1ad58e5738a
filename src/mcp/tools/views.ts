/**
 * How workers are shown to agents: compact JSON-able views of worker rows. Text a worker wrote (its
 * summary, its progress notes) is fenced as data (src/core/text/data-fence.ts).
 */
import type { WorkerRow } from '../../core/session/rows.js';
import type { Fence } from '../../core/text/data-fence.js';

/** The description of a `worker_id` parameter. */
export const W_ID = 'A worker id such as w01 (spawn_worker returns it; list_workers lists them).';

export function workerView(w: WorkerRow, fence: Fence) {
  return {
    id: w.id,
    agent: w.agent,
    perspective: w.perspective,
    state: w.state,
    branch: w.branch,
    worktree: w.worktree,
    pane: w.pane_id,
    summary: w.summary === null ? null : fence(`worker ${w.id} summary`, w.summary),
    notes: w.notes.slice(-5).map((n) => fence(`worker ${w.id} progress note`, n)),
    conflicts: { integration: w.radar.integration, workers: w.radar.workers },
  };
}

/** What the lead can do with a worker lost with its node (crewmux's words, outside any fence). */
export function lostAdvice(w: WorkerRow): string {
  return `${w.id} is lost: its node stopped answering for longer than nodes.lostAfter, and it will not be revived even if the node comes back. The commits last fetched from the node are on its branch ${w.branch}: merge_worker them if they are enough, or discard_worker ${w.id} and spawn_worker a new worker with its task.`;
}

/** A finished worker for wait_for_worker: its state and its summary (fenced), with crewmux's advice when lost. */
export function finishedLine(w: WorkerRow, fence: Fence): string {
  const line = w.summary
    ? `${w.id} is ${w.state}:\n${fence(`worker ${w.id} summary`, w.summary)}`
    : `${w.id} is ${w.state}: (no summary)`;
  return w.state === 'lost' ? `${line}\n${lostAdvice(w)}` : line;
}
