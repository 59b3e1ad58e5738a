/**
 * Risk-aware merging on fakes: merge.autoMerge levels x verdict risk, a held merge approved (the supervisor's pass
 * merges it, the lead's next merge_worker says "merged by approval") or rejected (stays unmerged with the reason),
 * the notification, and `crewmux approve` / `crewmux reject` refusing what does not wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { spawnFinished } from '../helpers/worker-steps.js';
import { mergeDecision, AUTO_MERGE_LEVELS, type AutoMerge } from '../../src/core/review/approval.js';
import { RISK_LEVELS, type RiskLevel } from '../../src/core/review/verdict.js';
import { approvalNotices, approvalsPass, mergeWithApproval } from '../../src/app/review/approval.js';
import { approveMerge, pendingApprovals, rejectMerge } from '../../src/app/review/approval-human.js';
import { createNotifyDecider } from '../../src/core/notify/rules.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { ToolError } from '../../src/core/errors.js';
import type { WorkerRow } from '../../src/core/session/rows.js';
import { buildMcpServer } from '../../src/mcp/build-server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

const eventsOf = (f: FakeRuntime, type: string) => f.store.eventsAfter(f.rt.sid).filter((e) => e.type === type);

/** A reviewer's submitted verdict on worker `w`'s change at `risk`. */
function verdictOn(f: FakeRuntime, w: WorkerRow, risk: RiskLevel, reviewer = 'w99', verdict: 'pass' | 'fail' = 'pass') {
  const store = f.store.review();
  const id = store.addReview({ session: f.rt.sid, reviewer, subject: w.id, round: 0, criteria: [], ts: f.clock.now() });
  store.submitVerdict(id, { verdict, risk, criteria: [], findings: [] }, f.clock.now());
}

test('autoMerge x risk: all merges everything, none nothing, low only low, medium low and medium; no verdict holds', () => {
  const expected: Record<AutoMerge, RiskLevel[]> = {
    all: [...RISK_LEVELS],
    low: ['low'],
    medium: ['low', 'medium'],
    none: [],
  };
  for (const level of AUTO_MERGE_LEVELS) {
    for (const risk of RISK_LEVELS)
      assert.equal(
        mergeDecision(level, risk),
        expected[level].includes(risk) ? 'merge' : 'hold',
        `autoMerge ${level}, risk ${risk}`,
      );
    assert.equal(mergeDecision(level, undefined), level === 'all' ? 'merge' : 'hold', `autoMerge ${level}, no verdict`);
  }
  assert.deepEqual(ConfigSchema.parse({ merge: { autoMerge: 'low', reviewBeforeMerge: true } }).merge, {
    autoMerge: 'low',
    reviewBeforeMerge: true,
  });
  assert.throws(() => ConfigSchema.parse({ merge: { autoMerge: 'high' } }));
});

