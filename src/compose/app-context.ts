/**
 * The composition root: the only place that reads process.env and builds the adapters. Commands and
 * the supervisor get an AppContext; tests build one with their own env (private tmux socket, temp
 * XDG dirs). The store opens lazily so commands that never touch state never create it.
 */
import { fileURLToPath } from 'node:url';
import { openStore } from '../adapters/state/store.js';
import type { Store } from '../app/ports/store.js';
import { ensureDir, readText, tightenDir, writeFileAtomic } from '../adapters/system/files.js';
import { usePrivateUmask } from '../adapters/system/umask.js';
import { systemClock } from '../adapters/system/clock.js';
import { readPackageVersion } from '../adapters/system/package-version.js';
import { resolvePaths, type Paths } from '../app/session/paths.js';
import type { Output } from '../app/ports/output.js';
import type { AppServices } from '../app/services.js';
import { lazyGit, lazyTmux } from './lazy-adapters.js';

/** AppServices plus where command output goes: what every CLI command gets. */
export interface AppContext extends AppServices {
  out: Output;
}

/**
 * Makes crewmux's config, data and runtime dirs private (0700) where they exist with group or other bits,
 * saying so once on `out`; throws E_UNSAFE_PATH for one owned by another user. Missing ones are created
 * 0700 by whoever first writes into them.
 */
export function protectCrewmuxDirs(paths: Paths, out: Pick<Output, 'err'>): void {
  const tightened: string[] = [];
  for (const dir of new Set([paths.configDir, paths.dataDir, paths.runtimeDir])) {
    const was = tightenDir(dir);
    if (was !== undefined) tightened.push(`${dir} (was 0${was.toString(8)})`);
  }
  if (tightened.length)
    out.err(
      `crewmux: made ${tightened.join(', ')} private (0700): other users could read the session tokens and prompts kept there.`,
    );
}

/**
 * Builds the context of one CLI command: sets the process umask to 0o077 (children get the user's back, see
 * adapters/system/umask.ts) and makes crewmux's own dirs private before anything reads or writes them.
 */
export function createAppContext(env: NodeJS.ProcessEnv, out: Output, cwd = process.cwd()): AppContext {
  usePrivateUmask();
  // node:os only without HOME: fetched, not imported, as it is seldom needed (start-up, docs/architecture.md).
  const home = env.HOME || process.getBuiltinModule('node:os').homedir();
  const paths = resolvePaths(env, home, process.getuid?.() ?? 0);
  protectCrewmuxDirs(paths, out);
  let store: Store | undefined;
  // git, tmux and the terminal load on their first use: most commands never run them (lazy-adapters.ts).
  const tmuxFor = (socket: string | null, o: { controlSession?: string } = {}) =>
    lazyTmux({
      socket: socket ?? undefined,
      configFile: env.CREWMUX_TMUX_CONFIG || undefined,
      ...(o.controlSession ? { control: { session: o.controlSession } } : {}),
    });
  return {
    env,
    cwd,
    paths,
    out,
    git: lazyGit(env),
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
    attachTerminal: async (tmux, session) =>
      (await import('../adapters/system/terminal.js')).attachTerminal(tmux, session, env),
    readUserFile: (path) => readText(path),
    writeUserFile: (path, text) => writeFileAtomic(path, text),
    async openRuntime(sid) {
      return (await import('./runtime-factory.js')).openRuntime(this, sid);
    },
    close() {
      store?.close();
      store = undefined;
    },
  };
}
