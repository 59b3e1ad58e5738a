/**
 * The git adapter's revParse reads a branch with a slash (crewmux's own) from its loose ref file, without starting
 * git, and still answers exactly what `git rev-parse --verify REF^{commit}` does: a tag or a `refs/NAME` that git
 * would find first, loose or packed, and a branch that is only packed go to git.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/adapters/git/git.js';
import { createRepo, createTestEnv, git } from '../helpers/env.js';

const BRANCH = 'crewmux/s1test/integration';

/** A git that logs each command's arguments to `log` before running the real one. */
function countingGit(dir: string, log: string): string {
  const bin = join(dir, 'git-logged');
  writeFileSync(bin, `#!/bin/sh\necho "$*" >> '${log}'\nexec git "$@"\n`);
  chmodSync(bin, 0o700);
  return bin;
}

const calls = (log: string) => {
  try {
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

test('revParse of a crewmux branch: read from its loose ref without git after the first call, and follows commits', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    git(repo, 'branch', BRANCH);
    const log = join(t.dir, 'git.log');
    const g = createGit({ binary: countingGit(t.dir, log) });
    assert.equal(await g.revParse(repo, BRANCH), git(repo, 'rev-parse', BRANCH));
    const first = calls(log).length;
    // A commit on the branch (as merge_worker makes in the integration worktree) is seen at once.
    git(repo, 'checkout', '-q', BRANCH);
    writeFileSync(join(repo, 'b.txt'), 'two\n');
    git(repo, 'add', 'b.txt');
    git(repo, 'commit', '-q', '-m', 'two');
    assert.equal(await g.revParse(repo, BRANCH), git(repo, 'rev-parse', 'HEAD'));
    assert.equal(await g.revParse(repo, BRANCH), git(repo, 'rev-parse', 'HEAD'));
    assert.equal(calls(log).length, first, `no git after the first call: ${calls(log).join('; ')}`);
    // Other refs still go to git.
    assert.equal(await g.revParse(repo, 'HEAD~1'), git(repo, 'rev-parse', 'HEAD~1'));
    assert.equal(calls(log).length, first + 1);
  } finally {
    t.cleanup();
  }
});

test('revParse answers as git does when a tag of the same name shadows the branch, loose or packed, or the branch is packed', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n' });
    const first = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'branch', BRANCH);
    writeFileSync(join(repo, 'b.txt'), 'two\n');
    git(repo, 'add', 'b.txt');
    git(repo, 'commit', '-q', '-m', 'two');
    const g = createGit();
    // Only packed: no loose file to read.
    git(repo, 'pack-refs', '--all');
    assert.equal(await g.revParse(repo, BRANCH), first);
    // A loose branch ref again, and a loose tag of the same name that git prefers.
    git(repo, 'branch', '-f', BRANCH, 'HEAD');
    git(repo, 'tag', BRANCH, first);
    assert.equal(git(repo, 'rev-parse', `${BRANCH}^{commit}`), first);
    assert.equal(await g.revParse(repo, BRANCH), first);
    // The same tag, only packed.
    git(repo, 'pack-refs', '--all');
    git(repo, 'branch', '-f', BRANCH, 'HEAD');
    assert.equal(await g.revParse(repo, BRANCH), first);
    git(repo, 'tag', '-d', BRANCH);
    assert.equal(await g.revParse(repo, BRANCH), git(repo, 'rev-parse', 'HEAD'));
    await assert.rejects(g.revParse(repo, 'crewmux/s1test/none'));
  } finally {
    t.cleanup();
  }
});

test('repoRoot: the work tree root and the common git dir in one git call (from a subfolder or a linked worktree)', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'sub/a.txt': 'one\n' });
    const linked = join(t.dir, 'linked');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', linked);
    const log = join(t.dir, 'git.log');
    const g = createGit({ binary: countingGit(t.dir, log) });
    const common = join(realpathSync(repo), '.git');
    assert.deepEqual(await g.repoRoot(join(repo, 'sub')), { root: realpathSync(repo), commonDir: common });
    assert.equal(calls(log).length, 1, calls(log).join('; '));
    assert.deepEqual(await g.repoRoot(linked), { root: realpathSync(linked), commonDir: common });
    assert.equal(await g.repoRoot(t.dir), undefined, 'outside a work tree');
    assert.equal(await g.repoRoot(join(repo, '.git')), undefined, 'inside the git dir');
    const info = await g.repoInfo(join(repo, 'sub'));
    assert.deepEqual(info, {
      root: realpathSync(repo),
      commonDir: common,
      hasCommits: true,
      head: git(repo, 'rev-parse', 'HEAD'),
      branch: git(repo, 'symbolic-ref', '--short', 'HEAD'),
    });
  } finally {
    t.cleanup();
  }
});

test('repoRootGuess: what repoRoot answers, from the .git files and without git; undefined where it could differ', async () => {
  const t = createTestEnv();
  try {
    const repo = realpathSync(createRepo(t, { 'sub/deep/a.txt': 'one\n' }));
    const linked = join(realpathSync(t.dir), 'linked');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', linked);
    mkdirSync(join(linked, 'sub', 'new'), { recursive: true });
    const log = join(t.dir, 'git.log');
    const g = createGit({ binary: countingGit(t.dir, log), env: {} });
    for (const cwd of [repo, join(repo, 'sub', 'deep'), linked, join(linked, 'sub', 'new')]) {
      const guess = g.repoRootGuess(cwd);
      assert.ok(guess, cwd);
      assert.equal(calls(log).length, 0, 'no git process');
      assert.deepEqual(guess, await g.repoRoot(cwd), cwd);
      writeFileSync(log, '');
    }
    assert.equal(g.repoRootGuess(join(repo, '.git')), undefined, 'inside the git dir');
    assert.equal(g.repoRootGuess(join(repo, '.git', 'objects')), undefined, 'inside the git dir');
    assert.equal(createGit({ env: { GIT_DIR: join(repo, '.git') } }).repoRootGuess(linked), undefined, 'GIT_DIR set');
    const plain = join(t.dir, 'plain');
    mkdirSync(plain);
    assert.equal(g.repoRootGuess(plain), await g.repoRoot(plain), 'outside a repository');
  } finally {
    t.cleanup();
  }
});
