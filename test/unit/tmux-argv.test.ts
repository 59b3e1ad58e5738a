/** The exact argv crewmux sends to tmux: the contract with the outside (a no-op binary records it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTmux } from '../../src/adapters/tmux/tmux.js';

test('tmux commands use exact targets, ids and the private socket', async () => {
  const seen: string[][] = [];
  const tmux = createTmux({ socket: 'sock', configFile: '/dev/null', binary: 'true', onCommand: (a) => seen.push(a) });
  await tmux.hasSession('crewmux-s1');
  await tmux.splitWindow('@3', { cwd: '/w', command: 'exec sleep 1' });
  await tmux.pasteBuffer('buf', '%4');
  await tmux.sendKeys('%4', 'Enter');
  await tmux.pipePane('%4', "cat >> '/x y'");
  await tmux.startPane({ split: '@3' }, { cwd: '/w', command: 'agent' }, "cat >> '/l'");
  await tmux.startPane({ session: 's', window: 'workers-2' }, { cwd: '/w', command: 'agent' }, "cat >> '/l'");
  const pane = ['-c', '/w', '-P', '-F', '#{pane_id}\t#{window_id}', '/bin/sh', '-c', 'agent'];
  assert.deepEqual(seen.slice(5), [
    [
      ...['true', '-L', 'sock', '-f', '/dev/null', 'split-window', '-t', '@3', ...pane],
      ...[';', 'pipe-pane', '-o', "cat >> '/l'", ';', 'select-layout', 'tiled', ';', 'last-pane'],
    ],
    [
      ...['true', '-L', 'sock', '-f', '/dev/null', 'new-window', '-t', '=s:', '-n', 'workers-2', ...pane],
      ...[';', 'set-option', '-w', 'remain-on-exit', 'on', ';', 'pipe-pane', '-o', "cat >> '/l'", ';', 'last-window'],
    ],
  ]);
  assert.deepEqual(seen.slice(0, 5), [
    ['true', '-L', 'sock', '-f', '/dev/null', 'has-session', '-t', '=crewmux-s1'],
    [
      'true',
      '-L',
      'sock',
      '-f',
      '/dev/null',
      'split-window',
      '-d',
      '-t',
      '@3',
      '-c',
      '/w',
      '-P',
      '-F',
      '#{pane_id}',
      'exec sleep 1',
    ],
    ['true', '-L', 'sock', '-f', '/dev/null', 'paste-buffer', '-d', '-p', '-b', 'buf', '-t', '%4'],
    ['true', '-L', 'sock', '-f', '/dev/null', 'send-keys', '-t', '%4', 'Enter'],
    ['true', '-L', 'sock', '-f', '/dev/null', 'pipe-pane', '-o', '-t', '%4', "cat >> '/x y'"],
  ]);
});

test('a parked pane starts detached in its hidden window; adopting it pipes, keeps it on exit and moves it in one invocation', async () => {
  const seen: string[][] = [];
  const tmux = createTmux({ socket: 'sock', configFile: '/dev/null', binary: 'true', onCommand: (a) => seen.push(a) });
  await tmux.parkPane('crewmux-s1', 'crewmux-pool', { cwd: '/w', command: 'read _ < /g && . /l' });
  await tmux.adoptPane('%7', { split: '@0' }, "cat >> '/l'");
  await tmux.adoptPane('%7', { session: 'crewmux-s1', window: 'workers-2' }, "cat >> '/l'");
  // A pane piped since it was parked (app/workers/pool-panes.ts): no pipe-pane on the spawn's path.
  await tmux.adoptPane('%8', { split: '@0' }, '');
  const base = ['true', '-L', 'sock', '-f', '/dev/null'];
  const start = [
    '-c',
    '/w',
    '-P',
    '-F',
    '#{pane_id}\t#{window_id}\t#{pane_pid}',
    '/bin/sh',
    '-c',
    'read _ < /g && . /l',
  ];
  const head = [
    'pipe-pane',
    '-t',
    '%7',
    '-o',
    "cat >> '/l'",
    ';',
    'set-option',
    '-p',
    '-t',
    '%7',
    'remain-on-exit',
    'on',
  ];
  assert.deepEqual(seen, [
    [
      ...[...base, 'split-window', '-d', '-t', '=crewmux-s1:=crewmux-pool', ...start],
      ...[';', 'select-layout', '-t', '=crewmux-s1:=crewmux-pool', 'tiled'],
    ],
    [...base, ...head, ';', 'join-pane', '-d', '-s', '%7', '-t', '@0', ';', 'select-layout', '-t', '@0', 'tiled'],
    [
      ...[...base, ...head, ';', 'break-pane', '-d', '-s', '%7', '-t', '=crewmux-s1:', '-n', 'workers-2'],
      ...[';', 'display-message', '-p', '-t', '%7', '#{pane_id}\t#{window_id}'],
    ],
    [
      ...[...base, 'set-option', '-p', '-t', '%8', 'remain-on-exit', 'on'],
      ...[';', 'join-pane', '-d', '-s', '%8', '-t', '@0', ';', 'select-layout', '-t', '@0', 'tiled'],
    ],
  ]);
});
