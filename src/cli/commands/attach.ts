/** `crewmux attach [sid]`: reconnect this terminal to a running session. */
import type { Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { findSession } from '../../app/session/lookup.js';

export const attachCommand: Command = {
  command: 'attach [sid]',
  describe: 'Attach this terminal to a session (default: the latest)',
  builder: (y) => y.positional('sid', { type: 'string' }),
  async handler(a, ctx) {
    const s = findSession(ctx.store(), a.sid as string | undefined);
    const tmux = ctx.tmuxFor(s.tmux_socket);
    if (!(await tmux.hasSession(s.tmux_session))) {
      throw new UserError(
        'E_SESSION_NOT_LIVE',
        `Session ${s.id} is ${s.status}; its tmux session ${s.tmux_session} is gone.`,
        `See its result with \`crewmux status ${s.id}\`.`,
      );
    }
    return ctx.attachTerminal(tmux, s.tmux_session) === 0 ? 0 : 1;
  },
};
