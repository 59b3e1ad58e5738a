/**
 * cross_review: a read-only reviewer worker on another worker's change, preferring an agent of a
 * different family than the author's. The reviewer starts from the author's branch, gets the diff and the author's
 * pass_criteria in its task, and answers with a structured verdict (submit_verdict) that cross_review waits for.
 */
import { isFinished } from '../../core/workers/state.js';
import { ToolError } from '../../core/errors.js';
import { workerDiff } from '../integration/merge.js';
import { spawnWorker, type PromptExtras, type SpawnResult } from './spawn.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';
import { requestReview, verdictInstructions, watchReview } from '../review/verdicts.js';
import type { Criterion } from '../../core/review/verdict.js';

/** The reviewer agent: `requested`, else an installed session agent of another family, else the author's. */
export function chooseReviewer(rt: Runtime, authorAgent: string, requested?: string): string {
  if (requested) return requested;
  const family = rt.agents.get(authorAgent)?.profile.family;
  const installed = rt.options.agents.filter((n) => rt.agents.get(n)?.binary);
  return installed.find((n) => rt.agents.get(n)!.profile.family !== family) ?? installed[0] ?? authorAgent;
}

/** The pass_criteria worker `workerId` was given, as the criteria its reviewer judges. */
export function criteriaOf(rt: Runtime, workerId: string): Criterion[] {
  const mine = rt.store
    .review()
    .workerCriteria(rt.sid)
    .find((c) => c.worker === workerId);
  return (mine?.criteria ?? []).map((c) => ({ id: c.id, text: c.text }));
}

/**
 * cross_review: spawns a read-only reviewer (`reviewerAgent`, else another agent family when one is installed) on
 * finished worker `workerId`'s branch with its diff and `focus`; ToolError when the author is not finished or has
 * no changes, or the spawn is refused. A review of `workerId` still waiting for its verdict is joined instead
 * (`joined`); `review` is the id to wait on (watchReview).
 */
export async function crossReview(
  rt: Runtime,
  workerId: string,
  reviewerAgent?: string,
  focus?: string,
  extras?: PromptExtras,
): Promise<SpawnResult & { review: number; joined: boolean }> {
  const author = getWorkerOrFail(rt, workerId);
  const open = rt.store
    .review()
    .listReviews(rt.sid)
    .find((r) => r.subject === workerId && r.round === 0 && r.status === 'pending');
  if (open) {
    void watchReview(rt, open.id);
    return { worker: getWorkerOrFail(rt, open.reviewer), included: [], review: open.id, joined: true };
  }
  if (!isFinished(author.state) && author.state !== 'merged') {
    throw new ToolError(
      `Error: worker ${workerId} is ${author.state}; review it once it has finished (wait_for_worker first).`,
    );
  }
  // Against its own start: a merged worker's change is still its change.
  const diff = await workerDiff(rt, workerId, 'base');
  if (!diff.patch.trim()) throw new ToolError(`Error: worker ${workerId} has no changes to review.`);
  const agent = chooseReviewer(rt, author.agent, reviewerAgent);
  const criteria = criteriaOf(rt, workerId);
  const task = [
    `Review the change of worker ${author.id} (${author.agent}, ${author.perspective}) on branch ${author.branch}; your worktree is at that branch.`,
    `Its task was:\n${author.task.slice(0, 4000)}`,
    focus ? `Focus on: ${focus}` : 'Look for bugs, missing tests, and anything that breaks the task.',
    verdictInstructions(criteria),
    'Do not edit files.',
    `Diff stat:\n${diff.stat}`,
    `Patch${diff.truncated ? ' (cut; read the files for the rest)' : ''}:\n${diff.patch}`,
  ].join('\n\n');
  let review = 0;
  const r = await spawnWorker(
    rt,
    {
      task,
      perspective: 'reviewer',
      agent,
      startPoint: author.branch,
      beforeLaunch: (w) => (review = requestReview(rt, w.id, author.id, 0, criteria)),
    },
    extras,
  ).catch((e: unknown) => {
    // A reviewer that never started gives no verdict; a later cross_review must not join it.
    if (review) rt.store.review().updateReview(review, { status: 'missing' });
    throw e;
  });
  rt.events.emit('worker.review', `${r.worker.id} (${agent}) reviews ${author.id}`, r.worker.id, { author: author.id });
  void watchReview(rt, review);
  return { ...r, review, joined: false };
}