test('autoMerge "low": a low-risk change merges; a high-risk one is held until approved, then merged by approval', async () => {
  const f = await createFakeRuntime({ config: ConfigSchema.parse({ merge: { autoMerge: 'low' } }) });
  try {
    const low = await spawnFinished(f, ['src/low.ts']);
    const high = await spawnFinished(f, ['src/high.ts']);
    verdictOn(f, low, 'low');
    verdictOn(f, high, 'high', 'w98');
    const a = await mergeWithApproval(f.rt, low.id);
    assert.equal(a.kind, 'merged');
    assert.equal(f.store.getWorker(f.rt.sid, low.id)!.state, 'merged');

    const before = f.git.resolve(f.rt.integrationBranch);
    const held = await mergeWithApproval(f.rt, high.id);
    assert.equal(held.kind, 'held');
    assert.ok(held.kind === 'held' && held.fresh && held.approval.risk === 'high');
    assert.match(held.kind === 'held' ? held.approval.reason : '', /risk high, above merge.autoMerge "low"/);
    assert.equal(f.git.resolve(f.rt.integrationBranch), before);
    assert.equal(f.store.getWorker(f.rt.sid, high.id)!.state, 'done');
    const ev = eventsOf(f, 'merge.awaiting_approval');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.worker_id, high.id);
    assert.match(ev[0]!.message, new RegExp(`crewmux approve ${high.id}`));
    // Asked again before anyone decided: still held, no second row or event.
    const again = await mergeWithApproval(f.rt, high.id);
    assert.ok(again.kind === 'held' && !again.fresh);
    assert.equal(eventsOf(f, 'merge.awaiting_approval').length, 1);
    assert.deepEqual(
      pendingApprovals(f.store, f.rt.sid).map((x) => x.worker),
      [high.id],
    );

    approveMerge(f.store, f.rt.sid, high.id, f.clock.now);
    assert.equal(eventsOf(f, 'merge.approved').length, 1);
    await approvalsPass(f.rt);
    const merged = f.store.getWorker(f.rt.sid, high.id)!;
    assert.equal(merged.state, 'merged');
    assert.notEqual(f.git.resolve(f.rt.integrationBranch), before);
    assert.equal(f.store.review().latestApproval(f.rt.sid, high.id)!.status, 'merged');
    // The lead hears it once (wait_for_worker), and its merge_worker answers "merged by approval".
    const news = approvalNotices(f.rt);
    assert.equal(news.length, 1);
    assert.match(news[0]!, new RegExp(`${high.id} was merged by approval`));
    assert.deepEqual(approvalNotices(f.rt), []);
    const told = await mergeWithApproval(f.rt, high.id);
    assert.ok(told.kind === 'merged' && told.byApproval);
    assert.throws(() => approveMerge(f.store, f.rt.sid, high.id, f.clock.now), ToolError);
  } finally {
    f.cleanup();
  }
});

test('a rejected merge stays unmerged with the reason; a new commit after it is decided again', async () => {
  const f = await createFakeRuntime({ config: ConfigSchema.parse({ merge: { autoMerge: 'medium' } }) });
  try {
    const w = await spawnFinished(f, ['src/risky.ts']);
    verdictOn(f, w, 'critical');
    assert.equal((await mergeWithApproval(f.rt, w.id)).kind, 'held');
    assert.throws(() => rejectMerge(f.store, f.rt.sid, w.id, '  ', f.clock.now), /say why/);
    rejectMerge(f.store, f.rt.sid, w.id, 'drops the migration', f.clock.now);
    assert.equal(eventsOf(f, 'merge.rejected').length, 1);
    await approvalsPass(f.rt);
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
    const news = approvalNotices(f.rt);
    assert.equal(news.length, 1);
    assert.match(news[0]!, /rejected by a person: drops the migration/);
    const r = await mergeWithApproval(f.rt, w.id);
    assert.ok(r.kind === 'rejected' && r.approval.note === 'drops the migration');
    assert.throws(() => approveMerge(f.store, f.rt.sid, w.id, f.clock.now), /already rejected/);
    // The lead sends it back; the worker commits a fix and a new review says medium: it merges.
    f.clock.advance(1000);
    f.git.commit(w.branch, 'fix', ['src/risky.ts']);
    verdictOn(f, w, 'medium', 'w97');
    const m = await mergeWithApproval(f.rt, w.id);
    assert.ok(m.kind === 'merged' && !m.byApproval);
  } finally {
    f.cleanup();
  }
});

test('autoMerge "none" holds even a low risk; the default "all" merges a critical one as before', async () => {
  const f = await createFakeRuntime({ config: ConfigSchema.parse({ merge: { autoMerge: 'none' } }) });
  try {
    const w = await spawnFinished(f);
    verdictOn(f, w, 'low');
    const r = await mergeWithApproval(f.rt, w.id);
    assert.ok(r.kind === 'held' && /"none"/.test(r.approval.reason));
    // No verdict at all under "none" or a level: held, risk unknown.
    const g = await spawnFinished(f, ['src/other.ts']);
    const h = await mergeWithApproval(f.rt, g.id);
    assert.ok(h.kind === 'held' && h.approval.risk === undefined);
  } finally {
    f.cleanup();
  }
  const d = await createFakeRuntime();
  try {
    const w = await spawnFinished(d);
    verdictOn(d, w, 'critical');
    assert.equal((await mergeWithApproval(d.rt, w.id)).kind, 'merged');
    assert.deepEqual(eventsOf(d, 'merge.awaiting_approval'), []);
  } finally {
    d.cleanup();
  }
});

