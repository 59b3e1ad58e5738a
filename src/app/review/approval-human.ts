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

/** How long a person's approval waits for the live supervisor to make the merge (it tries at its next pass). */
export const APPROVAL_MERGE_WAIT_MS = 20_000;

/** What became of an approved merge: merged; refused by git (conflicts) or otherwise not made; still on its way. */
export type ApprovalOutcome = 'merged' | 'not_merged' | 'merging' | 'on_resume';

/**
 * After approveMerge: waits up to `waitMs` (only when the session is `live`: its supervisor merges at its next pass)
 * for the outcome of worker `worker`'s approved merge, polling the store; resolves with the row as it then stands and
 * the outcome (`on_resume`: the session is not running, so the merge is made when it is resumed).
 */
export async function awaitApprovalOutcome(
  store: Store,
  sid: string,
  worker: string,
  o: { live: boolean; waitMs: number; now: () => number; pollMs?: number },
): Promise<{ row: ApprovalRow; outcome: ApprovalOutcome }> {
  let row = store.review().latestApproval(sid, worker)!;
  const until = o.now() + (o.live ? o.waitMs : 0);
  while (row.status === 'approved' && row.note === undefined && o.now() < until) {
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
    row = store.review().latestApproval(sid, worker) ?? row;
  }
  const outcome: ApprovalOutcome =
    row.status === 'merged'
      ? 'merged'
      : row.status !== 'approved' || row.note !== undefined
        ? 'not_merged'
        : o.live
          ? 'merging'
          : 'on_resume';
  return { row, outcome };
}
