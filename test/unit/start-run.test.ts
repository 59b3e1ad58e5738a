/** startRun's rollback on the fakes: E_START_FAILED names whatever could not be undone. */
import { emptyRepoConfig } from '../../src/app/session/repo-config.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRequest, startRun } from '../../src/app/session/start-run.js';
import { resolvePaths } from '../../src/app/session/paths.js';
import { UserError } from '../../src/core/errors.js';
import type { AppServices } from '../../src/app/services.js';
import type { Preflight } from '../../src/app/setup/preflight.js';
import { createFakeTmux, type FakeTmux } from '../fakes/tmux.js';
import { createFakeGit, type FakeGit } from '../fakes/git.js';
import { createMemoryStore } from '../fakes/store.js';
import { createTestClock } from '../helpers/fake-runtime.js';

async function withContext(
  fn: (x: { ctx: AppServices; pre: Preflight; tmux: FakeTmux; git: FakeGit }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-startrun-'));
  const store = createMemoryStore();
  try {
    const git = createFakeGit({ root: join(dir, 'repo') });
    mkdirSync(join(dir, 'repo', '.git', 'info'), { recursive: true });
    const tmux = createFakeTmux();
    const env = {
      CREWMUX_DATA_DIR: join(dir, 'data'),
      CREWMUX_CONFIG_DIR: join(dir, 'config'),
      CREWMUX_RUNTIME_DIR: join(dir, 'run'),
    };
    const unused = () => {
      throw new Error('not used by startRun');
    };
    const clock = createTestClock();
    const ctx: AppServices = {
      env,
      cwd: git.root,
      paths: resolvePaths(env, dir, 1000),
      git,
      tmux,
      tmuxFor: () => tmux,
      store: () => store,
      crewmuxBin: '/crewmux.js',
      version: '0.0.0-test',
      clock,
      now: clock.now,
      attachTerminal: unused,
      readUserFile: unused,
      writeUserFile: unused,
      openRuntime: unused,
      close: () => undefined,
    };
    const repo = (await git.repoInfo(git.root))!;
    const pre: Preflight = {
      repo: { ...repo, head: repo.head! },
      config: {},
      agents: new Map(),
      lead: 'scripted-lead',
      workers: ['scripted-worker'],
      repoConfig: emptyRepoConfig(git.root),
      warnings: [],
    };
    await fn({ ctx, pre, tmux, git });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const request = () => runRequest({}, { goal: 'g', attach: false });

test('startRun: a tmux session that cannot be created is undone: integration worktree and branch removed', () =>
  withContext(async ({ ctx, pre, tmux, git }) => {
    tmux.failNext('newSession', new Error('server exited unexpectedly'));
    await assert.rejects(
      startRun(ctx, pre, request()),
      (e: Error) =>
        e instanceof UserError &&
        e.code === 'E_START_FAILED' &&
        e.message === 'The run could not be started: server exited unexpectedly' &&
        !/left behind/.test(e.hint),
    );
    assert.deepEqual([...git.worktrees.keys()], [git.root]);
    assert.deepEqual([...git.branches.keys()], ['main']);
    assert.equal(ctx.store().listSessions()[0]!.status, 'failed');
  }));

test('E_START_FAILED never claims nothing was left behind when a rollback step failed (regression)', () =>
  withContext(async ({ ctx, pre, tmux, git }) => {
    // Before: cleanup errors were swallowed and the hint said "nothing of the run was left behind".
    tmux.failNext('newSession', new Error('server exited unexpectedly'));
    git.fail.removeWorktree = new Error("fatal: cannot remove 'integration': Device or resource busy");
    const error = await startRun(ctx, pre, request()).then(
      () => undefined,
      (e: unknown) => e,
    );
    const [worktree, branch] = [...git.worktrees].find(([path]) => path !== git.root)!;
    assert.ok(error instanceof UserError);
    assert.equal(error.code, 'E_START_FAILED');
    assert.equal(
      error.message,
      `The run could not be started: server exited unexpectedly. Cleaning up failed too; left behind: ` +
        `worktree ${worktree} (fatal: cannot remove 'integration': Device or resource busy); branch ${branch} (error: Cannot delete branch '${branch}' checked out)`,
    );
    assert.doesNotMatch(error.hint, /nothing/);
    assert.match(error.hint, /git worktree remove --force/);
    assert.equal(git.branches.has(branch), true);
  }));
