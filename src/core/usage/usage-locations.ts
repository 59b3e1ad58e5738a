/**
 * Where each agent keeps the usage files crewmux reads (the registry entry's `usage.source`), from the environment the
 * agent runs with and its HOME: Codex's CODEX_HOME, Gemini CLI's `.gemini`, Qwen Code's QWEN_HOME, Copilot CLI's
 * COPILOT_HOME, OpenCode's (or Kilo Code's) SQLite file. The usage collector resolves them on this host for a local
 * agent; a node resolves them on the node for its own workers (app/nodes/node-usage.ts). Pure.
 */
import { join, resolve } from 'node:path';
import type { UsageProfile } from '../agents/profile.js';

/** The environment variables that move an agent's usage files (a node records the agent's values at its start). */
export const USAGE_LOCATION_ENV = [
  'HOME',
  'CODEX_HOME',
  'GEMINI_CLI_HOME',
  'QWEN_HOME',
  'COPILOT_HOME',
  'XDG_DATA_HOME',
  'OPENCODE_DB',
  'KILO_DB',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Codex's home (`sessions/YYYY/MM/DD/rollout-*.jsonl` below it). */
export const codexHomeOf = (env: Env, home: string): string => env.CODEX_HOME || join(home, '.codex');
/** Gemini CLI's `.gemini` dir (`tmp/<project>/chats/*.jsonl` below it). */
export const geminiDirOf = (env: Env, home: string): string => join(env.GEMINI_CLI_HOME || home, '.gemini');
/** Qwen Code's dir (`projects/<cwd>/chats/*.jsonl` below it). */
export const qwenDirOf = (env: Env, home: string): string => env.QWEN_HOME || join(home, '.qwen');
/** Copilot CLI's dir (`session-state/<id>/events.jsonl` below it). */
export const copilotDirOf = (env: Env, home: string): string => env.COPILOT_HOME || join(home, '.copilot');

/**
 * The SQLite file of an `opencode-db` agent (OpenCode, or Kilo Code by its `db` names): `<env>` when set (absolute,
 * or relative to the data dir; `:memory:` keeps nothing to read), else `<XDG_DATA_HOME or ~/.local/share>/<dir>/<file>`.
 */
export function opencodeDbOf(usage: UsageProfile, env: Env, home: string): string | undefined {
  const names = usage.db ?? { dir: 'opencode', file: 'opencode.db', env: 'OPENCODE_DB' };
  const dataDir = join(env.XDG_DATA_HOME || join(home, '.local', 'share'), names.dir);
  const set = env[names.env];
  if (set === ':memory:') return undefined;
  return set ? resolve(dataDir, set) : join(dataDir, names.file);
}