test('a "fail" verdict never merges by itself, whatever its risk and the autoMerge level', async () => {
  for (const level of AUTO_MERGE_LEVELS)
    for (const risk of RISK_LEVELS)
      assert.equal(mergeDecision(level, risk, 'fail'), 'hold', `${level}, fail at ${risk}`);
  const f = await createFakeRuntime({ config: ConfigSchema.parse({ merge: { autoMerge: 'low' } }) });
  try {
    const w = await spawnFinished(f);
    verdictOn(f, w, 'low', 'w99', 'fail');
    const before = f.git.resolve(f.rt.integrationBranch);
    const r = await mergeWithApproval(f.rt, w.id);
    assert.equal(r.kind, 'held');
    assert.match(r.kind === 'held' ? r.approval.reason : '', /its review failed \(risk low\)/);
    assert.equal(f.git.resolve(f.rt.integrationBranch), before, 'nothing merged');
    assert.equal(f.store.getWorker(f.rt.sid, w.id)!.state, 'done');
  } finally {
    f.cleanup();
  }
  // reviewBeforeMerge under "all": the reviewer's fail holds too.
  const g = await createFakeRuntime({
    config: ConfigSchema.parse({ merge: { autoMerge: 'all', reviewBeforeMerge: true } }),
  });
  try {
    const w = await spawnFinished(g);
    verdictOn(g, w, 'low', 'w99', 'fail');
    assert.equal((await mergeWithApproval(g.rt, w.id)).kind, 'held');
  } finally {
    g.cleanup();
  }
});

test('a held merge notifies the human once and is an open item until approved or rejected', () => {
  const n = createNotifyDecider();
  const ev = (id: number, type: string) => ({ id, type, workerId: 'w02', message: `${type} w02`, data: {} });
  const first = n.observe(ev(1, 'merge.awaiting_approval'));
  assert.equal(first.notification?.title, 'crewmux: merging w02 awaits your approval');
  assert.equal(first.notification?.urgency, 'high');
  assert.equal(n.attention(), 1);
  assert.equal(n.observe(ev(2, 'merge.awaiting_approval')).notification, undefined);
  n.observe(ev(3, 'merge.approved'));
  assert.equal(n.attention(), 0);
});

test('the lead over MCP: a held merge_worker is a state, not an Error; wait_for_worker and merge_worker tell the approval', async () => {
  const f = await createFakeRuntime({ config: ConfigSchema.parse({ merge: { autoMerge: 'low' } }) });
  const server = buildMcpServer({ role: 'lead' }, { rt: f.rt, version: '0.0.0-test' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'approval-test', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await client.callTool({ name, arguments: args });
    return { isError: r.isError === true, text: (r.content as { text: string }[])[0]!.text };
  };
  try {
    const w = await spawnFinished(f);
    verdictOn(f, w, 'high');
    const held = await call('merge_worker', { worker_id: w.id });
    assert.equal(held.isError, false);
    assert.match(held.text, /^Not merged yet: merging w\d+ awaits a person's approval \(its review says risk high/);
    assert.match(held.text, new RegExp(`crewmux approve ${w.id}`));
    const listed = JSON.parse((await call('list_workers', {})).text) as { approvals: { status: string }[] };
    assert.deepEqual(
      listed.approvals.map((x) => x.status),
      ['pending'],
    );
    approveMerge(f.store, f.rt.sid, w.id, f.clock.now);
    await approvalsPass(f.rt);
    const waited = await call('wait_for_worker', { worker_id: w.id, timeout_s: 1 });
    assert.match(waited.text, new RegExp(`${w.id} was merged by approval into ${f.rt.integrationBranch}`));
    const merged = await call('merge_worker', { worker_id: w.id });
    assert.equal(merged.isError, false);
    assert.match(merged.text, /^Merged by approval: /);
  } finally {
    await client.close();
    await server.close();
    f.cleanup();
  }
});
