/**
 * A pool worktree handed to a worker without starting git (src/adapters/git/git-refs.ts): the branch, the worktree's HEAD
 * and their reflogs come out as `git update-ref` + `git symbolic-ref` leave them, on a real repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/adapters/git/git.js';
import { createRepo, createTestEnv, git } from '../helpers/env.js';

test('a pool worktree is handed over with no git process: branch, HEAD and reflogs as git leaves them', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    // A git that logs each start, then runs the real one.
    const log = join(t.dir, 'git-starts.log');
    writeFileSync(log, '');
    const binary = join(t.dir, 'git-counting');
    writeFileSync(binary, `#!/bin/sh\necho "$*" >> '${log}'\nexec git "$@"\n`);
    chmodSync(binary, 0o700);
    const starts = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const g = createGit({ binary });
    const head = git(repo, 'rev-parse', 'main');
    const wt = join(t.dir, 'pool-1');
    await g.addWorktree(repo, wt, 'crewmux/s1/pool-1', 'main');
    // The committer's identity is asked once, when the first hand-over waits for it.
    await g.checkoutNewBranchAt(wt, 'crewmux/s1/w01-implementer', head);
    const before = starts().length;
    const wt2 = join(t.dir, 'pool-2');
    await g.addWorktree(repo, wt2, 'crewmux/s1/pool-2', 'main');
    const added = starts().length;
    await g.checkoutNewBranchAt(wt2, 'crewmux/s1/w02-tester', head);
    assert.deepEqual(starts().slice(added), [], 'no git process for the hand-over');
    assert.ok(added > before);
    for (const [w, b] of [
      [wt, 'crewmux/s1/w01-implementer'],
      [wt2, 'crewmux/s1/w02-tester'],
    ] as const) {
      assert.equal(git(w, 'symbolic-ref', '--short', 'HEAD'), b);
      assert.equal(git(w, 'rev-parse', 'HEAD'), head);
      assert.equal(git(w, 'status', '--porcelain'), '', 'no file changed');
      assert.match(git(repo, 'reflog', '-1', b), /branch: Created from/);
      assert.match(git(w, 'reflog', '-1', 'HEAD'), new RegExp(`checkout: moving to ${b}`));
    }
    assert.equal(git(repo, 'fsck', '--no-progress'), '');
    // A branch that exists (packed, here) is never taken over: git answers, and refuses.
    await g.addWorktree(repo, join(t.dir, 'pool-3'), 'crewmux/s1/pool-3', 'main');
    git(repo, 'branch', 'crewmux/s1/w03-tester');
    git(repo, 'pack-refs', '--all');
    await assert.rejects(g.checkoutNewBranchAt(join(t.dir, 'pool-3'), 'crewmux/s1/w03-tester', head), /exists/);
    assert.ok(!existsSync(join(repo, '.git', 'refs', 'heads', 'crewmux', 's1', 'w03-tester')), 'no loose ref written');
    assert.equal(git(repo, 'rev-parse', 'crewmux/s1/w03-tester'), head);
    // The pool branches are free to delete (checked out nowhere).
    await g.deleteBranch(repo, 'crewmux/s1/pool-1', true);
    await g.deleteBranch(repo, 'crewmux/s1/pool-2', true);
  } finally {
    t.cleanup();
  }
});
