/** `crewmux attach [sid]`: reconnect this terminal to a running session (inside tmux: switch to it). */
import { ALL_SESSIONS_OPTION, type Command } from '../command.js';
import { UserError } from '../../core/errors.js';
import { resolveSession } from '../../app/session/lookup.js';
import type { AttachResult, Tmux } from '../../app/ports/tmux.js';
import type { AppContext } from '../../compose/app-context.js';

/**
 * Shows tmux session `session` on this terminal (`ctx.attachTerminal`) and, inside tmux, prints once on stderr
 * what happened instead (the client switched, or a window opened) and how to get back.
 */
export async function showSession(ctx: AppContext, tmux: Tmux, session: string): Promise<AttachResult> {
  const r = await ctx.attachTerminal(tmux, session);
  if (r.note) ctx.out.err(`crewmux: ${r.note}`);
  return r;
}

export const attachCommand: Command = {
  command: 'attach [sid]',
  describe: "Attach this terminal to a session (default: this repository's latest; inside tmux: switch to it)",
  builder: (y) => y.positional('sid', { type: 'string' }).option('all', ALL_SESSIONS_OPTION),
  async handler(a, ctx) {
    const s = await resolveSession(ctx, a.sid as string | undefined, Boolean(a.all), 'attach');
    const tmux = ctx.tmuxFor(s.tmux_socket);
    if (!(await tmux.hasSession(s.tmux_session))) {
      throw new UserError(
        'E_SESSION_NOT_LIVE',
        `Session ${s.id} is ${s.status}; its tmux session ${s.tmux_session} is gone.`,
        `See its result with \`crewmux status ${s.id}\`.`,
      );
    }
    return (await showSession(ctx, tmux, s.tmux_session)).code === 0 ? 0 : 1;
  },
};
