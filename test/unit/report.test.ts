/**
 * The end-of-run report: a merged worker reads "merged" (once "merged (merged)"), and "take it: git merge ..."
 * appears only when the integration branch has commits beyond the base (once also after nothing was merged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/core/session/report.js';
import { buildReport } from '../../src/app/session/goal.js';
import { mergeWorker } from '../../src/app/integration/merge.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { spawnFinished } from '../helpers/worker-steps.js';

test('report: a merged worker says merged once; take it appears once something is merged', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnFinished(f);
    const before = renderReport(await buildReport(f.rt, 'failed', 'nothing merged'));
    assert.doesNotMatch(before, /take it:/);
    assert.match(before, /^nothing to take: crewmux\/\S+ has no commits beyond the base$/m);
    await mergeWorker(f.rt, w.id);
    const text = renderReport(await buildReport(f.rt, 'done', 'all merged'));
    assert.match(text, new RegExp(`^  ${w.id}  scripted-worker  implementer  merged  ${w.branch}$`, 'm'));
    assert.doesNotMatch(text, /merged \(merged\)/);
    assert.match(text, new RegExp(`^take it: git merge ${f.rt.integrationBranch}$`, 'm'));
    assert.doesNotMatch(text, /nothing to take/);
  } finally {
    f.cleanup();
  }
});
