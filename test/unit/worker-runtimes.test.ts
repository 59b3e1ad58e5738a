/**
 * Runtime records (app/workers/worker-runtimes.ts): runtime.json is read once per worker and kept in memory, so a
 * record written later must be what the next question answers, and one written by an earlier supervisor is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { recordRuntime, runtimeNameOf } from '../../src/app/workers/worker-runtimes.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';

test('runtime records: a worker read as local and recorded later is on its runtime at once; a record on disk is read', async () => {
  const f = await createFakeRuntime();
  try {
    const { worker } = await spawnWorker(f.rt, { task: 'here' });
    assert.equal(runtimeNameOf(f.rt, worker), 'local');
    recordRuntime(f.rt, worker.id, 'pods');
    assert.equal(runtimeNameOf(f.rt, worker), 'pods');
    recordRuntime(f.rt, worker.id, 'gpu1', 'handle-1');
    assert.equal(runtimeNameOf(f.rt, worker), 'gpu1');
    // As an earlier supervisor of the session left it (a resume): read from the file the first time it is asked.
    const dir = join(f.rt.sessionDir, 'workers', 'w09');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ runtime: 'gpu2', id: 'h' }));
    assert.equal(runtimeNameOf(f.rt, { ...worker, id: 'w09' }), 'gpu2');
  } finally {
    f.cleanup();
  }
});
