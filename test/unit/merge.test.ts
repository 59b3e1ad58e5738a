/** merge_worker on fakes: a clean merge, a conflict, and a failure that is not a conflict (git's words). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnFinished, spawnRunning } from '../helpers/worker-steps.js';
import { mergeWorker } from '../../src/app/integration/merge.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import { ToolError } from '../../src/core/errors.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { buildMcpServer } from '../../src/mcp/build-server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

const eventsOf = (f: FakeRuntime, type: string) => f.store.eventsAfter(f.rt.sid).filter((e) => e.type === type);

test('merge: a clean merge makes a merge commit on the integration branch; the worker is merged', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnFinished(f, ['src/feature.ts'], 'feature added');
    const before = f.git.resolve(f.rt.integrationBranch)!;
    const workerHead = f.git.resolve(w.branch)!;
    const r = await mergeWorker(f.rt, w.id);
    assert.ok(r.merged);
    assert.equal(f.git.resolve(f.rt.integrationBranch), r.commit);
    assert.deepEqual(f.git.commitInfo(r.commit)!.parents, [before, workerHead]);
    assert.deepEqual(f.git.callsOf('merge'), [
      [f.rt.integrationWorktree, w.branch, `crewmux: merge ${w.id} (implementer, scripted-worker)\n\nfeature added`],
    ]);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'merged');
    const ev = eventsOf(f, 'worker.merged')[0]!;
    assert.equal(ev.message, `${w.id} merged: merged into ${f.rt.integrationBranch} as ${r.commit}`);
    assert.deepEqual(ev.data, { from: 'done', to: 'merged', commit: r.commit });
    await assert.rejects(mergeWorker(f.rt, w.id), /is already merged into/);
  } finally {
    f.cleanup();
  }
});

test('merge: a conflict lists the files and leaves the integration branch and the worker as they were', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnFinished(f);
    const before = f.git.resolve(f.rt.integrationBranch);
    f.git.scriptMerge(w.branch, { kind: 'conflict', files: ['src/a.ts', 'src/b.ts'] });
    assert.deepEqual(await mergeWorker(f.rt, w.id), { merged: false, conflicts: ['src/a.ts', 'src/b.ts'] });
    assert.equal(f.git.resolve(f.rt.integrationBranch), before);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
    const ev = eventsOf(f, 'worker.merge_conflict')[0]!;
    assert.equal(ev.message, `${w.id} conflicts with ${f.rt.integrationBranch} on src/a.ts, src/b.ts`);
    assert.deepEqual(ev.data, { conflicts: ['src/a.ts', 'src/b.ts'] });
    assert.deepEqual(eventsOf(f, 'worker.merged'), []);
  } finally {
    f.cleanup();
  }
});

test('merge: a failure that is not a conflict says git\'s words (worker.merge_failed), not "conflicts on (unknown files)"', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnFinished(f);
    const before = f.git.resolve(f.rt.integrationBranch);
    const detail = 'error: pre-merge-commit hook declined: policy: merges are frozen';
    f.git.scriptMerge(w.branch, { kind: 'failed', detail });
    assert.deepEqual(await mergeWorker(f.rt, w.id), { merged: false, failed: detail });
    assert.equal(f.git.resolve(f.rt.integrationBranch), before);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
    const ev = eventsOf(f, 'worker.merge_failed')[0]!;
    assert.equal(ev.message, `merging ${w.id} into ${f.rt.integrationBranch} failed: ${detail}`);
    assert.deepEqual(ev.data, { detail });
    assert.deepEqual(eventsOf(f, 'worker.merge_conflict'), []);
    // Once the cause is gone, the same worker merges.
    assert.ok((await mergeWorker(f.rt, w.id)).merged);
  } finally {
    f.cleanup();
  }
});

test('merge: refused (ToolError) for a running worker and for one with nothing to merge', async () => {
  const f = await createFakeRuntime();
  try {
    const running = await spawnRunning(f);
    await assert.rejects(
      mergeWorker(f.rt, running.id),
      (e: Error) => e instanceof ToolError && /is running; merge it only after it finishes/.test(e.message),
    );
    const empty = await spawnRunning(f);
    await completeTurn(
      f.rt,
      empty.id,
      { status: 'done', summary: 'nothing to change', noChanges: 'already right' },
      'mcp',
    );
    await assert.rejects(mergeWorker(f.rt, empty.id), /has no commits that are not already on/);
    assert.deepEqual(f.git.callsOf('merge'), []);
  } finally {
    f.cleanup();
  }
});

test('merge: a read-only perspective with commits is refused, its branch not merged, and wait_for_worker says so', async () => {
  const f = await createFakeRuntime();
  try {
    const w = (await spawnWorker(f.rt, { task: 'review src/feature.ts', perspective: 'reviewer' })).worker;
    f.git.commit(w.branch, 'reviewer edited a file', ['src/feature.ts']);
    const server = buildMcpServer({ role: 'lead' }, { rt: f.rt, version: '0.0.0-test' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'merge-test', version: '0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      await completeTurn(f.rt, w.id, { status: 'done', summary: 'two findings' }, 'mcp');
      const waited = await client.callTool({ name: 'wait_for_worker', arguments: { worker_id: w.id } });
      const text = (waited.content as { text: string }[])[0]!.text;
      assert.match(
        text,
        new RegExp(`${w.id} is a read-only reviewer: its 1 commit\\(s\\) on ${w.branch} will not be merged`),
      );
      const before = f.git.resolve(f.rt.integrationBranch);
      await assert.rejects(
        mergeWorker(f.rt, w.id),
        (e: Error) => e instanceof ToolError && /read-only reviewer.*will not be merged/s.test(e.message),
      );
      const merged = await client.callTool({ name: 'merge_worker', arguments: { worker_id: w.id } });
      assert.equal(merged.isError, true);
      assert.deepEqual(f.git.callsOf('merge'), []);
      assert.equal(f.git.resolve(f.rt.integrationBranch), before);
      assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    f.cleanup();
  }
});

test('worker_diff of a running worker shows its uncommitted changes too, labeled, without crewmux files', async () => {
  const f = await createFakeRuntime();
  try {
    const w = await spawnRunning(f);
    f.git.commit(w.branch, 'first part', ['src/done.ts']);
    f.git.setDirty(w.worktree, ['src/wip.ts', 'notes/new.md', '.crewmux/done.flag']);
    const server = buildMcpServer({ role: 'lead' }, { rt: f.rt, version: '0.0.0-test' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'merge-test', version: '0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      const diffText = async () =>
        (
          (await client.callTool({ name: 'worker_diff', arguments: { worker_id: w.id } })).content as { text: string }[]
        )[0]!.text;
      const text = await diffText();
      assert.match(text, /^Committed on its branch:\n[^]*src\/done\.ts/);
      const [, uncommitted] = text.split(/\nUncommitted in its worktree \(the worker is still running[^\n]*\n/);
      assert.ok(uncommitted, text);
      assert.match(uncommitted, /src\/wip\.ts[^]*notes\/new\.md/);
      assert.doesNotMatch(text, /done\.flag/);
      // Once its turn ends (work snapshot-committed), only the branch is shown.
      await completeTurn(f.rt, w.id, { status: 'done', summary: 's' }, 'mcp');
      const after = await diffText();
      assert.doesNotMatch(after, /Uncommitted/);
      assert.match(after, /src\/wip\.ts/);
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    f.cleanup();
  }
});
