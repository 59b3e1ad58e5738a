/**
 * Worktrees ready to work in (issue 15), on real git, tmux and the built CLI with a fixture node project whose test
 * script needs git-ignored node_modules and .env: three workers each see both, run the test script without
 * installing and get distinct CREWMUX_PORTs (each binds its own); verify in the integration worktree passes where it
 * needs node_modules; the copy fallback is reported on a file system without reflink; teardown runs before gc
 * removes a worktree; a failing setup is `setup_failed` and the lead is told with the output tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTestEnv, diagnostics, fixtureAgent, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { createNodeProject, FIXTURE_SECRET } from '../helpers/node-project.js';
import { exec } from '../../src/adapters/process/exec.js';

interface Seen {
  exitCode: number;
  stdout: string;
  stderr: string;
  nodeModules: boolean;
  env: string | null;
  envLocal: string | null;
  port: string | null;
  slug: string | null;
  bound: boolean;
  prompt: string;
}

function events(dataDir: string, type: string): string[] {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT message FROM events WHERE type = ? ORDER BY id')
      .all(type)
      .map((r) => (r as { message: string }).message);
  } finally {
    db.close();
  }
}

test('three workers each get node_modules and .env, run the tests without installing, on distinct ports; verify passes in the integration worktree; teardown runs before gc', async () => {
  const t = createTestEnv();
  try {
    const repo = createNodeProject(t, { modules: 300 });
    const teardownLog = join(t.dir, 'teardown.log');
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'run the tests', agent: 'boot' }, save: 'a' },
        { call: 'spawn_worker', args: { task: 'run the tests', agent: 'boot' }, save: 'b' },
        { call: 'spawn_worker', args: { task: 'run the tests', agent: 'boot' }, save: 'c' },
        {
          call: 'wait_for_worker',
          args: { worker_ids: ['$a', '$b', '$c'], mode: 'all' },
          repeatWhile: 'Still running',
        },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'merge_worker', args: { worker_id: '$b' } },
        { call: 'merge_worker', args: { worker_id: '$c' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'tests pass in three worktrees' } },
      ],
      { boot: fixtureAgent('bootstrap-worker') },
      [],
      {
        verify: ['node test.js'],
        worktree: {
          clone: ['node_modules'],
          // Runs in the worktree before gc removes it: node_modules must still be there.
          teardown: [
            `echo "$CREWMUX_WORKTREE_SLUG $CREWMUX_PORT $(test -d node_modules && echo present)" >> ${teardownLog}`,
          ],
        },
      },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const sessionDir = run.sessionDir()!;
    const seen = ['w01', 'w02', 'w03'].map(
      (id) => JSON.parse(readFileSync(join(sessionDir, 'workers', id, 'bootstrap-seen.json'), 'utf8')) as Seen,
    );
    for (const s of seen) {
      assert.equal(s.exitCode, 0, `the test script failed in a worker's worktree: ${s.stderr}`);
      assert.match(s.stdout, /^ok 007 port \d+/);
      assert.equal(s.nodeModules, true);
      assert.equal(s.env?.trim(), FIXTURE_SECRET);
      assert.ok(s.port && /^\d+$/.test(s.port));
      assert.equal(s.bound, true, `port ${s.port} was taken`);
      assert.match(s.prompt, new RegExp(`CREWMUX_PORT=${s.port} \\(ports ${s.port}-${Number(s.port) + 9}`));
      assert.match(s.prompt, new RegExp(`CREWMUX_WORKTREE_SLUG=${s.slug}`));
      // .env.local: the user's content, and crewmux's managed block with this worktree's values.
      assert.match(s.envLocal ?? '', /^LOCAL_ONLY=1\n# >>> crewmux worktree/);
      assert.match(s.envLocal ?? '', new RegExp(`CREWMUX_PORT=${s.port}\nCREWMUX_WORKTREE_SLUG=${s.slug}\n`));
    }
    // The pool's idle worktrees went with the session: no pool branch or folder is left beside the workers'.
    const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
    const workerDirs = new Set(
      (db.prepare('SELECT worktree FROM workers').all() as { worktree: string }[]).map((w) => w.worktree),
    );
    db.close();
    const wtRoot = join([...workerDirs][0]!, '..');
    const leftover = readdirSync(wtRoot).filter((d) => d.startsWith('pool-') && !workerDirs.has(join(wtRoot, d)));
    assert.deepEqual(leftover, []);
    const poolBranches = (await exec('git', ['-C', repo, 'branch', '--list', 'crewmux/*/pool-*'])).stdout.trim();
    assert.equal(poolBranches, '');
    const ports = seen.map((s) => Number(s.port));
    for (const p of ports) for (const q of ports) if (p !== q) assert.ok(Math.abs(p - q) >= 10, ports.join(','));
    assert.equal(new Set(seen.map((s) => s.slug)).size, 3);
    // The user's checkout is untouched: its .env.local has no managed block.
    assert.equal(readFileSync(join(repo, '.env.local'), 'utf8'), 'LOCAL_ONLY=1\n');

    const verify = run.steps().find((s) => s.call === 'verify')!;
    assert.match(verify.text, /^Verify PASSED/, verify.text);

    // The run says how node_modules got there; this machine's ext4/overlay has no reflink, so: copy.
    const prepared = events(t.env.CREWMUX_DATA_DIR!, 'bootstrap.prepared');
    assert.equal(prepared.length, 4, prepared.join('\n'));
    const fs = (await exec('stat', ['-f', '-c', '%T', repo])).stdout.trim();
    if (!['btrfs', 'xfs'].includes(fs))
      for (const m of prepared) assert.match(m, /node_modules by copy: no copy-on-write clone on this file system/);
    assert.ok(prepared.some((m) => /^integration worktree ready: include .*2 file\(s\)/.test(m)));

    // gc removes the merged workers' worktrees, each after its teardown ran in it.
    const gc = await runCli(t, repo, ['gc']);
    assert.equal(gc.code, 0, gc.stderr);
    // The pool's idle entries were torn down when the session ended; the three workers' worktrees by gc.
    const lines = readFileSync(teardownLog, 'utf8').trim().split('\n');
    for (const s of seen)
      assert.equal(lines.filter((l) => l.startsWith(`${s.slug} `)).length, 1, `${s.slug} in\n${lines.join('\n')}`);
    // Slugs name the worktree: a worker's own (w01-implementer) or the pool entry it took (pool-2).
    for (const l of lines) assert.match(l, /^crewmux_s\w+_(w0\d_implementer|pool_\d+) \d+ present$/);
    const wtDir = join(sessionDir, '..', '..');
    assert.ok(existsSync(wtDir));
    assert.equal(events(t.env.CREWMUX_DATA_DIR!, 'bootstrap.teardown').length, 3);
  } finally {
    t.cleanup();
  }
});

