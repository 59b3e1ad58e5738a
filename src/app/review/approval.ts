/**
 * Risk-aware merging, the supervisor's side: merge_worker under config `merge` (autoMerge, reviewBeforeMerge) reads
 * the risk of the latest verdict on the worker's change (starting a reviewer first when reviewBeforeMerge asks for
 * one), merges what autoMerge lets through and holds the rest for a person (a merge_approvals row, event
 * merge.awaiting_approval). The person's `crewmux approve` marks the row approved; approvalsPass (the monitor's tick)
 * or the lead's next merge_worker then merges it through mergeWorker, the same path as an unheld merge. A row is
 * about one branch head: a worker that changes its branch afterwards is a new change, decided again.
 */
import { holdReason, mergeDecision, SUPERSEDED_NOTE, type AutoMerge } from '../../core/review/approval.js';
import type { RiskLevel } from '../../core/review/verdict.js';
import type { ApprovalRow, ReviewRow } from '../ports/review.js';
import { assertMergeable, mergeWorker, type MergeOutcome } from '../integration/merge.js';
import { crossReview } from '../workers/review.js';
import type { PromptExtras } from '../workers/spawn.js';
import { awaitReview } from './verdicts.js';
import { getWorkerOrFail, type Runtime } from '../runtime.js';

/** What merge_worker did under config `merge`. */
export type ApprovalMerge =
  | { kind: 'merged'; commit: string; byApproval: boolean }
  | { kind: 'conflicts'; conflicts: string[] }
  | { kind: 'failed'; detail: string }
  | { kind: 'held'; approval: ApprovalRow; fresh: boolean }
  | { kind: 'rejected'; approval: ApprovalRow }
  | { kind: 'reviewing'; reviewer: string; started: boolean };

/** The session's merge settings: config `merge`, defaults autoMerge "all" and no review before merge. */
export function mergeSettings(rt: Runtime): { autoMerge: AutoMerge; reviewBeforeMerge: boolean } {
  return {
    autoMerge: rt.config.merge?.autoMerge ?? 'all',
    reviewBeforeMerge: rt.config.merge?.reviewBeforeMerge ?? false,
  };
}

/**
 * The latest review of worker `workerId`'s change (cross_review or reviewBeforeMerge) that is not older than `after`
 * (an approval row about an earlier branch head): its verdicts are about that head, not this one.
 */
export function latestReviewOf(rt: Runtime, workerId: string, after?: ApprovalRow): ReviewRow | undefined {
  return rt.store
    .review()
    .listReviews(rt.sid)
    .filter((r) => r.subject === workerId && r.round === 0)
    .filter((r) => !after || (r.createdAt >= after.createdAt && r.id > (after.review ?? 0)))
    .at(-1);
}

const inFlight = new WeakMap<Runtime, Map<string, Promise<ApprovalMerge>>>();

/** One merge per worker at a time: the monitor's pass and the lead's merge_worker may reach the same approval. */
function once(rt: Runtime, workerId: string, run: () => Promise<ApprovalMerge>): Promise<ApprovalMerge> {
  const runs = inFlight.get(rt) ?? new Map<string, Promise<ApprovalMerge>>();
  inFlight.set(rt, runs);
  const running = runs.get(workerId);
  if (running) return running;
  const p = run().finally(() => runs.delete(workerId));
  runs.set(workerId, p);
  return p;
}

function outcome(r: MergeOutcome, byApproval: boolean): ApprovalMerge {
  if (r.merged) return { kind: 'merged', commit: r.commit, byApproval };
  return 'failed' in r ? { kind: 'failed', detail: r.failed } : { kind: 'conflicts', conflicts: r.conflicts };
}

/** Merges approved row `a` (its head unchanged) through mergeWorker; a refusal by git is noted on the row. */
async function carryOut(rt: Runtime, a: ApprovalRow): Promise<ApprovalMerge> {
  const m = await mergeWorker(rt, a.worker);
  const r = outcome(m, true);
  const store = rt.store.review();
  if (m.merged) {
    store.decideApproval(a.id, 'approved', 'merged', { commit: m.commit, ts: rt.now() });
    return r;
  }
  const note = 'failed' in m ? m.failed : `conflicts on ${m.conflicts.join(', ')}`;
  if (note !== a.note) {
    store.noteApproval(a.id, note);
    store.setApprovalTold(a.id, false);
    rt.events.emit('merge.approval_failed', `the approved merge of ${a.worker} could not be made: ${note}`, a.worker, {
      approval: a.id,
      note,
    });
  }
  return r;
}

/**
 * merge_worker under config `merge`: with autoMerge "all" and no reviewBeforeMerge, exactly mergeWorker. Else the
 * worker's latest row decides first (merged by approval, still awaiting, rejected, approved: merge now), then the
 * risk of the latest verdict on its change (reviewBeforeMerge: a reviewer is started or joined when there is none,
 * "reviewing" until it answers): a risk autoMerge lets through merges, the rest is held for a person. ToolError for
 * the refusals of mergeWorker.
 */
export async function mergeWithApproval(rt: Runtime, workerId: string, extras?: PromptExtras): Promise<ApprovalMerge> {
  return once(rt, workerId, () => decideAndMerge(rt, workerId, extras));
}

