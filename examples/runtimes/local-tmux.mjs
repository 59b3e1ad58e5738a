#!/usr/bin/env node
// AN EXAMPLE of a crewmux `exec:` worker runtime (docs/runtimes.md), not part of crewmux itself. It runs each
// worker in a tmux session of its own on THIS machine, on a private socket, to show the protocol working end
// to end; copy it and put `docker exec`, `kubectl exec` or `ssh` where it calls tmux to run workers elsewhere.
//
//   config.json: { "runtimes": { "mytmux": { "exec": "/abs/path/to/local-tmux.mjs" } } }
//
// Called as `local-tmux.mjs OP` with one JSON object on stdin, it prints one JSON object on stdout:
//   capabilities {}                                        -> {"sendText":true,"readOutput":true}
//   start        {workerId, cwd, command, env, logFile}    -> {"id":"<tmux session>"}
//   stop         {id}                                      -> {"wasRunning":bool}
//   is-running   {id}                                      -> {"running":bool}
//   send-text    {id, text}                                -> {}
//   read-output  {id, lines}                               -> {"text":"..."}
// Any other op exits 2 ("unsupported"). The environment (API keys, the worker's MCP token) arrives on stdin and
// goes to a 0600 file the worker's shell sources and deletes: never onto a command line.
// EXAMPLE_RUNTIME_TMUX_SOCKET names the tmux socket (default crewmux-exec-<uid>).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const uid = process.getuid?.() ?? 0;
const socket = process.env.EXAMPLE_RUNTIME_TMUX_SOCKET || `crewmux-exec-${uid}`;
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function tmux(args, input) {
  const r = spawnSync('tmux', ['-L', socket, ...args], { input, encoding: 'utf8' });
  if (r.error) fail(`tmux could not be run: ${r.error.message}`);
  return r;
}
function fail(message) {
  process.stderr.write(`local-tmux example runtime: ${message}\n`);
  process.exit(1);
}
function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
function paneDead(id) {
  // '=' makes -t an exact session name (tmux otherwise matches prefixes).
  const r = tmux(['list-panes', '-t', `=${id}:`, '-F', '#{pane_dead}']);
  return r.status === 0 ? r.stdout.trim() === '1' : undefined;
}
function checkId(id) {
  if (typeof id !== 'string' || !/^crewmux-exec-[A-Za-z0-9_-]+$/.test(id)) fail(`not a session of this runtime: ${id}`);
  return id;
}

const op = process.argv[2];
const input = JSON.parse(readFileSync(0, 'utf8') || '{}');

switch (op) {
  case 'capabilities':
    reply({ sendText: true, readOutput: true });
    break;
  case 'start': {
    const { workerId, cwd, command, env = {}, logFile } = input;
    if (typeof command !== 'string' || typeof cwd !== 'string' || typeof logFile !== 'string')
      fail('start needs command, cwd and logFile');
    const id = `crewmux-exec-${String(workerId).replace(/[^A-Za-z0-9_-]/g, '') || 'w'}-${randomBytes(3).toString('hex')}`;
    const base = join(process.env.XDG_RUNTIME_DIR || tmpdir(), `crewmux-exec-${uid}`);
    const dir = join(base, id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(base, 0o700);
    const envFile = join(dir, 'env');
    const exports = Object.entries(env)
      .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `export ${k}=${q(v)}\n`)
      .join('');
    writeFileSync(envFile, exports, { mode: 0o600 });
    const launch = join(dir, 'launch.sh');
    writeFileSync(launch, `. ${q(envFile)}; rm -f ${q(envFile)}\ncd ${q(cwd)} || exit 1\n${command}\n`, {
      mode: 0o600,
    });
    // One chained tmux invocation: the pane's output is piped from its first byte, and a dead pane stays.
    const r = tmux([
      'new-session',
      '-d',
      '-s',
      id,
      '-x',
      '200',
      '-y',
      '50',
      '-c',
      cwd,
      `exec /bin/sh ${q(launch)}`,
      ';',
      'set-option',
      '-w',
      '-t',
      `=${id}:`,
      'remain-on-exit',
      'on',
      ';',
      'pipe-pane',
      '-t',
      `=${id}:`,
      `cat >> ${q(logFile)}`,
    ]);
    if (r.status !== 0) fail(`tmux new-session failed: ${r.stderr.trim()}`);
    reply({ id });
    break;
  }
  case 'stop': {
    const id = checkId(input.id);
    const dead = paneDead(id);
    if (dead === false) {
      tmux(['send-keys', '-t', `=${id}:`, 'C-c']);
      const until = Date.now() + 1000;
      while (paneDead(id) === false && Date.now() < until) spawnSync('sleep', ['0.05']);
    }
    // kill-session hangs up the pane's process (SIGHUP) when Ctrl-C did not end it.
    if (dead !== undefined) tmux(['kill-session', '-t', `=${id}`]);
    reply({ wasRunning: dead === false });
    break;
  }
  case 'is-running':
    reply({ running: paneDead(checkId(input.id)) === false });
    break;
  case 'send-text': {
    const id = checkId(input.id);
    if (typeof input.text !== 'string') fail('send-text needs text');
    const buffer = `crewmux-exec-${randomBytes(4).toString('hex')}`;
    // The text goes through a tmux buffer from stdin, never a shell; -p pastes bracketed when the app asked.
    if (tmux(['load-buffer', '-b', buffer, '-'], input.text).status !== 0) fail('tmux load-buffer failed');
    if (tmux(['paste-buffer', '-d', '-p', '-b', buffer, '-t', `=${id}:`]).status !== 0)
      fail('tmux paste-buffer failed');
    if (tmux(['send-keys', '-t', `=${id}:`, 'Enter']).status !== 0) fail('tmux send-keys failed');
    reply({});
    break;
  }
  case 'read-output': {
    const id = checkId(input.id);
    const lines = Math.max(1, Math.min(10_000, Number(input.lines) || 60));
    const r = tmux(['capture-pane', '-p', '-J', '-t', `=${id}:`, '-S', `-${lines}`]);
    if (r.status !== 0) fail(`tmux capture-pane failed: ${r.stderr.trim()}`);
    // The screen is 50 lines tall: blank lines between the output and tmux's "Pane is dead" line are dropped.
    const text = r.stdout.split('\n').filter((l) => l.trim() !== '');
    reply({ text: text.slice(-lines).join('\n') });
    break;
  }
  default:
    process.exit(2);
}
