/**
 * crewmux started inside tmux (issue 14): a real tmux server stands in for the user's, with a control-mode client
 * attached to the user's session and $TMUX/$TMUX_PANE set as in one of its panes. `demo --attach` then never
 * nests a client in the user's pane: on the same server the client switches to crewmux's session (and comes
 * back, still attached, when the session ends); on another server a window of the user's session shows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createTestEnv, diagnostics, eventually, runCli, type CliResult } from '../helpers/env.js';

interface UserTmux {
  tmux(...args: string[]): string;
  env: NodeJS.ProcessEnv;
  client: ChildProcess;
  close(): void;
}

/** The user's tmux: a session `user` on server `socket` with a control-mode client attached to it. */
async function userTmux(socket: string): Promise<UserTmux> {
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'user', '-x', '120', '-y', '40');
  const path = tmux('display-message', '-p', '-t', '=user', '#{socket_path}').trim();
  const pid = tmux('display-message', '-p', '-t', '=user', '#{pid}').trim();
  const pane = tmux('list-panes', '-t', '=user', '-F', '#{pane_id}').trim();
  const client = spawn('tmux', ['-L', socket, '-f', '/dev/null', '-C', 'attach-session', '-t', '=user'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await eventually('the user client to attach', () => tmux('list-clients', '-F', '#{session_name}').includes('user'));
  return {
    tmux,
    env: { TMUX: `${path},${pid},0`, TMUX_PANE: pane },
    client,
    close() {
      client.kill();
      try {
        tmux('kill-server');
      } catch {
        /* gone */
      }
    },
  };
}

/** Runs `demo --attach` as from a pane of the user's tmux, calling `watch` until it ends. */
async function demoInside(t: ReturnType<typeof createTestEnv>, user: UserTmux, watch: () => void): Promise<CliResult> {
  let done: CliResult | undefined;
  const run = runCli(t, t.dir, ['demo', '--attach'], { env: { ...user.env, TMPDIR: t.dir }, timeoutMs: 180_000 }).then(
    (r) => (done = r),
  );
  await eventually(
    'the demo to end',
    () => {
      watch();
      return done;
    },
    190_000,
  );
  return run;
}

const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

test('inside tmux on the same server: the client switches to the session, and is back (still attached) at the end', async () => {
  const t = createTestEnv();
  const user = await userTmux(t.socket); // the user's server is the one crewmux uses
  try {
    const seen = new Set<string>();
    const r = await demoInside(t, user, () => {
      for (const s of user.tmux('list-clients', '-F', '#{session_name}').split('\n').filter(Boolean)) seen.add(s);
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const sid = /crewmux demo: session (\S+)/.exec(r.stderr)?.[1];
    assert.ok(seen.has(`crewmux-${sid}`), `the user's client showed crewmux's session (saw ${[...seen].join(', ')})`);
    assert.equal(count(r.stderr, /switched to crewmux's session/), 1, r.stderr);
    assert.match(r.stderr, /you are inside tmux, so this tmux client was switched/);
    // The session ended and was removed: the client went back to the user's session instead of leaving tmux.
    assert.equal(user.client.exitCode, null, 'the user client is still attached');
    assert.equal(user.tmux('list-clients', '-F', '#{session_name}').trim(), 'user');
  } finally {
    user.close();
    t.cleanup();
  }
});

test("inside tmux on another server: crewmux's session opens in a new window of the user's session", async () => {
  const t = createTestEnv();
  const user = await userTmux(`${t.socket}-user`); // crewmux keeps its own server (CREWMUX_TMUX_SOCKET)
  try {
    const windows = new Set<string>();
    let innerClients = 0;
    const r = await demoInside(t, user, () => {
      for (const w of user.tmux('list-windows', '-t', '=user', '-F', '#{window_name}').split('\n')) windows.add(w);
      try {
        innerClients = Math.max(
          innerClients,
          t.tmux('list-clients', '-F', '#{client_pid}').split('\n').filter(Boolean).length,
        );
      } catch {
        /* crewmux's server not up yet, or gone */
      }
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const sid = /crewmux demo: session (\S+)/.exec(r.stderr)?.[1];
    assert.ok(windows.has(`crewmux:crewmux-${sid}`), `a window showed the session (saw ${[...windows].join(', ')})`);
    assert.ok(innerClients >= 1, "a client attached to crewmux's server from that window");
    assert.equal(count(r.stderr, /opened in a new window of your session/), 1, r.stderr);
    assert.match(r.stderr, /same prefix key: press the prefix twice/);
    // The session ended: its window closed with it, and the user's session and client are untouched.
    await eventually(
      'the window to close',
      () => !user.tmux('list-windows', '-t', '=user', '-F', '#{window_name}').includes('crewmux:'),
    );
    assert.equal(user.client.exitCode, null);
  } finally {
    user.close();
    t.cleanup();
  }
});
