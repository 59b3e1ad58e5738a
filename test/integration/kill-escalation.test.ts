/**
 * The kill escalation against real processes: the hang fixture ignores SIGTERM, so only the SIGKILL that
 * follows the grace period stops it, whether it is stopped as a process tree or as a timed-out command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, ExecError, execDetached } from '../../src/adapters/process/exec.js';
import { isAlive, killTree, processTree } from '../../src/adapters/process/process-tree.js';
import { systemClock } from '../../src/adapters/system/clock.js';
import { waitUntil } from '../../src/core/clock.js';
import { FIXTURES } from '../helpers/env.js';
import { signalPid } from '../helpers/wait.js';

const HANG = join(FIXTURES, 'hang-worker.mjs');

function tempDir(): { dir: string; env: NodeJS.ProcessEnv; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-kill-'));
  // The fixture writes its pid beside its prompt file.
  const env = { ...process.env, CREWMUX_PROMPT_FILE: join(dir, 'prompt.md') };
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('killTree: a process that ignores SIGTERM gets it first and dies by SIGKILL after the grace period', async () => {
  const t = tempDir();
  const log = join(t.dir, 'out.log');
  const pid = execDetached(process.execPath, [HANG], { cwd: t.dir, env: t.env, logFile: log });
  try {
    const working = () => readFileSync(log, 'utf8').includes('working forever');
    const ready = await waitUntil(working, { timeoutMs: 10_000, intervalMs: 20, clock: systemClock });
    assert.ok(ready, 'the hang fixture did not start');
    const started = performance.now();
    await killTree(pid, 400);
    const took = performance.now() - started;
    assert.equal(isAlive(pid), false);
    assert.ok(took >= 400, `SIGKILL came after ${Math.round(took)} ms, before the 400 ms grace period ended`);
    assert.ok(took < 5_000, `stopping took ${Math.round(took)} ms`);
    assert.match(readFileSync(log, 'utf8'), /ignoring SIGTERM/);
  } finally {
    try {
      signalPid(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    t.cleanup();
  }
});

test('exec: a command past its timeout gets SIGTERM, then SIGKILL after killGraceMs, and the error says so', async () => {
  // A shell starts in milliseconds even on a loaded machine (node takes up to a second there); an
  // ignored SIGTERM stays ignored across exec, so `sleep` ignores it too.
  const started = performance.now();
  const run = exec('/bin/sh', ['-c', 'trap "" TERM; echo ready; exec sleep 30'], { timeoutMs: 500, killGraceMs: 300 });
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  const took = performance.now() - started;
  assert.ok(err instanceof ExecError, String(err));
  assert.equal(err.result.timedOut, true);
  assert.equal(err.result.signal, 'SIGKILL');
  assert.equal(err.result.stdout, 'ready\n');
  assert.match(err.message, /^\/bin\/sh -c .* timed out/);
  assert.ok(took >= 800, `ended after ${Math.round(took)} ms, before timeout + grace`);
});

test('a pid read as 0, NaN, 1 or a negative group names no process: nothing alive, an empty tree to stop', () => {
  // processTree(0) once listed every process (init's parent is 0), and killTree(0) would have signalled them all;
  // a pid file read before its writer wrote it parses as 0. killTree is never called here with such a pid.
  for (const pid of [0, Number(''), Number('x'), 1, -process.pid]) {
    assert.equal(isAlive(pid), false, `isAlive(${pid})`);
    assert.deepEqual(processTree(pid), [], `processTree(${pid})`);
  }
  assert.deepEqual(processTree(process.pid)[0], process.pid);
});
