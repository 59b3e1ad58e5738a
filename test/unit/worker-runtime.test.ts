/**
 * The local WorkerRuntime over the fakes: the contract every runtime keeps (start, isRunning, readOutput,
 * sendText, stop), with the exact tmux calls of the code it wraps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { chooseRuntime, localRuntime, runtimeByName } from '../../src/app/workers/worker-runtimes.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { ToolError } from '../../src/core/errors.js';

test('the local runtime starts a pane in the lead window, reads it, types into it and stops it', async () => {
  const f = await createFakeRuntime();
  try {
    const r = localRuntime(f.rt);
    assert.equal(r.name, 'local');
    assert.deepEqual(await r.capabilities(), { sendText: true, readOutput: true });
    const log = join(f.dir, 'w1.log');
    const h = await r.start({ workerId: 'w1', cwd: f.dir, command: 'agent --go', env: { K: 'v' }, logFile: log });
    assert.equal(h.windowId, f.leadWindow);
    // One chained startPane: the environment never reaches the tmux argv.
    const started = f.tmux.callsOf('startPane');
    assert.equal(started.length, 1);
    assert.ok(!started[0]!.join(' ').includes('K=v'), started[0]!.join(' '));
    assert.equal(await r.isRunning(h), true);
    f.tmux.setScreen(h.id, 'one\ntwo\nthree\n');
    assert.equal(await r.readOutput(h, 2), 'two\nthree');
    f.tmux.setScreen(h.id, 'ready\n');
    await r.sendText(h, 'hello', { tmpDir: f.dir, readyMarkers: ['ready'] });
    assert.ok(f.tmux.callsOf('pasteBuffer').length === 1);
    f.tmux.clearCalls();
    assert.equal(await r.stop(h), true);
    assert.equal(await r.isRunning(h), false);
    assert.equal(await r.stop(h), false, 'a second stop finds nothing running');
    // Ctrl-C was asked first.
    assert.deepEqual(f.tmux.callsOf('sendKeys')[0], [h.id, 'C-c']);
  } finally {
    f.cleanup();
  }
});

test('a pane that is gone reads as undefined output (the caller falls back to the log)', async () => {
  const f = await createFakeRuntime();
  try {
    assert.equal(await localRuntime(f.rt).readOutput({ id: '%999' }, 10), undefined);
    assert.equal(await localRuntime(f.rt).isRunning({ id: '%999' }), false);
  } finally {
    f.cleanup();
  }
});

test('a runtime is local unless named; an unknown name is refused with the runtimes there are', async () => {
  const f = await createFakeRuntime({ config: { runtimes: { pods: { exec: '/opt/pods.sh' } } } });
  try {
    assert.equal(chooseRuntime(f.rt), 'local');
    assert.equal(chooseRuntime(f.rt, 'pods'), 'pods');
    assert.equal(runtimeByName(f.rt, 'pods').name, 'exec:pods');
    assert.equal(runtimeByName(f.rt, 'pods'), runtimeByName(f.rt, 'pods'), 'one instance per session');
    assert.throws(
      () => chooseRuntime(f.rt, 'k8s'),
      (e: Error) => e instanceof ToolError && /E_RUNTIME_UNKNOWN/.test(e.message) && /local, pods/.test(e.message),
    );
    await assert.rejects(spawnWorker(f.rt, { task: 'x', runtime: 'k8s' }), /unknown runtime "k8s"/);
    assert.equal(f.store.listWorkers(f.rt.sid).length, 0, 'nothing was started');
    f.rt.config = { ...f.rt.config, workerRuntime: 'pods' };
    assert.equal(chooseRuntime(f.rt), 'pods');
  } finally {
    f.cleanup();
  }
});
