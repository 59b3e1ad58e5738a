/** `crewmux stop [sid]`: end a session politely; it can be resumed later. */
import { ALL_SESSIONS_OPTION, type Command } from '../command.js';
import { stopSession } from '../../app/session/control.js';
import { resolveSession } from '../../app/session/lookup.js';

export const stopCommand: Command = {
  command: 'stop [sid]',
  describe: "Stop a session (default: this repository's latest): snapshot work, stop agents; resumable",
  builder: (y) => y.positional('sid', { type: 'string' }).option('all', ALL_SESSIONS_OPTION),
  async handler(a, ctx) {
    const { session: s, alreadyEnded } = await stopSession(
      ctx,
      (await resolveSession(ctx, a.sid as string | undefined, Boolean(a.all), 'stop')).id,
    );
    if (alreadyEnded) {
      ctx.out.out(
        `session ${s.id} had already ended (${s.status}); stopped what it left running (its tmux session ${s.tmux_session} and agents).`,
      );
      return 0;
    }
    ctx.out.out(
      `session ${s.id}: ${s.status}${s.outcome_reason ? ` (${s.outcome_reason})` : ''}. Resume with: crewmux resume ${s.id}`,
    );
    return s.status === 'stopped' ? 0 : 1;
  },
};
