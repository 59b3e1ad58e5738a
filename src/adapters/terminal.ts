/** Attaching the user's terminal to a session (switch-client when already inside tmux). */
import { execAttached } from './exec.js';
import type { Tmux } from '../app/ports/tmux.js';

/** Blocks until the user detaches or the session ends; returns tmux's exit status. */
export function attachTerminal(tmux: Tmux, session: string, env: NodeJS.ProcessEnv): number {
  const argv = env.TMUX
    ? tmux.argv(['switch-client', '-t', `=${session}`])
    : tmux.argv(['attach-session', '-t', `=${session}`]);
  return execAttached(argv[0]!, argv.slice(1));
}
