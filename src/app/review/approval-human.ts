/**
 * The human's side of held merges, from outside the supervisor (`crewmux approve`, `crewmux reject`): list what waits
 * for them and record their decision. The running supervisor merges an approved one at its next pass (approval.ts
 * approvalsPass); the lead is told the outcome in its next wait_for_worker or merge_worker answer.
 */
import { ToolError } from '../../core/errors.js';
import type { ApprovalRow } from '../ports/review.js';
import type { Store } from '../ports/store.js';
import { createEventLog } from '../session/events.js';

/** Session `sid`'s merges waiting for a person, oldest first (each worker's latest row). */
export function pendingApprovals(store: Store, sid: string): ApprovalRow[] {
  const rows = store.review().listApprovals(sid);
  return rows.filter((a) => a.status === 'pending' && store.review().latestApproval(sid, a.worker)?.id === a.id);
}

function pendingOf(store: Store, sid: string, worker: string): ApprovalRow {
  const a = store.review().latestApproval(sid, worker);
  if (!a || a.status !== 'pending') {
    const what = a ? `its merge was already ${a.status}` : 'no merge of it was held for approval';
    const open = pendingApprovals(store, sid).map((x) => x.worker);
    throw new ToolError(
      `Error: ${worker} does not await approval in session ${sid}: ${what}. Waiting: ${open.length ? open.join(', ') : 'none'}.`,
    );
  }
  return a;
}

/**
 * Approves worker `worker`'s held merge in session `sid` (event merge.approved); the supervisor merges it. ToolError
 * when no merge of it waits for approval.
 */
export function approveMerge(store: Store, sid: string, worker: string, now: () => number): ApprovalRow {
  const a = pendingOf(store, sid, worker);
  if (!store.review().decideApproval(a.id, 'pending', 'approved', { ts: now() }))
    throw new ToolError(`Error: the merge of ${worker} was decided meanwhile; nothing was changed.`);
  createEventLog(store, sid, now).emit('merge.approved', `a person approved merging ${worker}`, worker, {
    approval: a.id,
    risk: a.risk ?? null,
  });
  return store.review().latestApproval(sid, worker)!;
}

/**
 * Rejects worker `worker`'s held merge in session `sid` with `reason` (event merge.rejected); it stays unmerged and
 * the lead is told why. ToolError when no merge of it waits for approval or the reason is empty.
 */
export function rejectMerge(store: Store, sid: string, worker: string, reason: string, now: () => number): ApprovalRow {
  if (!reason.trim()) throw new ToolError(`Error: say why the merge of ${worker} is rejected; the lead is told.`);
  const a = pendingOf(store, sid, worker);
  if (!store.review().decideApproval(a.id, 'pending', 'rejected', { note: reason.trim(), ts: now() }))
    throw new ToolError(`Error: the merge of ${worker} was decided meanwhile; nothing was changed.`);
  createEventLog(store, sid, now).emit(
    'merge.rejected',
    `a person rejected merging ${worker}: ${reason.trim()}`,
    worker,
    {
      approval: a.id,
      reason: reason.trim(),
    },
  );
  return store.review().latestApproval(sid, worker)!;
}
