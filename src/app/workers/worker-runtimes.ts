/**
 * Which WorkerRuntime a session's worker runs on. Today every worker is local (a tmux pane of the session);
 * `exec:` runtimes (config `runtimes`) and SSH nodes plug in here.
 */
import type { Runtime } from '../runtime.js';
import { createLocalTmuxRuntime, type LocalTmuxRuntime } from './local-tmux-runtime.js';

/** The local tmux runtime of `rt`'s session (cheap: it holds only the session's adapters). */
export function localRuntime(rt: Runtime): LocalTmuxRuntime {
  return createLocalTmuxRuntime({ tmux: rt.tmux, session: rt.tmuxSession, runner: rt.runner, clock: rt.clock });
}
