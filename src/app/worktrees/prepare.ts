/**
 * A worktree's bootstrap, one use case for every worktree crewmux makes (a worker's, the integration worktree where
 * verify runs, later a pool one): copy the `.worktreeinclude` files, clone the `worktree.clone` folders, give it its
 * own CREWMUX_PORT and CREWMUX_WORKTREE_SLUG, run the setup commands. Each phase is timed. No tmux here: the caller
 * opens the pane after (or, for a pool, much later).
 */
import { join } from 'node:path';
import { appendText, fileSize, readFrom } from '../../adapters/system/files.js';
import { stripAnsi, tailLines } from '../../core/text/ansi.js';
import { setupPlan, type BootstrapPhase, type CloneMethod, type SetupPlan } from '../../core/worktrees/bootstrap.js';
import type { Config } from '../../core/session/config-schema.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type { IncludeResult, WorktreeFiles } from '../ports/worktree-files.js';

/** What a bootstrap needs: the file work, the process runner, the session's (trusted) config and where locks live. */
export interface BootstrapServices {
  files: WorktreeFiles;
  runner: ProcessRunner;
  /** The effective config (global + the trusted repo snapshot): `worktree.*`. */
  config: Config;
  /** conductor.json's `scripts.setup` from the trusted snapshot, used when `worktree.setup` is unset. */
  conductorSetup?: string;
  /** crewmux's runtime dir; port locks live in its `ports/`. */
  runtimeDir: string;
  /** Environment the setup and teardown commands start from (the user's, minus CREWMUX_*). */
  baseEnv: Record<string, string>;
}

export interface PrepareInput {
  /** The new worktree. */
  path: string;
  role: 'worker' | 'integration' | 'pool';
  /** The user's checkout: where included files and cloned folders come from. */
  sourceRoot: string;
  /** CREWMUX_WORKTREE_SLUG (core/worktrees/bootstrap.ts worktreeSlug). */
  slug: string;
  /** Setup output is appended here (the worker's pane log, or a log of its own). */
  logFile: string;
  /**
   * Whether the user's checkout uses `.env.local`, when `sourceRoot` is not that checkout (a node's worktree: the
   * lead host looked); default: whether `sourceRoot` has one.
   */
  sourceUsesEnvLocal?: boolean;
  /** Where each clone or link folder comes from instead of `sourceRoot/<folder>` (a worker node's cache). */
  cloneSources?: Record<string, string>;
}

export interface SetupOutcome {
  source: SetupPlan['source'];
  ok: boolean;
  /** The command that failed, its exit code (null: killed) and whether the timeout killed it. */
  failed?: { command: string; exitCode: number | null; timedOut: boolean };
  /** The last lines of the setup output (ANSI stripped), for the lead when it failed. */
  tail: string;
}

export interface PreparedWorktree {
  phases: BootstrapPhase[];
  /** CREWMUX_PORT and CREWMUX_WORKTREE_SLUG: exported to setup and the agent, named in the worker's prompt. */
  env: Record<string, string>;
  include: IncludeResult;
  clone: { folder: string; method: CloneMethod; why: string }[];
  setup: SetupOutcome;
}

/** Where a session's worktree port locks live. */
export function portLockDir(runtimeDir: string): string {
  return join(runtimeDir, 'ports');
}

/** The variables conductor.json scripts expect, for a worktree at `path` with port `port`. */
function conductorEnv(sourceRoot: string, port: string): Record<string, string> {
  return { CONDUCTOR_ROOT_PATH: sourceRoot, CONDUCTOR_PORT: port };
}

/** Runs `commands` in `cwd` one after another (shell), output appended to `logFile`; stops at the first failure. */
async function runCommands(
  s: BootstrapServices,
  commands: string[],
  cwd: string,
  env: Record<string, string>,
  logFile: string,
  label: string,
): Promise<SetupOutcome['failed']> {
  const timeoutMs = (s.config.worktree?.setupTimeout ?? 300) * 1000;
  for (const command of commands) {
    appendText(logFile, `--- crewmux ${label}: ${command}\n`);
    const r = await s.runner.execToFile(command, [], { cwd, env, outputFile: logFile, timeoutMs, shell: true });
    if (r.exitCode !== 0) {
      appendText(logFile, `--- crewmux ${label} failed: ${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}\n`);
      return { command, exitCode: r.exitCode, timedOut: r.timedOut };
    }
  }
  return undefined;
}

/**
 * Makes the worktree at `input.path` ready to work in: include (files matching `.worktreeinclude` that git ignores),
 * clone (`worktree.clone` folders copy-on-write where the file system can, else copied; `worktree.link` ones
 * symlinked), env (a stable port block held by a lock, the slug, `.env.local`'s managed block when the repo uses one)
 * and setup (`worktree.setup`, else conductor.json's `scripts.setup`, each with `worktree.setupTimeout`). Include,
 * clone and env failures throw (the caller rolls back); a setup failure is returned in `setup` (ok false, tail).
 */
