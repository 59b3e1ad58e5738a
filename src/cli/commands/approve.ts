/** `crewmux approve [WORKER]`: approve a merge held by merge.autoMerge (crewmux merges it), or list the held ones. */
import { asUserError, sessionItemOptions, type Command } from '../command.js';
import { resolveSession } from '../../app/session/lookup.js';
import {
  APPROVAL_MERGE_WAIT_MS,
  approveMerge,
  awaitApprovalOutcome,
  pendingApprovals,
} from '../../app/review/approval-human.js';
import type { ApprovalRow } from '../../app/ports/review.js';

function heldLines(rows: ApprovalRow[]): string {
  return rows.map((a) => `  ${a.worker}  risk ${a.risk ?? 'unknown'}  ${a.reason}`).join('\n');
}

export const approveCommand: Command = {
  command: 'approve [worker]',
  describe: "Approve a worker's merge held for you by merge.autoMerge (no argument: list the held ones)",
  builder: (y) =>
    sessionItemOptions(y).positional('worker', {
      type: 'string',
      describe: 'A worker id such as w01 (`crewmux approve` lists them)',
    }),
  async handler(a, ctx) {
    const s = await resolveSession(ctx, a.session as string | undefined, Boolean(a.all), 'approve');
    const worker = a.worker as string | undefined;
    if (!worker) {
      const held = pendingApprovals(ctx.store(), s.id);
      if (a.json) ctx.out.json({ session: s.id, held });
      else
        ctx.out.out(
          held.length
            ? `merges of session ${s.id} waiting for you:\n${heldLines(held)}\nApprove with: crewmux approve WORKER; reject with: crewmux reject WORKER "why"`
            : `No merge waits for approval in session ${s.id}.`,
        );
      return 0;
    }
    asUserError('E_APPROVAL', () => approveMerge(ctx.store(), s.id, worker, ctx.now));
    const live = s.status === 'running' || s.status === 'starting';
    // The live supervisor merges it at its next pass (about a second): wait for that, to say how it went.
    const { row } = await awaitApprovalOutcome(ctx.store(), s.id, worker, {
      live,
      waitMs: APPROVAL_MERGE_WAIT_MS,
      now: Date.now,
    });
    if (a.json)
      ctx.out.json({
        session: s.id,
        worker,
        status: row.status,
        commit: row.commit ?? null,
        note: row.note ?? null,
        live,
      });
    else if (row.status === 'merged')
      ctx.out.out(`Approved; ${worker} is merged (${(row.commit ?? '').slice(0, 10)}). The lead is told.`);
    else if (row.note !== undefined)
      ctx.out.out(
        `Approved, but the merge of ${worker} could not be made: ${row.note}. The lead is told and tries again.`,
      );
    else
      ctx.out.out(
        live
          ? `Approved; the supervisor of session ${s.id} merges ${worker} at its next pass. The lead is told.`
          : `Approved; session ${s.id} is ${s.status}, so ${worker} is merged when the session is resumed (crewmux resume ${s.id}).`,
      );
    return 0;
  },
};
