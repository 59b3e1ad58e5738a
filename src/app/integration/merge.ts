/**
 * Bringing workers' work together: a worker's diff, merging its branch into
 * the integration branch with a real merge commit (a conflict leaves the branch exactly as it was),
 * and discarding a worker the lead does not want.
 */
import { isFinished } from '../../core/workers/state.js';
import { ToolError } from '../../core/errors.js';
import { changeWorkerState } from '../workers/state-change.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** Diff output above this many characters is cut, with a note. */
export const MAX_DIFF_CHARS = 60_000;

/** The worker's diff against the integration branch (default), or against the commit it started from. */
export async function workerDiff(
  rt: Runtime,
  workerId: string,
  against: 'integration' | 'base' = 'integration',
): Promise<{ stat: string; patch: string; truncated: boolean }> {
  const w = getWorkerOrFail(rt, workerId);
  const d = await rt.git.diff(rt.repoRoot, against === 'base' ? w.base_commit : rt.integrationBranch, w.branch);
  const truncated = d.patch.length > MAX_DIFF_CHARS;
  return { stat: d.stat, patch: truncated ? d.patch.slice(0, MAX_DIFF_CHARS) : d.patch, truncated };
}

/** A merge's outcome for the lead: merged, conflicting files, or a failure that is not a conflict (git's message). */
export type MergeOutcome =
  { merged: true; commit: string } | { merged: false; conflicts: string[] } | { merged: false; failed: string };

/**
 * merge_worker: merges finished worker `workerId`'s branch into the integration branch with a merge commit and
 * marks it merged; a conflict leaves the branch as it was and returns the files, and a failure that is not a conflict returns git's message; ToolError when the worker is
 * unknown, not finished, already merged or discarded, or has no new commits.
 */
export async function mergeWorker(rt: Runtime, workerId: string): Promise<MergeOutcome> {
  const w = getWorkerOrFail(rt, workerId);
  if (w.state === 'merged')
    throw new ToolError(`Error: worker ${workerId} is already merged into ${rt.integrationBranch}. Nothing to do.`);
  if (w.state === 'discarded')
    throw new ToolError(
      `Error: worker ${workerId} was discarded; its branch ${w.branch} is kept but will not be merged.`,
    );
  if (!isFinished(w.state))
    throw new ToolError(
      `Error: worker ${workerId} is ${w.state}; merge it only after it finishes. Call wait_for_worker first.`,
    );
  const ahead = await rt.git.commitsAhead(rt.repoRoot, rt.integrationBranch, w.branch);
  if (ahead === 0)
    throw new ToolError(
      `Error: worker ${workerId} has no commits that are not already on ${rt.integrationBranch}. Call discard_worker if you do not need it.`,
    );
  const r = await rt.git.merge(
    rt.integrationWorktree,
    w.branch,
    `crewmux: merge ${w.id} (${w.perspective}, ${w.agent})\n\n${(w.summary ?? '').slice(0, 2000)}`,
  );
  if (!r.ok && r.kind === 'failed') {
    rt.events.emit('worker.merge_failed', `merging ${w.id} into ${rt.integrationBranch} failed: ${r.detail}`, w.id, {
      detail: r.detail,
    });
    return { merged: false, failed: r.detail };
  }
  if (!r.ok) {
    rt.events.emit(
      'worker.merge_conflict',
      `${w.id} conflicts with ${rt.integrationBranch} on ${r.conflicts.join(', ')}`,
      w.id,
      { conflicts: r.conflicts },
    );
    return { merged: false, conflicts: r.conflicts };
  }
  changeWorkerState(
    rt,
    w,
    'merged',
    `merged into ${rt.integrationBranch} as ${r.commit.slice(0, 10)}`,
    {},
    { commit: r.commit },
  );
  // The integration head moved: the ready worktrees follow it, so the next worker sees this merge.
  rt.pool?.moved();
  return { merged: true, commit: r.commit };
}

/**
 * discard_worker: marks finished worker `workerId` discarded with `reason` (its branch is kept and never merged);
 * ToolError when the worker is unknown or still active.
 */
export function discardWorker(rt: Runtime, workerId: string, reason: string): void {
  const w = getWorkerOrFail(rt, workerId);
  if (!isFinished(w.state)) {
    throw new ToolError(
      `Error: worker ${workerId} is ${w.state}; only a finished worker can be discarded. Wait for it or kill_worker first.`,
    );
  }
  changeWorkerState(rt, w, 'discarded', reason || 'discarded by the lead', {}, { reason });
}
