/**
 * The node side's ops without ssh, on real git, tmux, files and processes (the integration tests of
 * src/app/nodes/serve-*.ts): a node data dir with its bare repository, the ops' dependencies as `crewmux node serve`
 * builds them, and worker.prepare's parameters.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createWorktreeFiles } from '../../src/adapters/git/worktree-files.js';
import { createGit } from '../../src/adapters/git/git.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createProcessRunner } from '../../src/adapters/process/process-runner.js';
import { createUsageFiles } from '../../src/adapters/usage/usage-files.js';
import type { NodeBootstrapDeps } from '../../src/app/nodes/serve-bootstrap.js';
import { git, type TestEnv } from './env.js';

/** A node's data dir under `t` whose bare repository `repoId` holds a base ref per worker, pushed from `repo`'s HEAD. */
export function nodeDataWithBases(
  t: TestEnv,
  o: { repo: string; repoId: string; sid: string; workers: readonly string[] },
): { dataDir: string; bare: string } {
  const dataDir = join(t.dir, 'node-data');
  const bare = join(dataDir, 'node', 'repos', `${o.repoId}.git`);
  mkdirSync(bare, { recursive: true });
  git(bare, 'init', '-q', '--bare');
  for (const w of o.workers) git(o.repo, 'push', '-q', bare, `HEAD:refs/heads/crewmux/${o.sid}/base-${w}`);
  return { dataDir, bare };
}

/** The node ops' dependencies: real adapters, tmux on `socket`, a runtime dir under `t`, `t.dir` as HOME. */
export function nodeOpsDeps(
  t: TestEnv,
  o: { dataDir: string; socket: string; userHome?: string },
): NodeBootstrapDeps & { runtimeDir: string } {
  return {
    dataDir: o.dataDir,
    tmux: createTmux({ socket: o.socket }),
    git: createGit(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.dir },
    userHome: o.userHome ?? t.dir,
    files: createWorktreeFiles(),
    runner: createProcessRunner(),
    usageFiles: createUsageFiles(),
    runtimeDir: join(t.dir, 'node-run'),
  };
}

/** worker.prepare's parameters for worker `w` of session `sid`: nothing included, no setup; `extra` adds the rest. */
export function prepareParams(
  sid: string,
  repoId: string,
  w: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: `${sid}/${w}`,
    repoId,
    branch: `crewmux/${sid}/${w}-implementer`,
    baseRef: `refs/heads/crewmux/${sid}/base-${w}`,
    slug: `crewmux_${sid}_${w}_implementer`,
    include: [],
    setup: { source: 'none', commands: [] },
    setupTimeoutS: 60,
    ...extra,
  };
}
