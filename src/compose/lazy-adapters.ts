/**
 * A port whose adapter module is imported on the first call that needs it: the composition root hands every command
 * a Git and a Tmux, and most never run either (`crewmux status` runs neither), so loading git.ts and tmux.ts (with
 * exec, git-refs, tmux-control) up front cost every command their read and compile. Only async methods can wait for
 * an import; the synchronous members are given up front, from modules cheap to load (adapters/git/repo-guess.ts,
 * adapters/tmux/tmux-argv.ts). Plain objects, not a Proxy: `then`, spreads and Object.keys behave as usual.
 */
import type { Git } from '../app/ports/git.js';
import type { Tmux } from '../app/ports/tmux.js';
import { guessRepoRoot } from '../adapters/git/repo-guess.js';
import { tmuxArgvPrefix } from '../adapters/tmux/tmux-argv.js';
import type { TmuxOptions } from '../adapters/tmux/tmux.js';

/** The keys of T whose values are methods returning a Promise (optional ones too): what a lazy port forwards. */
export type AsyncMethodKeys<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T];

/**
 * How each async method of a lazy port is forwarded: `load` imports the adapter if need be and calls it; `if-loaded`
 * (a `close`) calls it only when something already loaded the adapter, else resolves at once: nothing was opened.
 */
export type LazyMethods<T> = Record<AsyncMethodKeys<T>, 'load' | 'if-loaded'>;

/**
 * A T whose async methods (every key of `methods`: the type makes the list complete) call the adapter that `load`
 * builds, loaded once, on the first call that needs it; its synchronous members are `eager`'s. A failed load
 * rejects that call and is tried again on the next one.
 */
export function lazyPort<T extends object>(
  load: () => Promise<T>,
  methods: LazyMethods<T>,
  eager: Omit<T, AsyncMethodKeys<T>>,
): T {
  let loading: Promise<T> | undefined;
  const real = (): Promise<T> =>
    (loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    }));
  const port: Record<string, unknown> = { ...eager };
  for (const [name, how] of Object.entries<'load' | 'if-loaded'>(methods)) {
    port[name] = async (...args: unknown[]): Promise<unknown> => {
      if (how === 'if-loaded' && !loading) return undefined;
      const target = (await real()) as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
      return target[name]?.(...args);
    };
  }
  return port as T;
}

const GIT_METHODS: LazyMethods<Git> = {
  repoInfo: 'load',
  repoRoot: 'load',
  revParse: 'load',
  branchExists: 'load',
  addWorktree: 'load',
  removeWorktree: 'load',
  deleteBranch: 'load',
  checkoutNewBranchAt: 'load',
  resetHard: 'load',
  dirtyPaths: 'load',
  snapshotCommit: 'load',
  commitsAhead: 'load',
  ensureExcluded: 'load',
  diff: 'load',
  uncommittedDiff: 'load',
  merge: 'load',
  conflictFiles: 'load',
  isAncestor: 'load',
  branchHeads: 'load',
  fastForward: 'load',
  raw: 'load',
  identityFlags: 'load',
};

/** adapters/git/git.ts's createGit({ env }), imported on the first git call; repoRootGuess runs no git and loads none. */
export function lazyGit(env: NodeJS.ProcessEnv): Git {
  return lazyPort<Git>(async () => (await import('../adapters/git/git.js')).createGit({ env }), GIT_METHODS, {
    repoRootGuess: (cwd) => guessRepoRoot(cwd, env),
  });
}

const TMUX_METHODS: LazyMethods<Tmux> = {
  version: 'load',
  hasSession: 'load',
  newSession: 'load',
  newWindow: 'load',
  startPane: 'load',
  parkPane: 'load',
  adoptPane: 'load',
  sessionEnvironment: 'load',
  splitWindow: 'load',
  respawnPane: 'load',
  setWindowOption: 'load',
  setSessionOption: 'load',
  pipePane: 'load',
  selectLayout: 'load',
  selectWindow: 'load',
  listPanes: 'load',
  capturePane: 'load',
  loadBuffer: 'load',
  pasteBuffer: 'load',
  sendKeys: 'load',
  listAllPanes: 'load',
  setBuffer: 'load',
  listClients: 'load',
  displayMessage: 'load',
  killPane: 'load',
  killSession: 'load',
  killServer: 'load',
  // the control client (opts.control) starts with the adapter: a tmux never used has none to end
  close: 'if-loaded',
};

/** adapters/tmux/tmux.ts's createTmux(opts), imported on the first tmux command; argv and socket need no import. */
export function lazyTmux(opts: TmuxOptions): Tmux {
  return lazyPort<Tmux>(async () => (await import('../adapters/tmux/tmux.js')).createTmux(opts), TMUX_METHODS, {
    argv: (args) => [...tmuxArgvPrefix(opts), ...args],
    socket: opts.socket,
  });
}
