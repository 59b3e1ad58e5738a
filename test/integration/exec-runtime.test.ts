/**
 * The `exec:` worker runtime with real scripts: the shipped example (examples/runtimes/local-tmux.mjs) runs a
 * worker in a real tmux session; a script's exit 2 is an unsupported capability; any other failure names the
 * script and the op.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExecRuntime } from '../../src/app/workers/exec-runtime.js';
import { createProcessRunner } from '../../src/adapters/process/process-runner.js';
import { type UserError } from '../../src/core/errors.js';
import { createTestEnv, eventually, ROOT } from '../helpers/env.js';

const EXAMPLE = join(ROOT, 'examples', 'runtimes', 'local-tmux.mjs');

test('the example exec runtime runs a worker in tmux: output in its log, typed text taken, its exit seen', async () => {
  const t = createTestEnv();
  try {
    const env = { ...t.env, EXAMPLE_RUNTIME_TMUX_SOCKET: t.socket, XDG_RUNTIME_DIR: join(t.dir, 'run') };
    const r = createExecRuntime({ name: 'example', script: EXAMPLE, runner: createProcessRunner(), env });
    assert.equal(r.name, 'exec:example');
    assert.deepEqual(await r.capabilities(), { sendText: true, readOutput: true });
    const log = join(t.dir, 'pane.log');
    writeFileSync(log, '');
    const h = await r.start({
      workerId: 'w01',
      cwd: t.dir,
      command: 'echo "started in $(pwd) with $WORKER_SECRET"; read answer; echo "got:$answer"; exit 3',
      env: { WORKER_SECRET: 'sekrit-value' },
      logFile: log,
    });
    assert.match(h.id, /^crewmux-exec-w01-/);
    // The environment reached the agent through a file, never through tmux's argv (the server's cmdline).
    await eventually('the first line in the log', () => readFileSync(log, 'utf8').includes('with sekrit-value'));
    assert.ok(readFileSync(log, 'utf8').includes(`started in ${t.dir}`));
    assert.ok(!t.tmux('list-panes', '-a', '-F', '#{pane_start_command}').includes('sekrit'));
    assert.equal(await r.isRunning(h), true);
    await r.sendText(h, 'forty-two', { tmpDir: t.dir });
    await eventually('the answer in the log', () => readFileSync(log, 'utf8').includes('got:forty-two'));
    await eventually('the agent to have exited', async () => !(await r.isRunning(h)));
    assert.match((await r.readOutput(h, 10)) ?? '', /got:forty-two/);
    // Its env file was sourced and deleted.
    const runDir = join(t.dir, 'run', `crewmux-exec-${process.getuid!()}`, h.id);
    assert.deepEqual(readdirSync(runDir), ['launch.sh']);
    assert.equal(await r.stop(h), false, 'it had already ended');
  } finally {
    t.cleanup();
  }
});

test('stop ends a worker that is still running, and it is not running afterwards', async () => {
  const t = createTestEnv();
  try {
    const env = { ...t.env, EXAMPLE_RUNTIME_TMUX_SOCKET: t.socket, XDG_RUNTIME_DIR: join(t.dir, 'run') };
    const r = createExecRuntime({ name: 'example', script: EXAMPLE, runner: createProcessRunner(), env });
    const log = join(t.dir, 'pane.log');
    const h = await r.start({ workerId: 'w02', cwd: t.dir, command: 'echo up; exec sleep 600', logFile: log });
    await eventually('the worker to be up', () => existsSync(log) && readFileSync(log, 'utf8').includes('up'));
    assert.equal(await r.stop(h), true);
    assert.equal(await r.isRunning(h), false);
  } finally {
    t.cleanup();
  }
});

test('exit 2 makes an op unsupported (capability false); any other failure names the script and the op', async () => {
  const t = createTestEnv();
  try {
    const script = join(t.dir, 'minimal.sh');
    // Supports start and is-running only; is-running fails when asked about "broken".
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        'input=$(cat)',
        'case "$1" in',
        '  start) echo \'{"id":"one"}\' ;;',
        '  is-running) case "$input" in *broken*) echo "no such pod" >&2; exit 1 ;; *) echo \'{"running":true}\' ;; esac ;;',
        '  stop) echo not-json ;;',
        '  *) exit 2 ;;',
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o700);
    const r = createExecRuntime({ name: 'mini', script, runner: createProcessRunner(), env: t.env });
    const h = await r.start({ workerId: 'w1', cwd: t.dir, command: 'true', logFile: join(t.dir, 'l') });
    assert.deepEqual(h, { id: 'one' });
    assert.equal(await r.isRunning(h), true);
    assert.equal(await r.readOutput(h, 5), undefined, 'read-output exited 2: no output to show');
    await assert.rejects(r.sendText(h, 'x', { tmpDir: t.dir }), (e: UserError) => e.code === 'E_RUNTIME_UNSUPPORTED');
    assert.deepEqual(await r.capabilities(), { sendText: false, readOutput: false });
    await assert.rejects(
      r.isRunning({ id: 'broken' }),
      (e: UserError) =>
        e.code === 'E_RUNTIME_SCRIPT' &&
        e.message.includes(script) &&
        e.message.includes('"is-running"') &&
        e.message.includes('exited 1') &&
        e.message.includes('no such pod'),
    );
    await assert.rejects(
      r.stop(h),
      (e: UserError) => e.code === 'E_RUNTIME_SCRIPT' && e.message.includes('"stop"') && e.message.includes('not-json'),
    );
    const missing = createExecRuntime({ name: 'gone', script: join(t.dir, 'nope'), runner: createProcessRunner() });
    await assert.rejects(
      missing.start({ workerId: 'w1', cwd: t.dir, command: 'true', logFile: join(t.dir, 'l') }),
      (e: UserError) => e.code === 'E_RUNTIME_SCRIPT' && e.message.includes('nope') && e.message.includes('"start"'),
    );
  } finally {
    t.cleanup();
  }
});
