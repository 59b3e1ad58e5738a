/**
 * The warm worktree pool through `crewmux run` on real git and tmux: a worker spawned after a merge gets a pool
 * worktree that already holds the merged file, and no idle pool worktree or branch outlives the session; a worker
 * from the pool starts in the pane parked for its worktree at fill time (never a dead one), and no parked pane
 * outlives the session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { isAlive, signalPid, waitFor } from '../helpers/wait.js';

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

/** The live panes of the hidden pool window of the test's tmux server: id, shell pid and cwd. */
function parkedPanes(t: ReturnType<typeof createTestEnv>): { paneId: string; pid: number; cwd: string }[] {
  let out = '';
  try {
    out = execFileSync(
      'tmux',
      [
        '-L',
        t.socket,
        '-f',
        '/dev/null',
        'list-panes',
        '-a',
        '-F',
        '#{window_name}\t#{pane_dead}\t#{pane_id}\t#{pane_pid}\t#{pane_current_path}',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([win, dead]) => win === 'crewmux-pool' && dead === '0')
    .map(([, , paneId, pid, cwd]) => ({ paneId: paneId!, pid: Number(pid), cwd: cwd! }));
}

test('a pooled worker starts in the pane parked for its worktree, with its own variables and no secret left in a file; a dead parked pane is replaced, never used; no parked pane outlives the session', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const go = { first: join(t.dir, 'go-1'), second: join(t.dir, 'go-2') };
    const seen = (n: string) => join(t.dir, `seen-${n}.txt`);
    const run = startStepRun(
      t,
      repo,
      [
        { waitFile: go.first },
        { call: 'spawn_worker', args: { task: 'look around', agent: 'seer' }, save: 'a' },
        { waitFile: seen('w01') },
        { waitFile: go.second },
        { call: 'spawn_worker', args: { task: 'look around again', agent: 'seer' }, save: 'b' },
        { waitFile: seen('w02') },
        { call: 'kill_worker', args: { worker_id: '$a' } },
        { call: 'discard_worker', args: { worker_id: '$a', reason: 'it only looked' } },
        { call: 'kill_worker', args: { worker_id: '$b' } },
        { call: 'discard_worker', args: { worker_id: '$b', reason: 'it only looked' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'looked twice' } },
      ],
      {
        // Records where it runs, in which pane, with which variables; then idles as an agent would.
        seer: {
          command: '/bin/sh',
          args: [
            '-c',
            `f=${t.dir}/seen-$CREWMUX_WORKER_ID.txt; { pwd; echo "$TMUX_PANE"; echo "$CREWMUX_WORKER_ID"; echo "$CREWMUX_PORT"; echo "$CREWMUX_WORKTREE_SLUG"; echo "$CREWMUX_MCP_TOKEN"; } > $f.tmp && mv $f.tmp $f; exec sleep 600`,
          ],
          prompt: 'file',
        },
      },
      [],
      { verify: ['true'] },
    );
    const everParked = new Set<number>();
    const readSeen = (id: string) => {
      const [cwd, pane, worker, port, slug, token] = readFileSync(seen(id), 'utf8').trim().split('\n');
      return { cwd: cwd!, pane: pane!, worker: worker!, port: port!, slug: slug!, token: token! };
    };

    // The pool filled: two worktrees, each with a pane parked in it.
    const filled = await waitFor(
      'two parked panes',
      () => (parkedPanes(t).length >= 2 ? parkedPanes(t) : false),
      60_000,
    );
    for (const p of filled) everParked.add(p.pid);
    assert.deepEqual(
      filled.map((p) => /\/pool-\d+$/.test(p.cwd)),
      [true, true],
      'each parked pane runs in its pool worktree',
    );
    // One parked shell dies (killed by hand): the spawn must not hand it out.
    const [dead, live] = filled as [(typeof filled)[0], (typeof filled)[0]];
    signalPid(dead.pid, 'SIGKILL');
    // tmux reaps it and drops its pane (the pool window has no remain-on-exit).
    await waitFor(
      'the killed shell to be reaped',
      () => !parkedPanes(t).some((p) => p.paneId === dead.paneId),
      30_000,
      50,
    );
    writeFileSync(go.first, '');

    await waitFor('the first worker to look', () => existsSync(seen('w01')), 60_000);
    const a = readSeen('w01');
    assert.equal(
      a.pane,
      live.paneId,
      `the worker runs in the pane parked before the call, not the dead one\n${diagnostics(t)}`,
    );
    assert.equal(a.cwd, live.cwd, 'its cwd is its worktree, the one its pane was parked in');
    assert.equal(a.worker, 'w01', 'it sees its own variables');
    const sessionDir = run.sessionDir()!;
    const recorded = JSON.parse(readFileSync(join(sessionDir, 'workers', 'w01', 'worktree-env.json'), 'utf8')) as {
      CREWMUX_PORT: string;
      CREWMUX_WORKTREE_SLUG: string;
    };
    assert.equal(a.port, recorded.CREWMUX_PORT, "CREWMUX_PORT is its worktree's");
    assert.equal(a.slug, recorded.CREWMUX_WORKTREE_SLUG, "CREWMUX_WORKTREE_SLUG is its worktree's");
    assert.ok(a.token.length >= 16, 'it has its MCP token');
    // The token reached it through its env file, which is gone once read; the parked pane's launch script never held it.
    await waitFor(
      'the env file to be removed',
      () => !existsSync(join(sessionDir, 'workers', 'w01', 'env')),
      10_000,
      50,
    );
    for (const d of readdirSync(join(sessionDir, 'pool'))) {
      const launch = join(sessionDir, 'pool', d, 'launch.sh');
      if (existsSync(launch))
        assert.equal(readFileSync(launch, 'utf8').includes(a.token), false, `${launch} holds no secret`);
    }

    // The dead pane was replaced (and a new entry filled the pool): two live parked panes again, the dead one not among them.
    const refilled = await waitFor(
      'the pool to park two live panes again',
      () => {
        const ps = parkedPanes(t).filter((p) => p.paneId !== live.paneId);
        return ps.length >= 2 ? ps : false;
      },
      60_000,
    );
    for (const p of refilled) everParked.add(p.pid);
    assert.ok(
      refilled.some((p) => p.cwd === dead.cwd),
      "the dead pane's worktree got a new parked pane",
    );
    assert.equal(
      refilled.some((p) => p.paneId === dead.paneId),
      false,
    );
    writeFileSync(go.second, '');
    await waitFor('the second worker to look', () => existsSync(seen('w02')), 60_000);
    const b = readSeen('w02');
    assert.ok(
      refilled.some((p) => p.paneId === b.pane && p.cwd === b.cwd),
      `the second worker runs in a pane parked before its call (${b.pane} in ${b.cwd})`,
    );
    assert.notEqual(b.token, a.token);

    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.deepEqual(parkedPanes(t), [], 'no parked pane survives the session');
    const workers = new Set([live.pid, ...refilled.filter((p) => p.paneId === b.pane).map((p) => p.pid)]);
    for (const pid of everParked)
      if (!workers.has(pid)) assert.equal(isAlive(pid), false, `parked shell ${pid} is gone`);
    assert.equal(existsSync(join(sessionDir, 'pool')), false, "the parked panes' gates and scripts are gone");
  } finally {
    t.cleanup();
  }
});

test('a supervisor SIGKILLed with parked panes leaves them in its tmux session; crewmux gc kills them', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    // The lead waits for a file nobody writes: the pool fills while the session runs.
    const run = startStepRun(t, repo, [{ waitFile: join(t.dir, 'never') }], {
      seer: { command: '/bin/sh', args: ['-c', 'exec sleep 600'], prompt: 'file' },
    });
    const filled = await waitFor(
      'two parked panes',
      () => (parkedPanes(t).length >= 2 ? parkedPanes(t) : false),
      60_000,
    );
    const status = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout) as {
      session: { supervisorPid: number };
    };
    signalPid(status.session.supervisorPid, 'SIGKILL');
    await run.result;
    assert.deepEqual(
      parkedPanes(t).map((p) => p.paneId),
      filled.map((p) => p.paneId),
      'a dead supervisor drains nothing',
    );
    const gc = await runCli(t, repo, ['gc', '--json']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual(parkedPanes(t), [], 'gc killed the parked panes');
    for (const p of filled) await waitFor(`parked shell ${p.pid} to end`, () => !isAlive(p.pid), 10_000, 50);
  } finally {
    t.cleanup();
  }
});
