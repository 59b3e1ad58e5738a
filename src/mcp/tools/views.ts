/** How workers are shown to agents: compact JSON-able views of worker rows. */
import type { WorkerRow } from '../../core/session/rows.js';

export function workerView(w: WorkerRow) {
  return {
    id: w.id,
    agent: w.agent,
    perspective: w.perspective,
    state: w.state,
    branch: w.branch,
    worktree: w.worktree,
    pane: w.pane_id,
    summary: w.summary,
    notes: w.notes.slice(-5),
    conflicts: { integration: w.radar.integration, workers: w.radar.workers },
  };
}

export function finishedLine(w: WorkerRow): string {
  return `${w.id} is ${w.state}: ${w.summary || '(no summary)'}`;
}
