/**
 * The supervisor's tmux control-mode client (src/adapters/tmux/tmux-control.ts) against a real tmux server on a private
 * socket: a worker's pane starts without a tmux process of its own, commands arrive exactly as written, nobody
 * counts as attached, and the adapter falls back to one-shot commands when the client's session or server goes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createTestEnv, eventually } from '../helpers/env.js';
import { tmuxLine } from '../../src/adapters/tmux/tmux-control.js';
import { signalPid } from '../helpers/wait.js';

/** A tmux binary that logs each start (its argv) to `log`, then runs the real one. */
function countingTmux(dir: string): { binary: string; starts: () => string[] } {
  const log = join(dir, 'tmux-starts.log');
  writeFileSync(log, '');
  const binary = join(dir, 'tmux-counting');
  writeFileSync(binary, `#!/bin/sh\necho "$*" >> '${log}'\nexec tmux "$@"\n`);
  chmodSync(binary, 0o700);
  return { binary, starts: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const waitFor = async (f: () => string | undefined): Promise<string> => {
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
};
const readLine = (file: string) => () => {
  try {
    const s = readFileSync(file, 'utf8');
    return s.endsWith('\n') ? s : undefined;
  } catch {
    return undefined;
  }
};

test("a worker's pane starts over the control client, with no tmux process of its own, exactly as written", async () => {
  const t = createTestEnv();
  const { binary, starts } = countingTmux(t.dir);
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', binary, control: { session: 'crewmux-c1' } });
  try {
    const lead = await tmux.newSession('crewmux-c1', 'lead', { cwd: t.dir, command: 'exec sleep 600' });
    // The first routed command starts the control client (one tmux process, kept).
    assert.equal((await tmux.listPanes('crewmux-c1')).length, 1);
    const before = starts().length;
    // Words tmux would otherwise expand or split: quotes, $, ;, #{}, ~, braces, a tab.
    const out = join(t.dir, "it's out.txt");
    const text = `a 'q' "d" $HOME ; #{pane_id} ~ {b}\tend`;
    const command = `printf '%s\\n' ${`'${text.replace(/'/g, `'\\''`)}'`} > '${out.replace(/'/g, `'\\''`)}'; exec sleep 600`;
    const log = join(t.dir, 'pane.log');
    const ref = await tmux.startPane({ split: lead.windowId }, { cwd: t.dir, command }, `cat >> '${log}'`);
    assert.match(ref.paneId, /^%\d+$/);
    assert.equal(ref.windowId, lead.windowId);
    assert.equal(await waitFor(readLine(out)), `${text}\n`);
    const panes = await tmux.listPanes('crewmux-c1');
    assert.deepEqual(
      panes.map((p) => p.paneId),
      [lead.paneId, ref.paneId],
    );
    await tmux.selectLayout(lead.windowId, 'tiled');
    await tmux.killPane(ref.paneId);
    assert.equal((await tmux.listPanes('crewmux-c1')).length, 1);
    assert.deepEqual(starts().slice(before), [], 'no tmux process was started for these commands');
    // The control client is nobody attached (the monitor ends an unattended run whose lead cannot work).
    assert.deepEqual(await tmux.listClients('crewmux-c1'), []);
    assert.equal(t.tmux('list-clients', '-F', '#{client_control_mode}').trim(), '1');
    // A command tmux reports as failed is an error, as from the one-shot client.
    await assert.rejects(
      tmux.startPane({ split: '@999' }, { cwd: t.dir, command: 'exec sleep 1' }, 'cat > /dev/null'),
      /can't find window/,
    );
    await tmux.close?.();
    assert.equal(t.tmux('list-clients').trim(), '', 'closed: the control client detached');
    // Later calls still work (one-shot).
    assert.equal((await tmux.listPanes('crewmux-c1')).length, 1);
  } finally {
    await tmux.close?.();
    t.cleanup();
  }
});

test('the control client survives its session and server going: one-shot commands meanwhile, then a new client', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', control: { session: 'crewmux-c2' } });
  try {
    await tmux.newSession('crewmux-c2', 'lead', { cwd: t.dir, command: 'exec sleep 600' });
    assert.equal((await tmux.listPanes('crewmux-c2')).length, 1);
    await tmux.killServer();
    // The client ended with its server: answered by the one-shot client (no server: no panes).
    assert.deepEqual(await tmux.listPanes('crewmux-c2'), []);
    await tmux.newSession('crewmux-c2', 'lead', { cwd: t.dir, command: 'exec sleep 600' });
    const lead = (await tmux.listPanes('crewmux-c2'))[0]!;
    const out = join(t.dir, 'again.txt');
    // A new client attaches on a later command (an attach that failed is tried again after a second).
    await eventually('a new control client to attach', async () => {
      await tmux.listPanes('crewmux-c2');
      return t.tmux('list-clients', '-F', '#{client_control_mode}').trim() === '1';
    });
    await tmux.startPane(
      { split: lead.windowId },
      { cwd: t.dir, command: `echo again > '${out}'; exec sleep 600` },
      'cat > /dev/null',
    );
    assert.equal(await waitFor(readLine(out)), 'again\n');
  } finally {
    await tmux.close?.();
    t.cleanup();
  }
});

test('a server that stops answering times the control client out: an error, never an empty list', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', timeoutMs: 400, control: { session: 'cs' } });
  try {
    await tmux.newSession('cs', 'lead', { cwd: t.dir, command: 'exec sleep 600' });
    assert.equal((await tmux.listPanes('cs')).length, 1);
    const server = Number(t.tmux('display-message', '-p', '#{pid}').trim());
    signalPid(server, 'SIGSTOP');
    try {
      await assert.rejects(tmux.listPanes('cs'), /list-panes .* timed out/);
    } finally {
      signalPid(server, 'SIGCONT');
    }
    assert.equal((await tmux.listPanes('cs')).length, 1);
  } finally {
    await tmux.close?.();
    t.cleanup();
  }
});

test('a control-mode line quotes every word, and refuses one that holds a newline', () => {
  assert.equal(
    tmuxLine([['split-window', '-t', '@3', '-F', '#{pane_id}\t#{window_id}', "it's $x; ~"], ['last-pane']]),
    `split-window -t @3 -F '#{pane_id}\t#{window_id}' 'it'"'"'s $x; ~' ; last-pane`,
  );
  assert.equal(tmuxLine([['send-keys', 'a\nb']]), undefined);
});
