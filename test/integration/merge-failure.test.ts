// A `git merge` that fails for a reason other than a conflict (a hook, a held lock) is reported with
// git's own words, not as "conflicts on (unknown files)", and leaves the integration branch as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/adapters/git/git.js';
import { createRepo, createTestEnv, git, type TestEnv } from '../helpers/env.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import { mergeWorker } from '../../src/app/integration/merge.js';

/** A repo with an integration worktree on `crewmux/int` and a worker branch one commit ahead of it. */
function setup(t: TestEnv) {
  const repo = createRepo(t);
  const integration = join(t.dir, 'integration');
  git(repo, 'worktree', 'add', '-q', '-b', 'crewmux/int', integration, 'main');
  git(repo, 'checkout', '-q', '-b', 'crewmux/w1', 'main');
  writeFileSync(join(repo, 'feature.txt'), 'from the worker\n');
  git(repo, 'add', 'feature.txt');
  git(repo, 'commit', '-q', '-m', 'worker change');
  git(repo, 'checkout', '-q', 'main');
  return { repo, integration, before: git(integration, 'rev-parse', 'HEAD') };
}

/** The integration worktree is exactly as it was: same head, no merge in progress, nothing dirty. */
function assertUnchanged(integration: string, before: string): void {
  assert.equal(git(integration, 'rev-parse', 'HEAD'), before);
  assert.equal(existsSync(git(integration, 'rev-parse', '--path-format=absolute', '--git-path', 'MERGE_HEAD')), false);
  assert.equal(git(integration, 'status', '--porcelain'), '');
}

test("a merge refused by a failing pre-merge-commit hook reports the hook's words, not conflicts", async () => {
  const t = createTestEnv();
  try {
    const { repo, integration, before } = setup(t);
    const hook = join(repo, '.git', 'hooks', 'pre-merge-commit');
    writeFileSync(hook, '#!/bin/sh\necho "policy: merges into crewmux/int are frozen" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const r = await createGit().merge(integration, 'crewmux/w1', 'crewmux: merge w1');
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.kind === 'failed', `expected kind failed, got ${JSON.stringify(r)}`);
    assert.match(r.detail, /policy: merges into crewmux\/int are frozen/);
    assert.doesNotMatch(r.detail, /unknown files/);
    assertUnchanged(integration, before);
  } finally {
    t.cleanup();
  }
});

test("a merge blocked by a held index.lock reports git's lock message, not conflicts", async () => {
  const t = createTestEnv();
  try {
    const { integration, before } = setup(t);
    const lock = git(integration, 'rev-parse', '--path-format=absolute', '--git-path', 'index.lock');
    writeFileSync(lock, '');
    const r = await createGit().merge(integration, 'crewmux/w1', 'crewmux: merge w1');
    assert.ok(!r.ok && r.kind === 'failed', `expected kind failed, got ${JSON.stringify(r)}`);
    // git 2.39 says "error: Unable to write index."; other versions name the lock file.
    assert.match(r.detail, /Unable to write index|index\.lock/);
    assert.doesNotMatch(r.detail, /unknown files/);
    assert.equal(git(integration, 'rev-parse', 'HEAD'), before);
    assert.equal(existsSync(lock), true, 'the lock belongs to someone else and is left alone');
  } finally {
    t.cleanup();
  }
});

test("mergeWorker on real git: a hook's refusal is worker.merge_failed with git's words; the worker stays done and merges once the hook is gone", async () => {
  const t = createTestEnv();
  // Real git under the use case; tmux, the runner and the store are the fakes.
  const f = await createFakeRuntime();
  try {
    const repo = createRepo(t);
    const worktrees = join(t.dir, 'worktrees');
    const integration = join(worktrees, 'integration');
    git(repo, 'worktree', 'add', '-q', '-b', f.rt.integrationBranch, integration, 'main');
    Object.assign(f.rt, {
      git: createGit(),
      repoRoot: repo,
      worktreesDir: worktrees,
      integrationWorktree: integration,
    });
    const { worker: w } = await spawnWorker(f.rt, { task: 'add a feature' });
    writeFileSync(join(w.worktree, 'feature.txt'), 'from the worker\n');
    git(w.worktree, 'add', 'feature.txt');
    git(w.worktree, 'commit', '-q', '-m', 'worker change');
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'feature added' }, 'mcp');
    const before = git(integration, 'rev-parse', 'HEAD');
    const hook = join(repo, '.git', 'hooks', 'pre-merge-commit');
    writeFileSync(hook, '#!/bin/sh\necho "policy: merges into the integration branch are frozen" >&2\nexit 1\n');
    chmodSync(hook, 0o755);

    const r = await mergeWorker(f.rt, w.id);
    assert.ok(!r.merged && 'failed' in r, `expected a failure, got ${JSON.stringify(r)}`);
    assert.match(r.failed, /policy: merges into the integration branch are frozen/);
    const ev = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'worker.merge_failed');
    assert.equal(ev.length, 1);
    assert.match(
      ev[0]!.message,
      new RegExp(
        `^merging ${w.id} into ${f.rt.integrationBranch} failed: .*policy: merges into the integration branch are frozen`,
        's',
      ),
    );
    assert.deepEqual(
      f.eventTypes().filter((x) => x === 'worker.merge_conflict'),
      [],
    );
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
    assertUnchanged(integration, before);

    rmSync(hook);
    const again = await mergeWorker(f.rt, w.id);
    assert.ok(again.merged);
    assert.equal(git(integration, 'rev-parse', 'HEAD'), again.commit);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'merged');
  } finally {
    f.cleanup();
    t.cleanup();
  }
});
