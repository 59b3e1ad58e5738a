/**
 * The warm worktree pool through `crewmux run` on real git and tmux: a worker spawned after a merge gets a pool
 * worktree that already holds the merged file, and no idle pool worktree or branch outlives the session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';

test('after a merge, the next worker takes a pool worktree at the new head; idle pool worktrees go with the session', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const seen = join(t.dir, 'seen.txt');
    const run = startStepRun(
      t,
      repo,
      [
        {
          call: 'spawn_worker',
          args: { task: 'Write it.\n```file:merged.txt\nfrom w01\n```\n', agent: 'writer' },
          save: 'a',
        },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'spawn_worker', args: { task: 'look around', agent: 'seer' }, save: 'b' },
        { waitFile: seen },
        { call: 'kill_worker', args: { worker_id: '$b' } },
        { call: 'discard_worker', args: { worker_id: '$b', reason: 'it only looked' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'merged, and the next worker saw it' } },
      ],
      {
        // The scripted worker (writes its task's file blocks, commits, calls worker_done), as a config agent.
        writer: {
          command: process.execPath,
          args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
          prompt: 'file',
        },
        // Records where it runs and whether the merged file is there, then idles as an agent would.
        seer: {
          command: '/bin/sh',
          args: [
            '-c',
            `{ pwd; test -f merged.txt && echo present || echo absent; } > ${seen}.tmp && mv ${seen}.tmp ${seen}; exec sleep 600`,
          ],
          prompt: 'file',
        },
      },
      [],
      { verify: ['test -f merged.txt'] },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const [cwd, file] = readFileSync(seen, 'utf8').trim().split('\n');
    assert.match(cwd!, /\/pool-\d+$/, 'the second worker took a ready worktree');
    assert.equal(file, 'present', 'the pool worktree had moved to the merge');
    const status = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout) as {
      workers: { worktree: string }[];
    };
    const workers = new Set(status.workers.map((w) => w.worktree));
    const leftover = readdirSync(dirname(cwd!)).filter(
      (d) => d.startsWith('pool-') && !workers.has(join(dirname(cwd!), d)),
    );
    assert.deepEqual(leftover, [], 'no idle pool worktree survives the session');
    assert.equal(git(repo, 'branch', '--list', 'crewmux/*/pool-*'), '');
    assert.equal(existsSync(cwd!), true, "the worker's own worktree stays until gc");
  } finally {
    t.cleanup();
  }
});
