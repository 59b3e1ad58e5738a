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

export function finishedLine(w: WorkerRow, fence: Fence): string {
  return w.summary
    ? `${w.id} is ${w.state}:\n${fence(`worker ${w.id} summary`, w.summary)}`
    : `${w.id} is ${w.state}: (no summary)`;
}
