/**
 * The rules of a worktree's bootstrap (include, clone, env, setup): which setup commands run and from where,
 * the per-worktree names and port block, the managed block of `.env.local`, and the hint for a verify that
 * failed on a missing module. Pure: app/worktrees/prepare.ts applies them, adapters/git/worktree-files.ts does the I/O.
 */
import { createHash } from 'node:crypto';

/** How a `worktree.clone` folder reached the worktree: a copy-on-write clone, a plain copy, or a symlink (`worktree.link`). */
export type CloneMethod = 'reflink' | 'copy' | 'link';

/** One timed step of a bootstrap: `include`, `clone`, `env`, `setup`. `how` says what was done, for the event and bench. */
export interface BootstrapPhase {
  name: 'include' | 'clone' | 'env' | 'setup';
  ms: number;
  how: string;
}

/** Ports per worktree: CREWMUX_PORT is the first of a block this size. */
export const PORT_BLOCK = 10;
/** Blocks start in [PORT_LOW, PORT_HIGH): above the common dev-server ports, below the Linux ephemeral range. */
export const PORT_LOW = 20_000;
export const PORT_HIGH = 32_000;

/**
 * The port blocks to try for worktree `key`, in order: the first is a hash of the key (so the same worktree asks for
 * the same block each time), then the following blocks, wrapping around; `limit` candidates.
 */
export function portCandidates(key: string, limit = 64): number[] {
  const blocks = Math.floor((PORT_HIGH - PORT_LOW) / PORT_BLOCK);
  const first = createHash('sha256').update(key).digest().readUInt32BE(0) % blocks;
  return Array.from({ length: Math.min(limit, blocks) }, (_, i) => PORT_LOW + ((first + i) % blocks) * PORT_BLOCK);
}

/**
 * CREWMUX_WORKTREE_SLUG: letters, digits and `_` only (valid as a database, container or compose project name),
 * lower case, at most 48 characters; from the session id and the worktree's name (`w1-implementer`, `integration`).
 */
export function worktreeSlug(sessionId: string, name: string): string {
  const clean = `crewmux_${sessionId}_${name}`.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return clean.replace(/^_+|_+$/g, '').slice(0, 48);
}

export const ENV_BLOCK_BEGIN = '# >>> crewmux worktree (managed: rewritten for each worktree) >>>';
export const ENV_BLOCK_END = '# <<< crewmux worktree <<<';

/** `text` (a .env file) with crewmux's managed block set to `vars`: an existing block is replaced, else one is appended. */
export function withManagedEnvBlock(text: string, vars: Record<string, string>): string {
  const block = [ENV_BLOCK_BEGIN, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ENV_BLOCK_END].join('\n');
  const start = text.indexOf(ENV_BLOCK_BEGIN);
  const end = text.indexOf(ENV_BLOCK_END);
  if (start >= 0 && end > start) return text.slice(0, start) + block + text.slice(end + ENV_BLOCK_END.length);
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}${block}\n`;
}

/** `scripts.setup` of a conductor.json text; undefined when absent, empty or the text is not such JSON. */
export function conductorSetupScript(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const setup = (JSON.parse(text) as { scripts?: { setup?: unknown } } | null)?.scripts?.setup;
    return typeof setup === 'string' && setup.trim() ? setup : undefined;
  } catch {
    return undefined;
  }
}

/** The setup a new worktree gets: crewmux's `worktree.setup`, else a conductor.json `scripts.setup`, else none. */
export interface SetupPlan {
  source: 'worktree.setup' | 'conductor.json' | 'none';
  commands: string[];
  /** Extra variables for the commands (conductor's CONDUCTOR_ROOT_PATH and CONDUCTOR_PORT). */
  conductor: boolean;
}

/** Chooses the setup commands (pure): `worktree.setup` wins; conductor.json's script is used only without it. */
export function setupPlan(setup: string[] | undefined, conductorScript: string | undefined): SetupPlan {
  if (setup?.length) return { source: 'worktree.setup', commands: setup, conductor: false };
  if (conductorScript) return { source: 'conductor.json', commands: [conductorScript], conductor: true };
  return { source: 'none', commands: [], conductor: false };
}

const MISSING_MODULE = [
  /Cannot find module '([^']+)'/,
  /Cannot find package '([^']+)'/,
  /ERR_MODULE_NOT_FOUND/,
  /ModuleNotFoundError: No module named '([^']+)'/,
  /ImportError: No module named ([\w.]+)/,
  /cannot load such file -- (\S+)/,
  /(?:sh: \d+: |: )([\w.-]+): (?:command )?not found/,
];

/**
 * When verify output says a module or tool is missing (Node, Python, Ruby, a missing bin), one sentence for the lead:
 * the verify worktree lacks git-ignored dependencies, and the fix (`worktree.clone`, `worktree.setup`,
 * `.worktreeinclude`). Undefined when the text shows no such failure.
 */
export function missingModuleHint(output: string): string | undefined {
  for (const re of MISSING_MODULE) {
    const m = re.exec(output);
    if (!m) continue;
    const what = m[1] ? `"${m[1]}"` : 'a module';
    return (
      `verify failed because ${what} is missing in the integration worktree, which holds only what git tracks. ` +
      `Ask the user to add the dependency folder to "worktree.clone" (e.g. ["node_modules"]) or an install command ` +
      `to "worktree.setup" in .crewmux/config.json, and git-ignored files such as .env to .worktreeinclude; ` +
      `then run \`crewmux trust\` and start the run again.`
    );
  }
  return undefined;
}

/** A relative path inside a worktree (for `worktree.clone` / `worktree.link` entries): no `..`, not absolute, not `.git`. */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.startsWith('/') || p.includes('\0')) return false;
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return parts.length > 0 && !parts.some((x) => x === '..' || x === '.git');
}
