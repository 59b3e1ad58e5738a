/** `crewmux manual` on fakes: the worker in the session's first pane, and how its turn's end settles the session. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { settleManualSession, startManualWorker } from '../../src/app/session/manual.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import { leadScriptPath } from '../../src/app/session/lead.js';
import { shellQuote } from '../../src/core/text/shell-quote.js';

/** A manual session: one scripted worker, no lead, the goal as its task. */
const manualRuntime = () =>
  createFakeRuntime({ options: { kind: 'manual', agents: ['scripted-worker'], maxWorkers: 1 } });

async function startedWorker(f: FakeRuntime) {
  // No lead: its pane is the worker's (lead_agent is '' in a real manual session; no code here reads it).
  f.store.updateSession(f.rt.sid, { lead_pane: null });
  return startManualWorker(f.rt);
}

test('manual: the worker starts in the first pane of the session (no split), its exit status where the monitor reads it', async () => {
  const f = await manualRuntime();
  try {
    const w = await startedWorker(f);
    assert.equal(w.id, 'w01');
    assert.equal(w.pane_id, f.leadPane);
    assert.equal(w.task, 'a test goal');
    assert.deepEqual(f.tmux.callsOf('splitWindow'), []);
    const script = readFileSync(leadScriptPath(f.rt.sessionDir), 'utf8');
    assert.ok(
      script.endsWith(`echo $? > ${shellQuote(join(f.rt.sessionDir, 'workers', 'w01', 'exit-status'))}\n`),
      script,
    );
    assert.deepEqual(f.gate.opened, [join(f.rt.sessionDir, 'lead', 'gate.fifo')]);
    // Still at work: settling is a no-op.
    await settleManualSession(f.rt);
    assert.equal(f.store.getSession(f.rt.sid)!.status, 'running');
  } finally {
    f.cleanup();
  }
});

test('manual: a done turn is merged into the integration branch and ends the session done', async () => {
  const f = await manualRuntime();
  try {
    const w = await startedWorker(f);
    f.git.commit(w.branch, 'worker commit', ['src/feature.ts']);
    await completeTurn(f.rt, w.id, { status: 'done', summary: 'feature added' }, 'mcp');
    await settleManualSession(f.rt);
    const s = f.store.getSession(f.rt.sid)!;
    assert.equal(s.status, 'done');
    assert.equal(s.outcome_reason, `w01 (scripted-worker) done: feature added; merged into ${f.rt.integrationBranch}`);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'merged');
    assert.deepEqual(
      f.git.callsOf('merge').map((c) => c[1]),
      [w.branch],
    );
    assert.equal(JSON.parse(s.report!).workers[0].merged, true);
  } finally {
    f.cleanup();
  }
});

test('manual: a failed turn ends the session failed with the worker unmerged; a conflict does too', async () => {
  for (const how of ['failed', 'conflict'] as const) {
    const f = await manualRuntime();
    try {
      const w = await startedWorker(f);
      f.git.commit(w.branch, 'worker commit', ['src/feature.ts']);
      if (how === 'conflict') f.git.scriptMerge(w.branch, { kind: 'conflict', files: ['src/feature.ts'] });
      await completeTurn(f.rt, w.id, { status: how === 'failed' ? 'failed' : 'done', summary: 'tried' }, 'mcp');
      await settleManualSession(f.rt);
      const s = f.store.getSession(f.rt.sid)!;
      assert.equal(s.status, 'failed', how);
      assert.match(
        s.outcome_reason!,
        how === 'failed'
          ? /^w01 \(scripted-worker\) failed: tried; its work is on crewmux\/s1fake00\/w01-implementer, not merged$/
          : /merging crewmux\/s1fake00\/w01-implementer into crewmux\/s1fake00\/integration failed \(conflicts on src\/feature\.ts\)/,
      );
      assert.notEqual(f.store.getWorker(f.rt.sid, w.id)!.state, 'merged');
    } finally {
      f.cleanup();
    }
  }
});
