/**
 * XDG locations (config ~/.config/crewmux; data ~/.local/share/crewmux with state.db, worktrees, skills
 * and memory; runtime $XDG_RUNTIME_DIR/crewmux), computed from an environment passed in by the composition
 * root. Overrides: CREWMUX_CONFIG_DIR, CREWMUX_DATA_DIR, CREWMUX_RUNTIME_DIR, else the XDG variables.
 */
import { basename, join } from 'node:path';
import { repoSlug } from '../../core/session/naming.js';

export interface Paths {
  configDir: string;
  dataDir: string;
  runtimeDir: string;
  stateDb: string;
  worktreesDir: string;
  sessionsDir: string;
  skillsDir: string;
  memoryDir: string;
}

/**
 * The crewmux directories for `env`, `home` and `uid`: CREWMUX_*_DIR overrides, else XDG variables, else ~/.config
 * and ~/.local/share; without XDG_RUNTIME_DIR the runtime dir is a per-user folder under the data dir. Pure,
 * creates nothing.
 */
export function resolvePaths(env: NodeJS.ProcessEnv, home: string, uid: number): Paths {
  const configDir = env.CREWMUX_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME || join(home, '.config'), 'crewmux');
  const dataDir = env.CREWMUX_DATA_DIR ?? join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'crewmux');
  // Without XDG_RUNTIME_DIR, a per-user directory under the data dir (never a shared /tmp path).
  const runtimeDir =
    env.CREWMUX_RUNTIME_DIR ??
    (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'crewmux') : join(dataDir, 'run', String(uid)));
  return {
    configDir,
    dataDir,
    runtimeDir,
    stateDb: join(dataDir, 'state.db'),
    worktreesDir: join(dataDir, 'worktrees'),
    sessionsDir: join(dataDir, 'sessions'),
    skillsDir: join(dataDir, 'skills'),
    memoryDir: join(dataDir, 'memory'),
  };
}

/** Where a repository's worktrees live: worktrees/<repo-name>-<hash of its path>. */
export function repoWorktreesDir(paths: Paths, repoRoot: string): string {
  // node:crypto is fetched here, not imported: every command loads this module, few need a hash (and crypto is big).
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(repoRoot).digest('hex');
  return join(paths.worktreesDir, repoSlug(basename(repoRoot), hash));
}

/**
 * Worker `workerId`'s state directory (prompt, pane log, MCP config) under the session dir of `rt` (a Runtime); pure,
 * creates nothing.
 */
export function workerDir(rt: { sessionDir: string }, workerId: string): string {
  return join(rt.sessionDir, 'workers', workerId);
}
