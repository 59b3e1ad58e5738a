/**
 * `crewmux demo` attached ends (issue 14): on a real pseudo-terminal the attached demo returns to the shell when
 * the goal ends, leaving no tmux session, pane process or throwaway repository; `--keep-session` leaves the
 * session, and `stop` on that ended session clears it instead of refusing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as pty from 'node-pty';
import { BIN, createTestEnv, diagnostics, eventually, runCli, type TestEnv } from '../helpers/env.js';
import { isAlive } from '../helpers/wait.js';

/** tmux on the test's server, its "no server running" stderr kept out of the test output. */
const quietTmux = (t: TestEnv, ...args: string[]) =>
  execFileSync('tmux', ['-L', t.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** Pane pids on the test's tmux server right now ([] when it runs no session). */
function panePids(t: TestEnv): number[] {
  try {
    return t.tmux('list-panes', '-a', '-F', '#{pane_pid}').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tmuxSessions(t: TestEnv): string[] {
  try {
    return quietTmux(t, 'list-sessions', '-F', '#{session_name}').split('\n').filter(Boolean);
  } catch {
    return []; // no server: no session
  }
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g, '');

test('the attached demo returns to the shell when the goal ends and leaves no tmux session, process or repo', async () => {
  const t = createTestEnv();
  const env = { ...t.env, TMPDIR: t.dir } as Record<string, string>; // t.env has no TMUX: not inside tmux
  const term = pty.spawn(process.execPath, [BIN, 'demo'], {
    name: 'xterm-256color',
    cols: 160,
    rows: 48,
    cwd: t.dir,
    env,
  });
  let out = '';
  let exit: { exitCode: number } | undefined;
  const pids = new Set<number>();
  term.onData((d) => {
    out += d;
  });
  term.onExit((e) => {
    exit = e;
  });
  try {
    const ended = await eventually(
      'the attached demo to return when its goal ends',
      () => {
        for (const p of panePids(t)) pids.add(p);
        return exit;
      },
      180_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- terminal\n${strip(out).slice(-3000)}\n${diagnostics(t)}`);
    });
    const text = strip(out);
    assert.equal(ended.exitCode, 0, text.slice(-3000));
    assert.match(text, /session \S+: done/);
    assert.ok(pids.size >= 3, `saw the lead, supervisor and worker panes (${[...pids].join(', ')})`);
    assert.deepEqual(tmuxSessions(t), [], 'no tmux session is left');
    assert.deepEqual([...pids].filter(isAlive), [], 'no pane process is left');
    const repo = /throwaway repository (\S+)/.exec(text)?.[1];
    assert.ok(repo, text);
    assert.equal(existsSync(repo), false, `the throwaway repository ${repo} is removed`);
    const worktrees = join(t.env.CREWMUX_DATA_DIR!, 'worktrees');
    assert.deepEqual(existsSync(worktrees) ? readdirSync(worktrees) : [], [], 'its worktrees are removed');
  } finally {
    if (!exit) term.kill('SIGKILL');
    t.cleanup();
  }
});

test('demo --keep-session leaves its session; stop on that ended session clears it instead of refusing', async () => {
  const t = createTestEnv();
  try {
    const r = await runCli(t, t.dir, ['demo', '--no-attach', '--keep-session'], {
      env: { TMPDIR: t.dir },
      timeoutMs: 180_000,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const sid = /crewmux demo: session (\S+)/.exec(r.stderr)?.[1];
    const repo = /throwaway repository (\S+)/.exec(r.stderr)?.[1];
    assert.ok(sid && repo, r.stderr);
    assert.ok(existsSync(repo), '--keep-session keeps the repository');
    assert.deepEqual(tmuxSessions(t), [`crewmux-${sid}`]);
    const pids = panePids(t);
    assert.ok(pids.length > 0);

    const stop = await runCli(t, repo, ['stop']);
    assert.equal(stop.code, 0, `${stop.stdout}\n${stop.stderr}`);
    assert.match(stop.stdout, new RegExp(`session ${sid} had already ended \\(done\\); stopped what it left running`));
    assert.deepEqual(tmuxSessions(t), []);
    await eventually('every pane process to be gone', () => pids.every((p) => !isAlive(p)));

    const again = await runCli(t, repo, ['stop']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already ended \(done\); nothing of it is running.*E_SESSION_ENDED/s);
  } finally {
    t.cleanup();
  }
});
