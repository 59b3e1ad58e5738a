/** `crewmux reject WORKER "why"`: reject a merge held by merge.autoMerge; it stays unmerged and the lead is told why. */
import { asUserError, sessionItemOptions, type Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { resolveSession } from '../../app/session/lookup.js';
import { rejectMerge } from '../../app/review/approval-human.js';

export const rejectCommand: Command = {
  command: 'reject <worker> [reason]',
  describe: "Reject a worker's merge held for you by merge.autoMerge, with the reason the lead gets",
  builder: (y) =>
    sessionItemOptions(y)
      .positional('worker', { type: 'string', describe: 'A worker id such as w01 (`crewmux approve` lists them)' })
      .positional('reason', { type: 'string', describe: 'Why; the lead gets it to send the work back' }),
  async handler(a, ctx) {
    const worker = a.worker as string;
    const reason = (a.reason as string | undefined) ?? '';
    if (!reason.trim())
      throw new UserError(
        'E_APPROVAL',
        `No reason for rejecting ${worker}.`,
        `Run \`crewmux reject ${worker} "why"\`; the lead gets the reason.`,
      );
    const s = await resolveSession(ctx, a.session as string | undefined, Boolean(a.all), 'reject');
    asUserError('E_APPROVAL', () => rejectMerge(ctx.store(), s.id, worker, reason, ctx.now));
    if (a.json) ctx.out.json({ session: s.id, worker, status: 'rejected', reason: reason.trim() });
    else ctx.out.out(`Rejected; ${worker} stays unmerged. The lead is told why.`);
    return 0;
  },
};