async function decideAndMerge(rt: Runtime, workerId: string, extras?: PromptExtras): Promise<ApprovalMerge> {
  const w = getWorkerOrFail(rt, workerId);
  const store = rt.store.review();
  let last = store.latestApproval(rt.sid, w.id);
  if (last?.status === 'merged') {
    store.setApprovalTold(last.id, true);
    return { kind: 'merged', commit: last.commit ?? '', byApproval: true };
  }
  const settings = mergeSettings(rt);
  if (!last && settings.autoMerge === 'all' && !settings.reviewBeforeMerge)
    return outcome(await mergeWorker(rt, w.id), false);
  await assertMergeable(rt, w);
  const head = await rt.git.revParse(rt.repoRoot, w.branch);
  if (last && last.head === head) {
    if (last.status === 'pending') return { kind: 'held', approval: last, fresh: false };
    if (last.status === 'approved') {
      store.setApprovalTold(last.id, true);
      return carryOut(rt, last);
    }
    store.setApprovalTold(last.id, true);
    return { kind: 'rejected', approval: last };
  }
  if (last?.status === 'pending') {
    // The worker changed its branch while held: that hold is about a change that no longer is the one to merge.
    store.decideApproval(last.id, 'pending', 'rejected', {
      note: SUPERSEDED_NOTE,
      ts: rt.now(),
    });
    store.setApprovalTold(last.id, true);
    last = store.latestApproval(rt.sid, w.id);
  }
  if (settings.autoMerge === 'all' && !settings.reviewBeforeMerge) return outcome(await mergeWorker(rt, w.id), false);
  let review = latestReviewOf(rt, w.id, last);
  if (settings.reviewBeforeMerge && (!review || review.status === 'pending')) {
    const started = !review;
    const r = await crossReview(rt, w.id, undefined, undefined, extras);
    review = await awaitReview(rt, r.review, rt.options.toolWaitS * 1000);
    if (review.status === 'pending') return { kind: 'reviewing', reviewer: r.worker.id, started };
  }
  const risk: RiskLevel | undefined = review?.verdict?.risk;
  const verdict = review?.verdict?.verdict;
  if (mergeDecision(settings.autoMerge, risk, verdict) === 'merge') return outcome(await mergeWorker(rt, w.id), false);
  const reason = holdReason(settings.autoMerge, risk, verdict);
  const id = store.addApproval({
    session: rt.sid,
    worker: w.id,
    head,
    ...(risk ? { risk } : {}),
    reason,
    ...(review ? { review: review.id } : {}),
    ts: rt.now(),
  });
  rt.events.emit(
    'merge.awaiting_approval',
    `merging ${w.id} awaits a person's approval: ${reason}. Approve: crewmux approve ${w.id}; reject: crewmux reject ${w.id} "why"`,
    w.id,
    { approval: id, risk: risk ?? null, reason, head },
  );
  return { kind: 'held', approval: store.latestApproval(rt.sid, w.id)!, fresh: true };
}

/**
 * The monitor's pass: merges every approved row not tried yet (a person ran `crewmux approve`); one that git refuses
 * keeps its note for the lead, whose next merge_worker tries again. Never throws (a failure is a monitor.error).
 */
export async function approvalsPass(rt: Runtime): Promise<void> {
  for (const a of rt.store.review().listApprovals(rt.sid)) {
    if (a.status !== 'approved' || a.note !== undefined) continue;
    try {
      const w = getWorkerOrFail(rt, a.worker);
      const head = await rt.git.revParse(rt.repoRoot, w.branch);
      if (head !== a.head) {
        rt.store.review().noteApproval(a.id, 'the branch changed after the approval; merge_worker decides again');
        rt.store.review().setApprovalTold(a.id, false);
        rt.events.emit(
          'merge.approval_failed',
          `the approved merge of ${a.worker} was not made: its branch changed after the approval`,
          a.worker,
          { approval: a.id },
        );
        continue;
      }
      await once(rt, a.worker, () => carryOut(rt, a));
    } catch (e) {
      rt.store.review().noteApproval(a.id, (e as Error).message);
      rt.events.emit('monitor.error', `approved merge of ${a.worker}: ${(e as Error).message}`, a.worker);
    }
  }
}

/** One line for the lead about row `a`'s outcome. */
export function approvalLine(rt: Runtime, a: ApprovalRow): string {
  switch (a.status) {
    case 'pending':
      return `Merging ${a.worker} awaits a person's approval (${a.reason}).`;
    case 'merged':
      return `${a.worker} was merged by approval into ${rt.integrationBranch} (${(a.commit ?? '').slice(0, 10)}).`;
    case 'rejected':
      return `Merging ${a.worker} was rejected by a person: ${a.note ?? '(no reason)'}. It stays unmerged: send_to_worker "${a.worker}" to have it change that, then merge_worker again, or discard_worker.`;
    case 'approved':
      return a.note
        ? `Merging ${a.worker} was approved, but could not be made: ${a.note}. Fix that (send_to_worker "${a.worker}") and call merge_worker again.`
        : `Merging ${a.worker} was approved; crewmux is merging it.`;
  }
}

/**
 * Outcomes of held merges the lead was not told yet (merged by approval, rejected, approved but refused by git),
 * one line each; marks them told.
 */
export function approvalNotices(rt: Runtime): string[] {
  const store = rt.store.review();
  const news = store
    .listApprovals(rt.sid)
    .filter((a) => !a.told && a.status !== 'pending' && (a.status !== 'approved' || a.note !== undefined));
  for (const a of news) store.setApprovalTold(a.id, true);
  return news.filter((a) => store.latestApproval(rt.sid, a.worker)?.id === a.id).map((a) => approvalLine(rt, a));
}
