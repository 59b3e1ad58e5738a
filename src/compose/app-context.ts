/**
 * The composition root: the only place that reads process.env and builds the adapters. Commands and
 * the supervisor get an AppContext; tests build one with their own env (private tmux socket, temp
 * XDG dirs). The store opens lazily so commands that never touch state never create it.
 */
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createTmux, type Tmux } from '../adapters/tmux.js';
import { createGit, type Git } from '../adapters/git.js';
import { openStore, type Store } from '../adapters/store.js';
import { ensureDir } from '../adapters/files.js';
import { systemClock } from '../adapters/clock.js';
import { readPackageVersion } from '../adapters/package-version.js';
import type { Clock } from '../core/clock.js';
import { resolvePaths, type Paths } from '../app/session/paths.js';
import type { Output } from '../cli/output.js';

export interface AppContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  paths: Paths;
  out: Output;
  git: Git;
  /** tmux on the socket named by CREWMUX_TMUX_SOCKET (tests), else the user's default server. */
  tmux: Tmux;
  tmuxFor(socket: string | null): Tmux;
  store(): Store;
  /** Absolute path of bin/crewmux.js, for launching the supervisor. */
  crewmuxBin: string;
  /** crewmux's version, from package.json. */
  version: string;
  /** Time for waits and deadlines (the system clock). */
  clock: Clock;
  /** `clock.now()`. */
  now(): number;
  close(): void;
}

export function createAppContext(env: NodeJS.ProcessEnv, out: Output, cwd = process.cwd()): AppContext {
  const paths = resolvePaths(env, env.HOME || homedir(), process.getuid?.() ?? 0);
  let store: Store | undefined;
  const tmuxFor = (socket: string | null) =>
    createTmux({ socket: socket ?? undefined, configFile: env.CREWMUX_TMUX_CONFIG || undefined });
  return {
    env,
    cwd,
    paths,
    out,
    git: createGit(),
    tmux: tmuxFor(env.CREWMUX_TMUX_SOCKET || null),
    tmuxFor,
    store() {
      if (!store) {
        ensureDir(paths.dataDir);
        store = openStore(paths.stateDb);
      }
      return store;
    },
    crewmuxBin: fileURLToPath(new URL('../../../bin/crewmux.js', import.meta.url)),
    version: readPackageVersion(),
    clock: systemClock,
    now: () => systemClock.now(),
    close() {
      store?.close();
      store = undefined;
    },
  };
}
