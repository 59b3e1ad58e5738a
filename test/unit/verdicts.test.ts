/** submit_verdict on fakes: a verdict is stored once; a reviewer that tries again (relaunched after it answered) is told it stands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { requestReview, submitVerdict } from '../../src/app/review/verdicts.js';

test('submit_verdict: stored on the pending review; a second one is told the first stands and to call worker_done', async () => {
  const f = await createFakeRuntime();
  try {
    const w = (await spawnWorker(f.rt, { task: 'review the goal', perspective: 'reviewer' })).worker;
    const id = requestReview(f.rt, w.id, 'gate', 2, [{ id: 'A1', text: 'a.txt exists' }]);
    const v = { verdict: 'pass', risk: 'low', criteria: [{ id: 'A1', met: true, evidence: 'read it' }], findings: [] };
    assert.equal(submitVerdict(f.rt, w.id, v).id, id);
    assert.throws(
      () => submitVerdict(f.rt, w.id, v),
      /your verdict \(pass\) on the goal \(gate round 2\) is already recorded.*Call worker_done/,
    );
    const other = (await spawnWorker(f.rt, { task: 'review', perspective: 'reviewer' })).worker;
    assert.throws(() => submitVerdict(f.rt, other.id, v), /no review is asked of you/);
  } finally {
    f.cleanup();
  }
});
