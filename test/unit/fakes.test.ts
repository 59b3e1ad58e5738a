/** The fakes keep state like the systems they stand for (test/fakes/): what other unit tests rely on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeTmux } from '../fakes/tmux.js';
import { createFakeGit } from '../fakes/git.js';
import { createFakeRunner } from '../fakes/process-runner.js';
import { createMemoryStore } from '../fakes/store.js';

test('fake tmux: ids like tmux, remain-on-exit keeps a dead pane, calls recorded, failures injected', async () => {
  const tmux = createFakeTmux();
  const lead = await tmux.newSession('s', 'lead', { cwd: '/w', command: 'lead' });
  assert.deepEqual(lead, { paneId: '%0', windowId: '@0' });
  const other = await tmux.newWindow('s', 'other', { cwd: '/w', command: 'x' });
  await tmux.setWindowOption('@0', 'remain-on-exit', 'on');
  const split = await tmux.splitWindow('@0', { cwd: '/w2', command: 'agent' });
  assert.equal(split, '%2');
  tmux.exitPane(split, 3);
  tmux.exitPane(other.paneId, 0);
  const panes = await tmux.listPanes('s');
  assert.deepEqual(
    panes.map((p) => [p.paneId, p.windowName, p.dead, p.deadStatus]),
    [
      ['%0', 'lead', false, null],
      ['%2', 'lead', true, 3],
    ],
  );
  assert.deepEqual(await tmux.listPanes('nosuch'), []);
  tmux.failNext('listPanes', new Error('timed out'));
  await assert.rejects(tmux.listPanes('s'), /timed out/);
  assert.equal((await tmux.listPanes('s')).length, 2);
  assert.deepEqual(tmux.calls.slice(0, 4), [
    ['newSession', 's', 'lead', '/w'],
    ['newWindow', 's', 'other', '/w'],
    ['setWindowOption', '@0', 'remain-on-exit', 'on'],
    ['splitWindow', '@0', '/w2'],
  ]);
  await tmux.setBuffer('b', 'hello');
  await tmux.pasteBuffer('b', '%0');
  assert.equal(await tmux.capturePane('%0'), 'hello');
  // Enter submits the paste like an input box: the text moves above, the screen before the paste is back below.
  await tmux.sendKeys('%0', 'Enter');
  assert.equal(await tmux.capturePane('%0'), '> hello\n');
  await tmux.sendKeys('%0', 'Enter');
  assert.equal(await tmux.capturePane('%0'), '> hello\n\n');
  await tmux.sendKeys('%0', 'C-c');
  assert.equal(tmux.pane('%0')!.dead, true);
  assert.equal(tmux.pane('%0')!.deadStatus, 130);
});

test('fake git: worktrees and branches, merges move the branch, scripted conflicts leave it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-fakegit-'));
  try {
    const git = createFakeGit({ root: join(dir, 'repo') });
    await git.addWorktree(git.root, join(dir, 'int'), 'int', 'main');
    await git.addWorktree(git.root, join(dir, 'w1'), 'w1', 'int');
    git.commit('w1', 'work', ['a.ts']);
    git.setDirty(join(dir, 'w1'), ['b.ts', '.crewmux/done.flag']);
    const snap = await git.snapshotCommit(join(dir, 'w1'), 'snapshot', ['.crewmux/done.flag']);
    assert.equal(git.commitInfo(snap!)!.files.join(), 'b.ts');
    assert.equal(await git.commitsAhead(git.root, 'int', 'w1'), 2);
    assert.match((await git.diff(git.root, 'int', 'w1')).shortstat, /2 files changed/);
    git.scriptMerge('w1', { kind: 'conflict', files: ['a.ts'] });
    const before = git.resolve('int');
    assert.deepEqual(await git.merge(join(dir, 'int'), 'w1', 'm'), {
      ok: false,
      kind: 'conflict',
      conflicts: ['a.ts'],
      detail: 'CONFLICT (content): Merge conflict in a.ts',
    });
    assert.equal(git.resolve('int'), before);
    const merged = await git.merge(join(dir, 'int'), 'w1', 'm');
    assert.ok(merged.ok);
    assert.equal(git.resolve('int'), merged.commit);
    assert.equal(await git.isAncestor(git.root, 'w1', 'int'), true);
    assert.equal(await git.commitsAhead(git.root, 'int', 'w1'), 0);
    await git.removeWorktree(git.root, join(dir, 'w1'), true);
    // Like `git branch -d`: merged means merged into the checked-out HEAD (main), not into int.
    await assert.rejects(git.deleteBranch(git.root, 'w1'), /not fully merged/);
    await git.deleteBranch(git.root, 'w1', true);
    assert.equal(await git.branchExists(git.root, 'w1'), false);
    await assert.rejects(git.revParse(git.root, 'w1'), /bad revision/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fake runner: scripted argv, unscripted commands are not found, killTree ends a tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-fakerun-'));
  try {
    const runner = createFakeRunner();
    runner.script(['npm', 'test'], { exitCode: 1, output: '1 failing\n' });
    const r = await runner.execToFile('npm', ['test'], { cwd: dir, outputFile: join(dir, 'out'), timeoutMs: 1000 });
    assert.deepEqual(r, { exitCode: 1, timedOut: false, durationMs: 1 });
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), '1 failing\n');
    await assert.rejects(runner.exec('nope', []), /nope exited 127/);
    const root = runner.spawnProcess();
    const child = runner.spawnProcess(root);
    const other = runner.spawnProcess();
    await runner.killTree(root, 500);
    assert.deepEqual([runner.isAlive(root), runner.isAlive(child), runner.isAlive(other)], [false, false, true]);
    assert.deepEqual(runner.kills, [{ pid: root, graceMs: 500 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memory store: the real SQLite adapter on :memory:', () => {
  const store = createMemoryStore(() => 42);
  assert.deepEqual(store.listSessions(), []);
  assert.throws(() => store.reserveWorkerNumber('nosuch'), /no session/);
  store.close();
});
