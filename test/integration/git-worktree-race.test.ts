/**
 * Concurrent git commands in one repository, on real git. The worktree pool adds worktrees in the background, so
 * crewmux's own git commands (and the user's) meet git's race: a command that reads every worktree's admin files
 * dies while another is halfway through `git worktree add` (its `commondir` exists and is still empty). The git
 * adapter retries such a command, and a pool worktree is handed to a worker with commands that take only their own
 * locks (no `git branch -m`, which dies while another command holds the config lock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/adapters/git/git.js';
import { createRepo, createTestEnv, git, type TestEnv } from '../helpers/env.js';

/**
 * A repository with worktree `other` caught halfway through its `git worktree add` (an empty `commondir`), and a git
 * binary that finishes that add (writes `commondir`) after the first command that fails.
 */
function halfAddedWorktree(t: TestEnv): { repo: string; bin: string; failures: () => string[] } {
  const repo = createRepo(t, { 'a.txt': 'one\n' });
  git(repo, 'worktree', 'add', '-q', '-b', 'other', join(t.dir, 'other'));
  const commondir = join(repo, '.git', 'worktrees', 'other', 'commondir');
  writeFileSync(commondir, '');
  const log = join(t.dir, 'failed.log');
  const bin = join(t.dir, 'git-finishing');
  writeFileSync(
    bin,
    `#!/bin/sh\ngit "$@" 2>'${log}.err'\nrc=$?\nif [ $rc -ne 0 ]; then cat '${log}.err' >> '${log}'; printf '../..\\n' > '${commondir}'; fi\ncat '${log}.err' >&2\nexit $rc\n`,
  );
  chmodSync(bin, 0o700);
  return { repo, bin, failures: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

test('git worktree add, branch -D and worktree remove are retried while another worktree add is halfway', async () => {
  const t = createTestEnv();
  try {
    const { repo, bin, failures } = halfAddedWorktree(t);
    const g = createGit({ binary: bin });
    const wt = join(t.dir, 'w1');
    await g.addWorktree(repo, wt, 'crewmux/s1/w01-implementer', 'main');
    assert.match(failures().join('\n'), /failed to read .*commondir/, 'the first attempt met the race');
    assert.equal(git(wt, 'symbolic-ref', '--short', 'HEAD'), 'crewmux/s1/w01-implementer');
    assert.equal(git(repo, 'worktree', 'list', '--porcelain').includes(`worktree ${wt}\n`), true);

    // The same window again for removing a worktree and deleting a branch.
    writeFileSync(join(repo, '.git', 'worktrees', 'other', 'commondir'), '');
    await g.removeWorktree(repo, wt, true);
    writeFileSync(join(repo, '.git', 'worktrees', 'other', 'commondir'), '');
    await g.deleteBranch(repo, 'crewmux/s1/w01-implementer', true);
    assert.equal(failures().length >= 3, true, 'each command met the race once');
    assert.equal(existsSync(wt), false);
    assert.equal(git(repo, 'branch', '--list', 'crewmux/*'), '');
    assert.equal(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'main', "the user's checkout is untouched");
  } finally {
    t.cleanup();
  }
});

test('a pool worktree gets its worker branch while another git command holds the config lock', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    const g = createGit();
    const wt = join(t.dir, 'pool-1');
    await g.addWorktree(repo, wt, 'crewmux/s1/pool-1', 'main');
    const head = git(repo, 'rev-parse', 'main');
    // `git config`, `git branch -D` or `git remote` of the user's, at the same moment.
    writeFileSync(join(repo, '.git', 'config.lock'), '');
    await g.checkoutNewBranchAt(wt, 'crewmux/s1/w01-implementer', head);
    assert.equal(git(wt, 'symbolic-ref', '--short', 'HEAD'), 'crewmux/s1/w01-implementer');
    assert.equal(git(wt, 'rev-parse', 'HEAD'), head);
    assert.equal(git(wt, 'status', '--porcelain'), '', 'no file changed');
    assert.match(git(wt, 'reflog', '-1', 'crewmux/s1/w01-implementer'), /branch: Created from/);
    // Its pool branch is free to delete now (it is checked out nowhere).
    await g.deleteBranch(repo, 'crewmux/s1/pool-1', true);
    assert.equal(git(repo, 'branch', '--list', 'crewmux/s1/pool-1'), '');
  } finally {
    t.cleanup();
  }
});

test('four pool worktrees handed to workers at once, beside branch deletions: every hand-over succeeds', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    const g = createGit();
    const head = git(repo, 'rev-parse', 'main');
    for (let k = 1; k <= 4; k++) await g.addWorktree(repo, join(t.dir, `pool-${k}`), `crewmux/s1/pool-${k}`, 'main');
    for (let k = 1; k <= 4; k++) git(repo, 'branch', `crewmux/s1/old-${k}`);
    await Promise.all([
      ...[1, 2, 3, 4].map((k) => g.checkoutNewBranchAt(join(t.dir, `pool-${k}`), `crewmux/s1/w0${k}-tester`, head)),
      ...[1, 2, 3, 4].map((k) => g.deleteBranch(repo, `crewmux/s1/old-${k}`, true)),
    ]);
    for (let k = 1; k <= 4; k++) {
      assert.equal(git(join(t.dir, `pool-${k}`), 'symbolic-ref', '--short', 'HEAD'), `crewmux/s1/w0${k}-tester`);
      assert.match(git(repo, 'reflog', '-1', `crewmux/s1/w0${k}-tester`), /branch: Created from/);
    }
  } finally {
    t.cleanup();
  }
});

test('a branch that exists is never taken over: the hand-over fails and leaves both branches as they were', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    const g = createGit();
    const head = git(repo, 'rev-parse', 'main');
    await g.addWorktree(repo, join(t.dir, 'pool-1'), 'crewmux/s1/pool-1', 'main');
    git(repo, 'branch', 'crewmux/s1/w01-tester');
    await assert.rejects(g.checkoutNewBranchAt(join(t.dir, 'pool-1'), 'crewmux/s1/w01-tester', head), /exists/);
    assert.equal(git(repo, 'rev-parse', 'crewmux/s1/w01-tester'), head);
  } finally {
    t.cleanup();
  }
});
