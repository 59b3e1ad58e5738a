/**
 * The bootstrap (prepare.ts) applied to a session's worktrees: a worker's (from spawn_worker, its env kept for a
 * restart) and the integration worktree where verify runs (once per session, joined by every verify, recorded so a
 * resumed supervisor does not redo it). Off when the Runtime has no WorktreeFiles (unit tests on fakes).
 */
import { basename, join } from 'node:path';
import { z } from 'zod';
import { readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import { worktreeSlug } from '../../core/worktrees/bootstrap.js';
import {
  describePrepared,
  prepareWorktree,
  teardownWorktree,
  type BootstrapServices,
  type PreparedWorktree,
} from './prepare.js';
import { workerDir, type Runtime } from '../runtime.js';

const EnvSchema = z.record(z.string(), z.string());

/** The bootstrap services of `rt`, or undefined when it has no WorktreeFiles (then worktrees are not bootstrapped). */
export function bootstrapServices(rt: Runtime): BootstrapServices | undefined {
  if (!rt.worktreeFiles) return undefined;
  return {
    files: rt.worktreeFiles,
    runner: rt.runner,
    config: rt.config,
    conductorSetup: rt.conductorSetup,
    runtimeDir: rt.paths.runtimeDir,
    baseEnv: rt.baseEnv,
  };
}

/** CREWMUX_WORKTREE_SLUG of the session worktree at `path` (`w1-implementer`, `integration`). */
export function slugOf(rt: Runtime, path: string): string {
  return worktreeSlug(rt.sid, basename(path));
}

function envFile(rt: Runtime, workerId: string): string {
  return join(workerDir(rt, workerId), 'worktree-env.json');
}

/**
 * Bootstraps worker `workerId`'s new worktree (setup output into `logFile`, its pane log), records its env for
 * restarts and logs a `bootstrap.prepared` event; undefined when bootstrapping is off.
 */
export async function prepareWorkerWorktree(
  rt: Runtime,
  workerId: string,
  path: string,
  logFile: string,
): Promise<PreparedWorktree | undefined> {
  const s = bootstrapServices(rt);
  if (!s) return undefined;
  const p = await prepareWorktree(s, {
    path,
    role: 'worker',
    sourceRoot: rt.repoRoot,
    slug: slugOf(rt, path),
    logFile,
  });
  writeFileAtomic(envFile(rt, workerId), JSON.stringify(p.env) + '\n');
  rt.events.emit('bootstrap.prepared', `${workerId} worktree ready: ${describePrepared(p)}`, workerId, {
    role: 'worker',
    phases: p.phases,
    clone: p.clone,
    included: p.include.copied.length,
    skipped: p.include.skipped,
  });
  return p;
}

/**
 * Bootstraps a worktree pool entry at `path` ahead of any spawn (include, clone, env, setup; setup output in the
 * session's `pool-setup.log`). Throws when its setup fails, so the pool drops it and a spawn bootstraps its own
 * worktree (and reports `setup_failed` there). Undefined when bootstrapping is off.
 */
export async function preparePoolWorktree(rt: Runtime, path: string): Promise<PreparedWorktree | undefined> {
  const s = bootstrapServices(rt);
  if (!s) return undefined;
  const p = await prepareWorktree(s, {
    path,
    role: 'pool',
    sourceRoot: rt.repoRoot,
    slug: slugOf(rt, path),
    logFile: join(rt.sessionDir, 'pool-setup.log'),
  });
  if (!p.setup.ok) throw new Error(`its setup failed (${p.setup.failed?.command ?? 'setup'}): ${p.setup.tail}`);
  return p;
}

/** Runs `worktree.teardown` in pool entry `path` before the pool removes it (output in `pool-setup.log`); never throws. */
export async function teardownPoolWorktree(rt: Runtime, path: string): Promise<void> {
  const s = bootstrapServices(rt);
  if (!s) return;
  const logFile = join(rt.sessionDir, 'pool-setup.log');
  const r = await teardownWorktree(s, { path, slug: slugOf(rt, path), logFile });
  if (r.failed || r.error)
    rt.events.emit(
      'bootstrap.teardown_failed',
      `teardown of pool worktree ${path} failed: ${r.error ?? `"${r.failed!.command}" ${r.failed!.timedOut ? 'timed out' : `exited ${r.failed!.exitCode}`}`} (removed anyway; output in ${logFile})`,
    );
}

/**
 * Gives worker `workerId` the pool worktree at `path`, bootstrapped ahead as `p`: records its env for restarts and logs
 * `bootstrap.prepared` with the pool's phases (nothing runs now).
 */
export function adoptPooledWorktree(
  rt: Runtime,
  workerId: string,
  path: string,
  p: PreparedWorktree,
): PreparedWorktree {
  writeFileAtomic(envFile(rt, workerId), JSON.stringify(p.env) + '\n');
  rt.events.emit(
    'bootstrap.prepared',
    `${workerId} worktree ready (from the pool, ${path}): ${describePrepared(p)}`,
    workerId,
    {
      role: 'worker',
      pooled: true,
      phases: p.phases,
      clone: p.clone,
      included: p.include.copied.length,
      skipped: p.include.skipped,
    },
  );
  return p;
}

/** Records worker `workerId`'s CREWMUX_PORT / CREWMUX_WORKTREE_SLUG (a node worker's, as its node reserved them). */
export function recordWorkerWorktreeEnv(rt: Runtime, workerId: string, env: Record<string, string>): void {
  writeFileAtomic(envFile(rt, workerId), JSON.stringify(env) + '\n');
}

/** The CREWMUX_PORT / CREWMUX_WORKTREE_SLUG a worker's agent gets (recorded at spawn); empty when there are none. */
export function workerWorktreeEnv(rt: Runtime, workerId: string): Record<string, string> {
  const text = readIfExists(envFile(rt, workerId));
  if (text === undefined) return {};
  try {
    return EnvSchema.parse(JSON.parse(text));
  } catch {
    return {};
  }
}

const IntegrationRecord = z.object({ env: EnvSchema, ok: z.boolean(), tail: z.string() });
export type IntegrationBootstrap = z.infer<typeof IntegrationRecord>;

/**
 * Bootstraps the integration worktree once per session (include, clone, env, setup; output in the session's
 * `integration-setup.log`), so verify runs where git-ignored dependencies are present. Concurrent callers share one
 * run; a resumed supervisor reads the record instead of redoing it. Never rejects: a failure is `ok: false` with the
 * output tail. Undefined when bootstrapping is off.
 */
export function prepareIntegrationWorktree(rt: Runtime): Promise<IntegrationBootstrap | undefined> {
  const s = bootstrapServices(rt);
  if (!s) return Promise.resolve(undefined);
  rt.integrationPrepared ??= (async () => {
    const record = join(rt.sessionDir, 'integration-bootstrap.json');
    const known = readIfExists(record);
    if (known !== undefined) {
      try {
        return IntegrationRecord.parse(JSON.parse(known));
      } catch {
        /* unreadable: report it as not ready below */
      }
      return { env: {}, ok: false, tail: `${record} is unreadable` };
    }
    let out: IntegrationBootstrap;
    try {
      const p = await prepareWorktree(s, {
        path: rt.integrationWorktree,
        role: 'integration',
        sourceRoot: rt.repoRoot,
        slug: slugOf(rt, rt.integrationWorktree),
        logFile: join(rt.sessionDir, 'integration-setup.log'),
      });
      rt.events.emit('bootstrap.prepared', `integration worktree ready: ${describePrepared(p)}`, null, {
        role: 'integration',
        phases: p.phases,
        clone: p.clone,
        included: p.include.copied.length,
        skipped: p.include.skipped,
        setupOk: p.setup.ok,
      });
      out = { env: p.env, ok: p.setup.ok, tail: p.setup.tail };
    } catch (e) {
      out = { env: {}, ok: false, tail: (e as Error).message };
      rt.events.emit('bootstrap.prepared', `integration worktree bootstrap FAILED: ${(e as Error).message}`, null, {
        role: 'integration',
        error: (e as Error).message,
      });
    }
    writeFileAtomic(record, JSON.stringify(out) + '\n');
    return out;
  })();
  return rt.integrationPrepared;
}
