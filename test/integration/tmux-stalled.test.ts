/** The tmux adapter against a real server that stops answering (SIGSTOP), on a private socket. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { exec } from '../../src/adapters/process/exec.js';
import { createTestEnv } from '../helpers/env.js';
import { signalPid } from '../helpers/wait.js';

test('a tmux list-panes that times out is an error, not an empty list (regression)', async () => {
  // Before: a list-panes that timed out answered [], and the monitor took that as every pane being gone.
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', timeoutMs: 400 });
  try {
    await tmux.newSession('crewmux-stalled', 'lead', { cwd: t.dir, command: 'exec sleep 600' });
    const server = Number(t.tmux('display-message', '-p', '#{pid}').trim());
    assert.ok(server > 0);
    signalPid(server, 'SIGSTOP');
    try {
      await assert.rejects(tmux.listPanes('crewmux-stalled'), /list-panes .* timed out/);
      await assert.rejects(tmux.hasSession('crewmux-stalled'), /has-session .* timed out/);
    } finally {
      signalPid(server, 'SIGCONT');
    }
    assert.equal((await tmux.listPanes('crewmux-stalled')).length, 1);
    // A session tmux says does not exist has no panes.
    assert.deepEqual(await tmux.listPanes('crewmux-nosuch'), []);
    await tmux.killServer();
    assert.deepEqual(await tmux.listPanes('crewmux-stalled'), []);
  } finally {
    t.cleanup();
  }
});

test("exec settles at its deadline when a process outside the child's group holds its pipes (regression)", async () => {
  // tmux's client passes its stdio to the server; a stopped server kept them open, and exec never settled.
  const r = await exec('/bin/sh', ['-c', 'setsid sleep 30 & echo $!; exit 0'], { timeoutMs: 300, reject: false });
  try {
    assert.equal(r.timedOut, true);
    assert.ok(r.durationMs < 5_000, `took ${r.durationMs} ms`);
  } finally {
    const holder = Number(r.stdout.trim());
    if (holder > 0) signalPid(holder, 'SIGKILL');
  }
});
