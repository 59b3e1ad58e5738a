/**
 * Sessions that survive: a supervisor killed with SIGKILL while workers run is resumed (live agents
 * relaunched with new tokens, a worker that finished meanwhile noticed, the run finishing);
 * `stop` ends a session resumably with work snapshot-committed; `sessions`, `gc`; hooks fire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  eventually,
  fixtureAgent,
  git,
  runCli,
  writeConfig,
} from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import Database from 'better-sqlite3';
import { readPidFile, signalPid } from '../helpers/wait.js';

test('resume after the supervisor is SIGKILLed: live agents relaunched, a worker done while down, the goal completes', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const gate = join(t.dir, 'gate');
    const run = startStepRun(
      t,
      repo,
      [
        { resumable: true },
        { call: 'spawn_worker', args: { task: 'gated', agent: 'gated' }, save: 'a' },
        { call: 'spawn_worker', args: { task: 'hang', agent: 'hang' }, save: 'b' },
        { call: 'wait_for_worker', args: { worker_id: '$a', timeout_s: 2 }, repeatWhile: 'Still running' },
        { call: 'kill_worker', args: { worker_id: '$b' } },
        { call: 'discard_worker', args: { worker_id: '$b', reason: 'only hung' } },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['git status'] } },
        { call: 'mark_goal_done', args: { summary: 'resumed and finished' } },
      ],
      { gated: fixtureAgent('gated-worker', { env: { GATE_FILE: gate } }), hang: fixtureAgent('hang-worker') },
      [],
      { verify: ['git status'] },
    );
    const status = async () => {
      const r = await runCli(t, repo, ['status', '--json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    };
    const before = await eventually('both workers running', async () => {
      const s = await status();
      return s && s.workers.length === 2 && s.workers.every((w: { state: string }) => w.state === 'running')
        ? s
        : undefined;
    });
    signalPid(before.session.supervisorPid, 'SIGKILL');
    const lost = await run.result;
    assert.equal(lost.code, 1);
    assert.match(lost.stdout, /E_SUPERVISOR_LOST/);
    writeFileSync(gate, 'open');
    await eventually('the gated worker to write its flag while crewmux is down', () =>
      existsSync(join(before.workers[0].worktree, '.crewmux', 'done.flag')),
    );

    const resumed = await runCli(t, repo, ['resume', '--no-attach', '--wait'], { timeoutMs: 120_000 });
    assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}\n${diagnostics(t)}`);
    assert.match(resumed.stdout, /session\.resumed .*w01 finished while crewmux was down \(done\)/);
    assert.match(resumed.stdout, /session\.done/);
    const after = await status();
    assert.deepEqual(
      after.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'discarded'],
      ],
    );
    // The tokens were rotated (docs/security/tokens.md): w02's live agent and the lead were relaunched with new
    // ones, the lead continuing from its recap.
    assert.match(resumed.stdout, /w02 was relaunched on its worktree with a new token/);
    assert.notEqual(after.workers[1].pane, before.workers[1].pane);
    const leadLog = readFileSync(join(run.sessionDir()!, 'lead', 'pane.log'), 'utf8');
    assert.equal(leadLog.match(/step lead ready/g)?.length, 2, leadLog);
    assert.equal(
      git(repo, 'show', `${after.session.integrationBranch}:gated.txt`),
      'written while the supervisor was down',
    );
  } finally {
    t.cleanup();
  }
});

test('stop snapshots work and ends resumably; sessions lists it; gc keeps unmerged work and removes empty', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const hooksLog = join(t.dir, 'hooks.log');
    writeFileSync(
      join(t.dir, 'hook.sh'),
      `#!/bin/sh\nread payload\necho "$CREWMUX_HOOK_EVENT $payload" >> ${hooksLog}\n`,
      { mode: 0o755 },
    );
    writeConfig(repo, {});
    writeFileSync(
      join(repo, '.crewmux', 'hooks.json'),
      JSON.stringify({
        hooks: {
          session_start: [join(t.dir, 'hook.sh')],
          worker_spawned: [join(t.dir, 'hook.sh')],
          session_end: [join(t.dir, 'hook.sh'), 'exit 7'],
          worker_done: [{ command: 'sleep 30', timeout: 1 }],
        },
      }),
    );
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'hang', agent: 'hang' }, save: 'a' },
        { call: 'spawn_worker', args: { task: 'crash', agent: 'crash' }, save: 'b' },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
      ],
      { hang: fixtureAgent('hang-worker'), crash: fixtureAgent('crash-worker') },
    );
    // startStepRun rewrote config.json; the hooks file stays.
    const sessionDir = await eventually('w01 running', () => {
      const d = run.sessionDir();
      return d && readPidFile(join(d, 'workers', 'w01', 'pid')) ? d : undefined;
    });
    const s = await eventually('w02 crashed', async () => {
      const v = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
      return v.workers[1]?.state === 'crashed' ? v : undefined;
    });
    writeFileSync(join(s.workers[0].worktree, 'unsaved.txt'), 'work in progress\n');
    const stop = await runCli(t, repo, ['stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped/);
    assert.doesNotMatch(stop.stdout, /not signalled/, 'the live supervisor was recognised and signalled');
    assert.equal((await run.result).code, 1);
    const sessions = JSON.parse((await runCli(t, repo, ['sessions', '--json'])).stdout);
    assert.equal(sessions[0].status, 'stopped');
    assert.equal(sessions[0].resumable, true);
    assert.deepEqual(sessions[0].workers, { killed: 1, crashed: 1 });
    const sid = sessions[0].id as string;
    assert.equal(git(repo, 'show', `crewmux/${sid}/w01-implementer:unsaved.txt`), 'work in progress');

    // Resume after a stop (the tmux session is gone, as after a reboot): the lead is relaunched with a
    // recap, the stopped workers stay stopped, and new workers get new ids.
    const resumed = await runCli(t, repo, ['resume', '--no-attach', '--no-wait']);
    assert.equal(resumed.code, 0, `${resumed.stderr}\n${diagnostics(t)}`);
    const leadPrompt = readFileSync(join(sessionDir, 'lead', 'prompt.md'), 'utf8');
    assert.match(leadPrompt, /## This session was resumed[\s\S]*- w01 \(hang, implementer\) killed/);
    await eventually('the relaunched lead to spawn w03', async () => {
      const v = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
      return v.workers.some((w: { id: string }) => w.id === 'w03');
    });
    assert.equal((await runCli(t, repo, ['stop'])).code, 0);
    // gc sees the relaunched run's workers too; only the first two and the integration branch are checked here.
    const dry = JSON.parse((await runCli(t, repo, ['gc', '--dry-run', '--json'])).stdout);
    const cls = Object.fromEntries(
      dry.map((i: { branch: string; class: string }) => [i.branch.split('/').pop(), i.class]),
    );
    assert.equal(cls['w01-implementer'], 'unmerged commits');
    assert.equal(cls['w02-implementer'], 'empty');
    assert.equal(cls.integration, 'empty');
    const gc = JSON.parse((await runCli(t, repo, ['gc', '--json'])).stdout);
    const action = Object.fromEntries(
      gc.map((i: { branch: string; action: string }) => [i.branch.split('/').pop(), i.action]),
    );
    assert.deepEqual(
      [action['w01-implementer'], action['w02-implementer'], action.integration],
      ['kept', 'removed', 'removed'],
    );
    assert.ok(
      git(repo, 'for-each-ref', '--format=%(refname:short)', `refs/heads/crewmux/${sid}/`)
        .split('\n')
        .includes(`crewmux/${sid}/w01-implementer`),
    );
    assert.ok(
      !git(repo, 'for-each-ref', '--format=%(refname:short)', `refs/heads/crewmux/${sid}/`).includes('integration'),
    );

    await eventually(
      'hooks to have run',
      () => existsSync(hooksLog) && readFileSync(hooksLog, 'utf8').includes('session_end'),
    );
    const log = readFileSync(hooksLog, 'utf8');
    assert.match(log, /^session_start \{"event":"session_start","sessionId":"s/m);
    assert.match(log, /^worker_spawned .*"workerId":"w01"/m);
    assert.match(log, /^session_end .*"type":"session\.stopped"/m);
    // A failing hook and a hanging one are reported in the event log; neither stopped the run.
    const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
    const hookEvents = db
      .prepare("SELECT message FROM events WHERE type = 'hook.failed'")
      .all()
      .map((r) => (r as { message: string }).message);
    db.close();
    assert.ok(
      hookEvents.some((m) => /hook session_end "exit 7" exited 7/.test(m)),
      hookEvents.join('\n'),
    );
    assert.ok(
      hookEvents.some((m) => /hook worker_done "sleep 30" timed out after 1 s/.test(m)),
      hookEvents.join('\n'),
    );
  } finally {
    t.cleanup();
  }
});
