/**
 * cross_review: a read-only reviewer worker on another worker's change, preferring an agent of a
 * different family than the author's. The reviewer starts from the author's branch, gets the diff in
 * its task, and its findings come back as its worker_done summary.
 */
import { isFinished } from '../../core/workers/state.js';
import { ToolError } from '../../core/errors.js';
import { workerDiff } from '../integration/merge.js';
import { spawnWorker, type PromptExtras, type SpawnResult } from './spawn.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** The reviewer agent: `requested`, else an installed session agent of another family, else the author's. */
export function chooseReviewer(rt: Runtime, authorAgent: string, requested?: string): string {
  if (requested) return requested;
  const family = rt.agents.get(authorAgent)?.profile.family;
  const installed = rt.options.agents.filter((n) => rt.agents.get(n)?.binary);
  return installed.find((n) => rt.agents.get(n)!.profile.family !== family) ?? installed[0] ?? authorAgent;
}

/**
 * cross_review: spawns a read-only reviewer (`reviewerAgent`, else another agent family when one is installed) on
 * finished worker `workerId`'s branch with its diff and `focus`; ToolError when the author is not finished or has
 * no changes, or the spawn is refused.
 */
export async function crossReview(
  rt: Runtime,
  workerId: string,
  reviewerAgent?: string,
  focus?: string,
  extras?: PromptExtras,
): Promise<SpawnResult> {
  const author = getWorkerOrFail(rt, workerId);
  if (!isFinished(author.state) && author.state !== 'merged') {
    throw new ToolError(
      `Error: worker ${workerId} is ${author.state}; review it once it has finished (wait_for_worker first).`,
    );
  }
  // Against its own start: a merged worker's change is still its change.
  const diff = await workerDiff(rt, workerId, 'base');
  if (!diff.patch.trim()) throw new ToolError(`Error: worker ${workerId} has no changes to review.`);
  const agent = chooseReviewer(rt, author.agent, reviewerAgent);
  const task = [
    `Review the change of worker ${author.id} (${author.agent}, ${author.perspective}) on branch ${author.branch}; your worktree is at that branch.`,
    `Its task was:\n${author.task.slice(0, 4000)}`,
    focus ? `Focus on: ${focus}` : 'Look for bugs, missing tests, and anything that breaks the task.',
    'Report each finding with file and line in your worker_done summary; say "no findings" if there are none. Do not edit files.',
    `Diff stat:\n${diff.stat}`,
    `Patch${diff.truncated ? ' (cut; read the files for the rest)' : ''}:\n${diff.patch}`,
  ].join('\n\n');
  const r = await spawnWorker(rt, { task, perspective: 'reviewer', agent, startPoint: author.branch }, extras);
  rt.events.emit('worker.review', `${r.worker.id} (${agent}) reviews ${author.id}`, r.worker.id, { author: author.id });
  return r;
}