export async function prepareWorktree(s: BootstrapServices, input: PrepareInput): Promise<PreparedWorktree> {
  const phases: BootstrapPhase[] = [];
  const timed = async <T>(name: BootstrapPhase['name'], run: () => Promise<T>, how: (r: T) => string) => {
    const t0 = performance.now();
    const r = await run();
    phases.push({ name, ms: Math.round((performance.now() - t0) * 10) / 10, how: how(r) });
    return r;
  };
  const wt = s.config.worktree ?? {};

  const include = await timed(
    'include',
    () => s.files.copyIncluded(input.sourceRoot, input.path),
    (r) =>
      `${r.copied.length} file(s) from .worktreeinclude` +
      (r.skipped.length ? `; skipped ${r.skipped.map((x) => `${x.path} (${x.why})`).join(', ')}` : ''),
  );

  const clone = await timed(
    'clone',
    async () => {
      const out: PreparedWorktree['clone'] = [];
      const entries = [
        ...(wt.clone ?? []).map((folder) => ({ folder, link: false })),
        ...(wt.link ?? []).map((folder) => ({ folder, link: true })),
      ];
      for (const { folder, link } of entries) {
        const src = input.cloneSources?.[folder] ?? join(input.sourceRoot, folder);
        if (!s.files.exists(src)) continue;
        const { method, why } = link
          ? { method: 'link' as const, why: 'worktree.link asks for a symlink' }
          : await s.files.cloneMethod(src, input.path);
        await s.files.cloneDir(src, join(input.path, folder), method);
        out.push({ folder, method, why });
      }
      return out;
    },
    (r) => (r.length ? r.map((c) => `${c.folder} by ${c.method}: ${c.why}`).join('; ') : 'nothing to clone'),
  );

  const env = await timed(
    'env',
    async () => {
      const port = await s.files.reservePorts(portLockDir(s.runtimeDir), input.path);
      const vars = { CREWMUX_PORT: String(port), CREWMUX_WORKTREE_SLUG: input.slug };
      const envLocal = join(input.path, '.env.local');
      const usesEnvLocal =
        s.files.exists(envLocal) || (input.sourceUsesEnvLocal ?? s.files.exists(join(input.sourceRoot, '.env.local')));
      if (usesEnvLocal) s.files.writeEnvBlock(envLocal, vars);
      return { vars, usesEnvLocal };
    },
    (r) =>
      `CREWMUX_PORT=${r.vars.CREWMUX_PORT} (${r.vars.CREWMUX_PORT}-${Number(r.vars.CREWMUX_PORT) + 9}), ` +
      `CREWMUX_WORKTREE_SLUG=${r.vars.CREWMUX_WORKTREE_SLUG}${r.usesEnvLocal ? ', .env.local block written' : ''}`,
  );

  const plan = setupPlan(wt.setup, s.conductorSetup);
  const setup = await timed(
    'setup',
    async (): Promise<SetupOutcome> => {
      if (!plan.commands.length) return { source: plan.source, ok: true, tail: '' };
      const cmdEnv = {
        ...s.baseEnv,
        ...env.vars,
        ...(plan.conductor ? conductorEnv(input.sourceRoot, env.vars.CREWMUX_PORT) : {}),
      };
      const start = fileSize(input.logFile);
      const failed = await runCommands(s, plan.commands, input.path, cmdEnv, input.logFile, `setup (${plan.source})`);
      const size = fileSize(input.logFile);
      const from = Math.max(start, size - 8192);
      const tail = tailLines(stripAnsi(readFrom(input.logFile, from, 8192).text), 20);
      return { source: plan.source, ok: !failed, failed, tail };
    },
    (r) =>
      r.source === 'none'
        ? 'no setup configured'
        : `${plan.commands.length} command(s) from ${r.source}: ${r.ok ? 'ok' : `FAILED (${r.failed?.timedOut ? 'timed out' : `exit ${r.failed?.exitCode}`})`}`,
  );

  return { phases, env: env.vars, include, clone, setup };
}

/**
 * Runs `worktree.teardown` in the worktree at `path` (with its CREWMUX_PORT and slug), output appended to
 * `logFile`, then releases its port block. Never throws: a failure is in the result (the worktree still goes).
 */
export async function teardownWorktree(
  s: BootstrapServices,
  input: { path: string; slug: string; logFile: string },
): Promise<{ ran: number; failed?: { command: string; exitCode: number | null; timedOut: boolean }; error?: string }> {
  const commands = s.config.worktree?.teardown ?? [];
  const lockDir = portLockDir(s.runtimeDir);
  try {
    if (!commands.length || !s.files.exists(input.path)) return { ran: 0 };
    const port = await s.files.reservePorts(lockDir, input.path);
    const env = { ...s.baseEnv, CREWMUX_PORT: String(port), CREWMUX_WORKTREE_SLUG: input.slug };
    const failed = await runCommands(s, commands, input.path, env, input.logFile, 'teardown');
    return { ran: commands.length, failed };
  } catch (e) {
    return { ran: 0, error: (e as Error).message };
  } finally {
    s.files.releasePorts(lockDir, input.path);
  }
}

/** One line for the event log and `status`: each phase with its time and what it did. */
export function describePrepared(p: PreparedWorktree): string {
  return p.phases.map((ph) => `${ph.name} ${ph.ms} ms (${ph.how})`).join('; ');
}
