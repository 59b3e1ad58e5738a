/**
 * A goal with one local worker and one on an `exec:` runtime (the shipped example script, which runs it in a tmux
 * session of its own): both finish and are merged; the exec worker's session is gone at the end; a repository's
 * runtime never runs before `crewmux trust`. After a SIGKILL of the supervisor, `resume` re-adopts the exec worker
 * whose agent still runs (the same process finishes its turn through its done file and is merged) and crashes the
 * one whose agent died meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRepo, createTestEnv, diagnostics, eventually, fixtureAgent, git, ROOT, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { readPidFile, signalPid } from '../helpers/wait.js';

const EXAMPLE = join(ROOT, 'examples', 'runtimes', 'local-tmux.mjs');

function execSessions(socket: string): string[] {
  try {
    return execFileSync('tmux', ['-L', socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // no server: no sessions
  }
}

test('one local worker and one exec: worker (the example script) both finish and are merged', async () => {
  const t = createTestEnv();
  const socket = `${t.socket}-exec`;
  try {
    const config = { runtimes: { example: { exec: EXAMPLE } }, verify: ['git status'] };
    const repo = createRepo(t, { 'README.md': '# test repo\n', '.crewmux/config.json': JSON.stringify(config) });
    const plan = {
      workers: [
        { task: 'Local.\n```file:local.txt\nfrom the local worker\n```\n' },
        { task: 'Elsewhere.\n```file:exec.txt\nfrom the exec worker\n```\n', runtime: 'example' },
      ],
      verify: ['git status'],
    };
    const goal = `Two files.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const args = ['run', '--goal', goal, '--lead', 'scripted-lead', '--agents', 'scripted-worker', '--no-attach'];
    const env = { CREWMUX_PASS_ENV: 'EXAMPLE_RUNTIME_TMUX_SOCKET', EXAMPLE_RUNTIME_TMUX_SOCKET: socket };

    // Untrusted: refused before anything runs, the script included.
    const refused = await runCli(t, repo, [...args, '--wait'], { env });
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /E_REPO_CONFIG_UNTRUSTED/);
    assert.deepEqual(execSessions(socket), []);

    const r = await runCli(t, repo, [...args, '--wait', '--trust-repo-config', '--timeout', '90'], { env });
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const view = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'merged'],
      ],
    );
    const sid = view.session.id as string;
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:exec.txt`), 'from the exec worker');
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:local.txt`), 'from the local worker');
    // The exec worker ran on the example's tmux server, not in the session's window, and was stopped at the end.
    const record = (w: string) => join(t.env.CREWMUX_DATA_DIR!, 'sessions', sid, 'workers', w, 'runtime.json');
    assert.match(readFileSync(record('w02'), 'utf8'), /^\{"runtime":"example","id":"crewmux-exec-w02-[0-9a-f]+"\}$/);
    assert.equal(existsSync(record('w01')), false, 'a local worker has no runtime record');
    assert.deepEqual(execSessions(socket), []);
    assert.match(r.stdout, /worker\.spawned\s+w02/);
  } finally {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* no server */
    }
    t.cleanup();
  }
});

test('resume after the supervisor is SIGKILLed re-adopts a running exec: worker and crashes one whose agent died', async () => {
  const t = createTestEnv();
  const socket = `${t.socket}-exec`;
  try {
    const repo = createRepo(t);
    const gate = join(t.dir, 'gate');
    const env = { CREWMUX_PASS_ENV: 'EXAMPLE_RUNTIME_TMUX_SOCKET', EXAMPLE_RUNTIME_TMUX_SOCKET: socket };
    const run = startStepRun(
      t,
      repo,
      [
        { resumable: true },
        { call: 'spawn_worker', args: { task: 'gated', agent: 'gated', runtime: 'example' }, save: 'a' },
        { call: 'spawn_worker', args: { task: 'hang', agent: 'hang', runtime: 'example' }, save: 'b' },
        { call: 'wait_for_worker', args: { worker_id: '$a', timeout_s: 2 }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$b', reason: 'its agent died' } },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['git status'] } },
        { call: 'mark_goal_done', args: { summary: 'resumed and finished' } },
      ],
      { gated: fixtureAgent('gated-worker', { env: { GATE_FILE: gate } }), hang: fixtureAgent('hang-worker') },
      [],
      { verify: ['git status'], runtimes: { example: { exec: EXAMPLE } } },
      env,
    );
    const status = async () => {
      const r = await runCli(t, repo, ['status', '--json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    };
    const pidFile = (sid: string, w: string) => join(t.env.CREWMUX_DATA_DIR!, 'sessions', sid, 'workers', w, 'pid');
    const before = await eventually(
      'both exec workers running',
      async () => {
        const s = await status();
        const up =
          s?.workers.length === 2 &&
          s.workers.every((w: { id: string; state: string }) => w.state === 'running') &&
          s.workers.every((w: { id: string }) => readPidFile(pidFile(s.session.id, w.id)));
        return up ? s : undefined;
      },
      60_000,
    );
    const sid = before.session.id as string;
    const pid = (w: string) => readPidFile(pidFile(sid, w));
    const gatedPid = pid('w01');
    signalPid(before.session.supervisorPid, 'SIGKILL');
    const lost = await run.result;
    assert.equal(lost.code, 1, `${lost.stdout}\n${lost.stderr}`);
    // While crewmux is down, w02's agent dies; w01's waits for its gate.
    signalPid(pid('w02'), 'SIGKILL');

    const resumed = runCli(t, repo, ['resume', '--no-attach', '--wait'], { timeoutMs: 120_000, env });
    const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
    try {
      const resumedEvent = () =>
        db.prepare(`SELECT message FROM events WHERE type = 'session.resumed'`).get() as
          { message: string } | undefined;
      const event = await eventually('session.resumed', resumedEvent, 60_000);
      assert.match(event.message, /w01 still runs on runtime exec:example: re-adopted/);
      assert.match(event.message, /w02's agent on runtime exec:example was gone; it is crashed/);
    } finally {
      db.close();
    }
    // Only now the re-adopted agent (the same process, never relaunched) finishes its turn, through its done file.
    assert.equal(pid('w01'), gatedPid);
    writeFileSync(gate, 'open');

    const r = await resumed;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /worker\.crashed\s+w02/);
    const after = await status();
    assert.deepEqual(
      after.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'discarded'],
      ],
    );
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:gated.txt`), 'written while the supervisor was down');
  } finally {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* no server */
    }
    t.cleanup();
  }
});
