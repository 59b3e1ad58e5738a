/** Pane layout and a start that loses nothing (one chained tmux call) on a real tmux server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import {
  createSessionWindows,
  deathReason,
  exitStatusFile,
  FIFO_GATE,
  openParkedPane,
  openWorkerPane,
  parkedCommand,
  POOL_WINDOW,
  type ParkedPane,
} from '../../src/app/workers/panes.js';
import { readIfExists } from '../../src/adapters/system/files.js';
import { createTestEnv, eventually } from '../helpers/env.js';

test('seven workers: four beside the lead, three in workers-2; the first byte is logged; exit statuses kept', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null' });
  try {
    await createSessionWindows(tmux, 'crewmux-layout', t.dir, join(t.dir, 'lead.sh'), {
      cwd: t.dir,
      command: 'exec sleep 600',
    });
    const panes: { paneId: string; windowId: string }[] = [];
    // The first split exits at once too: a split pane loses nothing either (its own dir: its own exit-status).
    const split = join(t.dir, 'w0', 'pane.log');
    mkdirSync(dirname(split));
    writeFileSync(split, '');
    for (let i = 0; i < 6; i++)
      panes.push(
        await openWorkerPane(
          tmux,
          'crewmux-layout',
          { cwd: t.dir, command: i === 0 ? 'printf "split-first\\n"; (exit 4)' : 'exec sleep 600' },
          i === 0 ? split : join(t.dir, `w${i}.log`),
        ),
      );
    // The seventh exits at once with status 3 after printing: nothing of it may be lost.
    const log = join(t.dir, 'fast.log');
    writeFileSync(log, '');
    panes.push(
      await openWorkerPane(tmux, 'crewmux-layout', { cwd: t.dir, command: 'printf "first-byte\\n"; (exit 3)' }, log),
    );
    const all = await tmux.listPanes('crewmux-layout');
    const count = (name: string) => all.filter((p) => p.windowName === name).length;
    assert.equal(count('lead'), 5);
    assert.equal(count('workers-2'), 3);
    assert.equal(count('supervisor'), 1);
    assert.equal(all.length, 9);
    await eventually('the log to hold the first output', () => readFileSync(log, 'utf8').includes('first-byte'));
    // Regression: tmux 3.3 often reports a dead pane without any status; the pane's shell saves it.
    const dead = await eventually(
      'the pane to be dead and kept',
      async () => (await tmux.listPanes('crewmux-layout')).find((p) => p.paneId === panes[6]!.paneId && p.dead),
      5_000,
    );
    assert.equal(deathReason(readIfExists(exitStatusFile(log)), dead), 'exited with status 3');
    await eventually('the split pane to log its first output', () =>
      readFileSync(split, 'utf8').includes('split-first'),
    );
    await eventually('the split pane to save its status', () => readIfExists(exitStatusFile(split))?.trim() === '4');
    // Opening panes never took the focus: the lead's window and pane are still the current ones.
    const focus = execFileSync(
      tmux.argv(['display-message', '-p', '-t', 'crewmux-layout', '#{window_name}.#{pane_index}'])[0]!,
      tmux.argv(['display-message', '-p', '-t', 'crewmux-layout', '#{window_name}.#{pane_index}']).slice(1),
      { encoding: 'utf8' },
    );
    assert.equal(focus.trim(), 'lead.0');
  } finally {
    t.cleanup();
  }
});

test("a worker's pane over the control client: its env file read, emptied by a builtin, then removed; /bin/sh", async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', control: { session: 'crewmux-envf' } });
  try {
    await createSessionWindows(tmux, 'crewmux-envf', t.dir, join(t.dir, 'lead.sh'), {
      cwd: t.dir,
      command: 'exec sleep 600',
    });
    const log = join(t.dir, 'w1', 'pane.log');
    mkdirSync(dirname(log));
    writeFileSync(log, '');
    const out = join(t.dir, 'w1', 'seen.txt');
    await openWorkerPane(
      tmux,
      'crewmux-envf',
      {
        cwd: t.dir,
        command: `printf '%s %s\\n' "$CANARY" "$(readlink /proc/$$/exe)" > '${out}'; exec sleep 600`,
        env: { CANARY: 'value with spaces' },
      },
      log,
    );
    const seen = await eventually(
      'the agent to write what it saw',
      () => readIfExists(out)?.endsWith('\n') && readIfExists(out),
    );
    const [canary, shell] = [seen.slice(0, 'value with spaces'.length), seen.trim().split(' ').at(-1)!];
    assert.equal(canary, 'value with spaces');
    // tmux started /bin/sh itself (not the default-shell, bash here).
    assert.equal(shell, execFileSync('readlink', ['-f', '/bin/sh'], { encoding: 'utf8' }).trim());
    await eventually('the env file to be removed', () => readIfExists(join(t.dir, 'w1', 'env')) === undefined);
  } finally {
    await tmux.close?.();
    t.cleanup();
  }
});

test('parked panes: out of sight in crewmux-pool, moved beside the lead and into an overflow window, first byte logged, focus kept, exit kept', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null', control: { session: 'crewmux-park' } });
  try {
    await createSessionWindows(tmux, 'crewmux-park', t.dir, join(t.dir, 'lead.sh'), {
      cwd: t.dir,
      command: 'exec sleep 600',
    });
    const setEnv = (...args: string[]) => {
      const argv = tmux.argv(['set-environment', '-t', 'crewmux-park', ...args]);
      execFileSync(argv[0]!, argv.slice(1));
    };
    // The session environment at park time, as an attaching client's update-environment leaves it.
    setEnv('SSH_AUTH_SOCK', '/tmp/agent-at-park-time.sock');
    setEnv('STALE_VAR', 'from-park-time');
    const gate = (k: number) => join(t.dir, `pool-${k}`, 'gate.fifo');
    const launch = (k: number) => join(t.dir, `pool-${k}`, 'launch.sh');
    const parked: ParkedPane[] = [];
    const pooled = (k: number) => join(t.dir, `pool-${k}`, 'pane.log');
    for (const k of [1, 2]) {
      await FIFO_GATE.create(gate(k));
      const p = await tmux.parkPane('crewmux-park', POOL_WINDOW, {
        cwd: t.dir,
        command: parkedCommand(gate(k), launch(k)),
      });
      // Piped at park time, as app/workers/pool-panes.ts does.
      await tmux.pipePane(p.paneId, `cat >> ${pooled(k)}`);
      parked.push({ paneId: p.paneId, pid: p.pid, gate: gate(k), launch: launch(k), log: pooled(k) });
    }
    const before = await tmux.listPanes('crewmux-park');
    assert.deepEqual(
      before.filter((p) => p.windowName === POOL_WINDOW).map((p) => p.paneId),
      parked.map((p) => p.paneId),
    );
    const log = (k: number) => join(t.dir, `w${k}`, 'pane.log');
    for (const k of [1, 2]) {
      mkdirSync(dirname(log(k)));
      writeFileSync(log(k), '');
    }
    // Beside the lead: it prints at once and exits 5; nothing is lost and its dead pane stays.
    const a = await openParkedPane(
      tmux,
      'crewmux-park',
      parked[0]!,
      { cwd: t.dir, command: 'printf "parked-first\\n"; (exit 5)', env: { SECRET_X: 'not-on-argv' } },
      log(1),
    );
    assert.equal(a.paneId, parked[0]!.paneId);
    await eventually('its first output', () => readFileSync(log(1), 'utf8').includes('parked-first'));
    await eventually('its status', () => readIfExists(exitStatusFile(log(1)))?.trim() === '5');
    const dead = await eventually(
      'the pane to be dead and kept',
      async () => (await tmux.listPanes('crewmux-park')).find((p) => p.paneId === a.paneId && p.dead),
      5_000,
    );
    assert.equal(dead.windowName, 'lead');
    // A client attached since with another agent socket, and tmux now removes STALE_VAR from new panes: the parked
    // shell still has the old values, and the worker gets what a new pane would; its env file has the last word.
    setEnv('SSH_AUTH_SOCK', '/tmp/agent-of-the-new-client.sock');
    setEnv('-r', 'STALE_VAR');
    setEnv('SECRET_Y', 'from-the-session');
    // Into an overflow window (as the sixth worker would go): break-pane out of the pool window.
    const b = await openParkedPane(
      tmux,
      'crewmux-park',
      parked[1]!,
      {
        cwd: t.dir,
        command: 'echo "$SECRET_Y sock=$SSH_AUTH_SOCK stale=${STALE_VAR-unset}"; exec sleep 600',
        env: { SECRET_Y: 'from-the-env-file' },
      },
      log(2),
      Promise.resolve([
        ...before.filter((p) => p.windowName !== POOL_WINDOW),
        ...[1, 2, 3, 4].map((i) => ({ ...before[0]!, paneId: `%x${i}` })),
      ]),
    );
    await eventually('its output', () => readFileSync(log(2), 'utf8').includes('from-the-env-file'));
    assert.match(
      readFileSync(log(2), 'utf8'),
      /from-the-env-file sock=\/tmp\/agent-of-the-new-client\.sock stale=unset/,
    );
    const after = await tmux.listPanes('crewmux-park');
    assert.equal(after.find((p) => p.paneId === b.paneId)!.windowName, 'workers-2');
    assert.equal(
      after.filter((p) => p.windowName === POOL_WINDOW).length,
      0,
      'the pool window went with its last pane',
    );
    assert.equal(readIfExists(join(dirname(log(2)), 'env')) ?? '', '', 'the env file was emptied');
    const focus = execFileSync(
      tmux.argv(['display-message', '-p', '-t', 'crewmux-park', '#{window_name}.#{pane_index}'])[0]!,
      tmux.argv(['display-message', '-p', '-t', 'crewmux-park', '#{window_name}.#{pane_index}']).slice(1),
      { encoding: 'utf8' },
    );
    assert.equal(focus.trim(), 'lead.0', 'the focus never moved');
  } finally {
    await tmux.close?.();
    t.cleanup();
  }
});
