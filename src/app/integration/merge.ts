/**
 * Bringing workers' work together: a worker's diff, merging its branch into
 * the integration branch with a real merge commit (a conflict leaves the branch exactly as it was),
 * and discarding a worker the lead does not want. A read-only perspective's commits are never merged.
 */
import { isActive, isFinished } from '../../core/workers/state.js';
import { snapshotExcludes } from '../workers/turns.js';
import { perspectiveInfo, type Perspective } from '../../core/workers/perspectives.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { ToolError } from '../../core/errors.js';
import { changeWorkerState } from '../workers/state-change.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** Diff output above this many characters is cut, with a note. */
export const MAX_DIFF_CHARS = 60_000;

export interface WorkerDiff {
  /** The worker's branch against the integration branch (or its base). */
  stat: string;
  patch: string;
  /** Of a running worker: what its worktree holds beyond its last commit, untracked files included. */
  uncommitted?: { stat: string; patch: string };
  /** The patches were cut at MAX_DIFF_CHARS together. */
  truncated: boolean;
}

/**
 * The worker's committed diff against the integration branch (default), or against the commit it started from; for
 * a worker still running, also its uncommitted changes (tracked and untracked, without crewmux's own files).
 */
export async function workerDiff(
  rt: Runtime,
  workerId: string,
  against: 'integration' | 'base' = 'integration',
): Promise<WorkerDiff> {
  const w = getWorkerOrFail(rt, workerId);
  const d = await rt.git.diff(rt.repoRoot, against === 'base' ? w.base_commit : rt.integrationBranch, w.branch);
  const u = isActive(w.state) ? await rt.git.uncommittedDiff(w.worktree, snapshotExcludes(rt, w)) : undefined;
  const truncated = d.patch.length + (u?.patch.length ?? 0) > MAX_DIFF_CHARS;
  const patch = d.patch.slice(0, MAX_DIFF_CHARS);
  return {
    stat: d.stat,
    patch,
    ...(u && (u.stat || u.patch)
      ? { uncommitted: { stat: u.stat, patch: u.patch.slice(0, MAX_DIFF_CHARS - patch.length) } }
      : {}),
    truncated,
  };
}

/**
 * Commits a read-only perspective's worker `w` (reviewer, researcher, ...) has on its branch beyond its base: work
 * crewmux will not merge. 0 for a perspective that may change code, or when git cannot count.
 */
export async function readOnlyCommits(rt: Runtime, w: WorkerRow): Promise<number> {
  if (!perspectiveInfo(w.perspective as Perspective).readOnly) return 0;
  return rt.git.commitsAhead(rt.repoRoot, w.base_commit, w.branch).catch(() => 0);
}

/** What the lead is told about read-only worker `w`'s `commits` (its branch is never merged). */
export function readOnlyCommitsNote(w: WorkerRow, commits: number): string {
  return `${w.id} is a read-only ${w.perspective}: its ${commits} commit(s) on ${w.branch} will not be merged (read-only perspectives report, they do not change code). Its findings are in its summary; to apply one, spawn an implementer with it.`;
}

/** A merge's outcome for the lead: merged, conflicting files, or a failure that is not a conflict (git's message). */
export type MergeOutcome =
  { merged: true; commit: string } | { merged: false; conflicts: string[] } | { merged: false; failed: string };

/**
 * The refusals of merge_worker, before anything is merged or held: ToolError when worker `w` is already merged or
 * discarded, not finished, unverified, read-only with commits, or has no new commits.
 */
export async function assertMergeable(rt: Runtime, w: WorkerRow): Promise<void> {
  if (w.state === 'merged')
    throw new ToolError(`Error: worker ${w.id} is already merged into ${rt.integrationBranch}. Nothing to do.`);
  if (w.state === 'discarded')
    throw new ToolError(`Error: worker ${w.id} was discarded; its branch ${w.branch} is kept but will not be merged.`);
  if (!isFinished(w.state))
    throw new ToolError(
      `Error: worker ${w.id} is ${w.state}; merge it only after it finishes. Call wait_for_worker first.`,
    );
  if (w.state === 'unverified')
    throw new ToolError(
      `Error: worker ${w.id} is unverified: it said done, but crewmux's check failed (its summary says what). Call send_to_worker "${w.id}" to have it fix that (its next done is checked again), or discard_worker.`,
    );
  const readOnly = await readOnlyCommits(rt, w);
  if (readOnly > 0) throw new ToolError(`Error: ${readOnlyCommitsNote(w, readOnly)} Call discard_worker to close it.`);
  const ahead = await rt.git.commitsAhead(rt.repoRoot, rt.integrationBranch, w.branch);
  if (ahead === 0)
    throw new ToolError(
      `Error: worker ${w.id} has no commits that are not already on ${rt.integrationBranch}. Call discard_worker if you do not need it.`,
    );
}

/**
 * merge_worker: merges finished worker `workerId`'s branch into the integration branch with a merge commit and
 * marks it merged; a conflict leaves the branch as it was and returns the files, and a failure that is not a conflict returns git's message; ToolError when the worker is
 * unknown, not finished, already merged or discarded, read-only (reviewer, researcher, ...) with commits, or has no
 * new commits.
 */
export async function mergeWorker(rt: Runtime, workerId: string): Promise<MergeOutcome> {
  const w = getWorkerOrFail(rt, workerId);
  await assertMergeable(rt, w);
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
