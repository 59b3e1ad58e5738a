import type { Clock } from '../core/clock.js';
import type { Git } from './ports/git.js';
import type { Store } from './ports/store.js';
import type { AttachResult, Tmux } from './ports/tmux.js';
import type { Paths } from './session/paths.js';
import type { Runtime } from './runtime.js';

/**
 * What commands and use cases get from the composition root: the environment, paths, the ports (git, tmux,
 * store) and a few user-file operations. compose/app-context.ts builds the real one.
 */
export interface AppServices {
  env: NodeJS.ProcessEnv;
  cwd: string;
  paths: Paths;
  git: Git;
  /** tmux on the socket named by CREWMUX_TMUX_SOCKET (tests), else the user's default server. */
  tmux: Tmux;
  /** tmux on `socket`; with `controlSession` (the supervisor's) commands go over a control-mode client of it. */
  tmuxFor(socket: string | null, o?: { controlSession?: string }): Tmux;
  store(): Store;
  /** Absolute path of bin/crewmux.js, for launching the supervisor. */
  crewmuxBin: string;
  /** crewmux's version, from package.json. */
  version: string;
  /** Time for waits and deadlines (the system clock). */
  clock: Clock;
  /** `clock.now()`. */
  now(): number;
  /**
   * Shows a tmux session on this terminal: attaches (blocking until detach or the session's end), or inside tmux
   * switches the user's client to it, or opens it in a new window when it is on another tmux server.
   */
  attachTerminal(tmux: Tmux, session: string): Promise<AttachResult>;
  /** Reads a file the user named (e.g. --goal-file); throws with the path on failure. */
  readUserFile(path: string): string;
  /** Writes a file the user named (e.g. --url-file) atomically, 0600; throws E_UNSAFE_PATH when it is a symlink. */
  writeUserFile(path: string, text: string): void;
  /**
   * The Runtime of stored session `sid` (its hooks are no-ops until the caller sets them); rejects when unknown. Async
   * so that commands that never open one (status, usage, sessions) do not load the agent registry and its schemas.
   */
  openRuntime(sid: string): Promise<Runtime>;
  close(): void;
}