test('a failing worktree setup is setup_failed: the lead is told with the output tail, the agent never starts', async () => {
  const t = createTestEnv();
  try {
    const repo = createNodeProject(t, { modules: 10 });
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'run the tests', agent: 'boot' }, save: 'a' },
        { call: 'list_workers', args: {} },
        { call: 'discard_worker', args: { worker_id: '$a', reason: 'setup failed' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'nothing to do' } },
      ],
      { boot: fixtureAgent('bootstrap-worker') },
      [],
      {
        verify: ['node test.js'],
        worktree: {
          clone: ['node_modules'],
          setup: [
            'echo preparing the worktree on port $CREWMUX_PORT',
            'echo "npm ERR! boom" >&2; exit 3',
            'echo never',
          ],
        },
      },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const [spawn, list] = run.steps();
    assert.equal(spawn!.isError, true);
    assert.match(spawn!.text, /worktree setup failed \(worktree\.setup\): "echo "npm ERR! boom" >&2; exit 3" exited 3/);
    assert.match(spawn!.text, /npm ERR! boom/);
    assert.match(spawn!.text, /setup_failed: call discard_worker w01/);
    assert.match(list!.text, /w01.*setup_failed/s);
    const sessionDir = run.sessionDir()!;
    const log = readFileSync(join(sessionDir, 'workers', 'w01', 'pane.log'), 'utf8');
    assert.match(log, /preparing the worktree on port \d+/);
    assert.doesNotMatch(log, /never/);
    // The agent never ran.
    assert.equal(existsSync(join(sessionDir, 'workers', 'w01', 'bootstrap-seen.json')), false);
    assert.equal(events(t.env.CREWMUX_DATA_DIR!, 'worker.setup_failed').length, 1);
    assert.ok(readdirSync(sessionDir).includes('integration-bootstrap.json'));
  } finally {
    t.cleanup();
  }
});
