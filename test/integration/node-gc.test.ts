/**
 * The node side's clean-up ops (app/nodes/serve-gc.ts) on real git: `worktrees.list` names a worker worktree with
 * its repository and branch heads; `worker.remove` keeps it while its agent runs, while the lead host lacks a commit
 * of its branch, or while work is uncommitted there (each with its reason), and otherwise removes the worktree, its
 * branches and base ref in the bare repository, its state dir and the session's empty dirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGit } from '../../src/adapters/git/git.js';
import { nodeGcMethods } from '../../src/app/nodes/serve-gc.js';
import { createWorktreeFiles } from '../../src/adapters/git/worktree-files.js';
import { createProcessRunner } from '../../src/adapters/process/process-runner.js';
import { createFakeTmux } from '../fakes/tmux.js';
import { createRepo, createTestEnv } from '../helpers/env.js';

const g = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

test('worker.remove keeps what only the node has and removes the rest; worktrees.list names what is there', async () => {
  const t = createTestEnv();
  try {
    const lead = createRepo(t, { 'a.txt': 'one\n' });
    const dataDir = join(t.dir, 'node-data');
    const repoId = '0123456789abcdef';
    const bare = join(dataDir, 'node', 'repos', `${repoId}.git`);
    mkdirSync(bare, { recursive: true });
    g(bare, 'init', '-q', '--bare');
    const base = g(lead, 'rev-parse', 'HEAD');
    g(lead, 'push', '-q', bare, `${base}:refs/heads/crewmux/s1/base-w01`);
    const worktree = join(dataDir, 'node', 'worktrees', 's1', 'w01');
    mkdirSync(join(worktree, '..'), { recursive: true });
    g(bare, 'worktree', 'add', '-q', '-B', 'crewmux/s1/w01-implementer', worktree, 'refs/heads/crewmux/s1/base-w01');
    const state = join(dataDir, 'node', 'sessions', 's1', 'w01');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'prompt.md'), 'the task');
    g(worktree, '-c', 'user.name=w', '-c', 'user.email=w@x', 'commit', '-q', '--allow-empty', '-m', 'work');
    const head = g(worktree, 'rev-parse', 'HEAD');

    const tmux = createFakeTmux();
    const ops = nodeGcMethods({
      dataDir,
      tmux,
      git: createGit(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      files: createWorktreeFiles(),
      runner: createProcessRunner(),
      runtimeDir: join(t.dir, 'node-run'),
    });
    const list = (await ops['worktrees.list']!({})) as { worktrees: unknown[] };
    assert.deepEqual(list.worktrees, [
      { id: 's1/w01', repoId, path: worktree, running: false, heads: { 'crewmux/s1/w01-implementer': head } },
    ]);
    const remove = (heads: Record<string, string>, more: Record<string, unknown> = {}) =>
      ops['worker.remove']!({ id: 's1/w01', repoId, heads, ...more }) as Promise<{ removed: boolean; reason?: string }>;

    // Its agent runs: kept, even with force.
    const pane = await tmux.newSession('crewmux-s1-w01', 'worker', { command: 'agent', cwd: worktree });
    assert.deepEqual(
      [(await remove({}, { force: true })).removed, (await remove({}, { force: true })).reason],
      [false, 'its agent still runs there'],
    );
    tmux.exitPane(pane.paneId, 0);
    // The lead host lacks its commit: kept.
    const lacking = await remove({ 'crewmux/s1/w01-implementer': base });
    assert.equal(lacking.removed, false);
    assert.match(lacking.reason!, /the lead host does not hold crewmux\/s1\/w01-implementer as the node has it/);
    // Uncommitted work there: kept (the agent's done.flag does not count).
    mkdirSync(join(worktree, '.crewmux'));
    writeFileSync(join(worktree, '.crewmux', 'done.flag'), '{}');
    writeFileSync(join(worktree, 'b.txt'), 'unsaved\n');
    const dirty = await remove({ 'crewmux/s1/w01-implementer': head });
    assert.deepEqual([dirty.removed, dirty.reason], [false, 'uncommitted changes in 1 file(s) there']);
    // A dry run with force says it would go, and leaves everything.
    assert.equal((await remove({}, { force: true, dryRun: true })).removed, true);
    assert.ok(existsSync(worktree));

    execFileSync('rm', [join(worktree, 'b.txt')]);
    const gone = await remove({ 'crewmux/s1/w01-implementer': head });
    assert.equal(gone.removed, true);
    for (const p of [
      worktree,
      state,
      join(dataDir, 'node', 'worktrees', 's1'),
      join(dataDir, 'node', 'sessions', 's1'),
    ])
      assert.equal(existsSync(p), false, p);
    assert.equal(g(bare, 'for-each-ref'), '');
    assert.equal(g(bare, 'worktree', 'list', '--porcelain').includes(worktree), false);
    assert.deepEqual(((await ops['worktrees.list']!({})) as { worktrees: unknown[] }).worktrees, []);
  } finally {
    t.cleanup();
  }
});
