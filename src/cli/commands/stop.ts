/** `crewmux stop [sid]`: end a session politely; it can be resumed later. */
import type { Command } from '../command.js';
import { stopSession } from '../../app/session/control.js';

export const stopCommand: Command = {
  command: 'stop [sid]',
  describe: 'Stop a session (default: the latest): snapshot work, stop agents; resumable',
  builder: (y) => y.positional('sid', { type: 'string' }),
  async handler(a, ctx) {
    const s = await stopSession(ctx, a.sid as string | undefined);
    ctx.out.out(
      `session ${s.id}: ${s.status}${s.outcome_reason ? ` (${s.outcome_reason})` : ''}. Resume with: crewmux resume ${s.id}`,
    );
    return s.status === 'stopped' ? 0 : 1;
  },
};
