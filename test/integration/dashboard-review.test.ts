/**
 * The dashboard's review panels over a real SQLite file with inject(): a worker's verdict and its held merge, the
 * gate's rounds, and a person's Approve / Reject through HTTP, with the same guard as the answer box (a query token,
 * a wrong token, a form body, a foreign Origin and a GET are refused and change nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { createTestEnv } from '../helpers/env.js';
import { DASHBOARD_TOKEN, testDashboard } from '../helpers/test-dashboard.js';
import { seedSession, seedWorker } from '../helpers/dashboard-seed.js';
import type { ReviewPanels } from '../../src/app/review/review-views.js';

const TOKEN = DASHBOARD_TOKEN;
const HEAD = 'a'.repeat(40);

test('review panels show verdicts, gate rounds and held merges; Approve and Reject go through the guarded write path', async () => {
  const t = createTestEnv();
  const { store, app } = testDashboard(t, {
    // No supervisor runs here: Approve answers "merging" after this wait (the next test plays the supervisor).
    approvalWaitMs: 20,
  });
  try {
    seedSession(store, { id: 'sabc' });
    seedWorker(store, 'sabc', 1, { state: 'done' });
    seedWorker(store, 'sabc', 2, { state: 'done' });
    seedWorker(store, 'sabc', 3, { perspective: 'reviewer' });
    const r = store.review();
    const rid = r.addReview({
      session: 'sabc',
      reviewer: 'w03',
      subject: 'w01',
      round: 0,
      criteria: [{ id: 'W1', text: 'tests pass' }],
      ts: 1,
    });
    r.submitVerdict(
      rid,
      {
        verdict: 'fail',
        risk: 'high',
        criteria: [{ id: 'W1', met: false, evidence: 'npm test exits 1' }],
        findings: [{ file: 'src/a.ts', line: 3, severity: 'high', text: '<img src=x onerror=alert(1)>' }],
      },
      2,
    );
    r.startRound({ session: 'sabc', round: 1, head: HEAD, reviewers: ['w03'], ts: 3 });
    const g = r.addReview({ session: 'sabc', reviewer: 'w03', subject: 'gate', round: 1, criteria: [], ts: 3 });
    r.submitVerdict(g, { verdict: 'pass', risk: 'low', criteria: [], findings: [] }, 4);
    r.finishRound('sabc', 1, 'passed', 5);
    for (const worker of ['w01', 'w02'])
      r.addApproval({ session: 'sabc', worker, head: HEAD, risk: 'high', reason: 'its review failed', ts: 6 });

    const get = async () => {
      const res = await app.inject({ url: `/api/sessions/sabc/review?token=${TOKEN}` });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<ReviewPanels>();
    };
    const p = await get();
    const w1 = p.workers.w01!;
    assert.deepEqual(
      [w1.review?.reviewer, w1.review?.perspective, w1.review?.verdict, w1.review?.risk],
      ['w03', 'reviewer', 'fail', 'high'],
    );
    assert.deepEqual(w1.review?.criteria, [{ id: 'W1', text: 'tests pass', met: false, evidence: 'npm test exits 1' }]);
    assert.deepEqual(w1.review?.findings, [
      { file: 'src/a.ts', line: 3, severity: 'high', text: '<img src=x onerror=alert(1)>' },
    ]);
    assert.deepEqual([w1.approval?.status, w1.approval?.awaiting], ['pending', true]);
    assert.deepEqual(
      p.gate?.rounds.map((x) => [x.round, x.status, x.verdicts.map((v) => v.verdict)]),
      [[1, 'passed', ['pass']]],
    );
    assert.deepEqual(p.approvals.counts, { held: 2, approved: 0, rejected: 0, pending: 2 });
    assert.equal((await app.inject({ url: '/api/sessions/nope/review?token=' + TOKEN })).statusCode, 404);

    const url = (w: string, kind: string) => `/api/sessions/sabc/approvals/${w}/${kind}`;
    const json = { 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const refused: [string, InjectOptions][] = [
      ['no token', { method: 'POST', url: url('w01', 'approve'), headers: json, payload: '{}' }],
      ['query token', { method: 'POST', url: `${url('w01', 'approve')}?token=${TOKEN}`, headers: json, payload: '{}' }],
      [
        'wrong token',
        {
          method: 'POST',
          url: url('w01', 'approve'),
          headers: { ...json, authorization: 'Bearer nope' },
          payload: '{}',
        },
      ],
      [
        'form body',
        {
          method: 'POST',
          url: url('w01', 'approve'),
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'x=1',
        },
      ],
      [
        'foreign origin',
        {
          method: 'POST',
          url: url('w01', 'approve'),
          headers: { ...auth, ...json, origin: 'http://evil.example' },
          payload: '{}',
        },
      ],
      ['GET', { method: 'GET', url: `${url('w01', 'approve')}?token=${TOKEN}` }],
      [
        'cross-site',
        {
          method: 'POST',
          url: url('w01', 'approve'),
          headers: { ...auth, ...json, 'sec-fetch-site': 'cross-site' },
          payload: '{}',
        },
      ],
      [
        'reject without reason',
        { method: 'POST', url: url('w02', 'reject'), headers: { ...auth, ...json }, payload: '{"reason": "  "}' },
      ],
    ];
    for (const [what, req] of refused) {
      const res = await app.inject(req);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode}`);
    }
    assert.deepEqual(
      (await get()).approvals.rows.map((a) => a.status),
      ['pending', 'pending'],
      'no refused request decided anything',
    );
    assert.deepEqual(
      store.eventsAfter('sabc').filter((e) => e.type.startsWith('merge.')),
      [],
    );

    const ok = await app.inject({
      method: 'POST',
      url: url('w01', 'approve'),
      headers: { ...auth, ...json },
      payload: '{}',
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      worker: 'w01',
      status: 'approved',
      note: null,
      commit: null,
      outcome: 'merging',
      live: true,
    });
    const no = await app.inject({
      method: 'POST',
      url: url('w02', 'reject'),
      headers: { ...auth, ...json },
      payload: JSON.stringify({ reason: 'drops the migration' }),
    });
    assert.equal(no.statusCode, 200, no.body);
    // The same rows and events as `crewmux approve` / `crewmux reject`; the lead is told at its next call (told = false).
    const a1 = r.latestApproval('sabc', 'w01')!;
    const a2 = r.latestApproval('sabc', 'w02')!;
    assert.deepEqual([a1.status, a1.told], ['approved', false]);
    assert.deepEqual([a2.status, a2.note, a2.told], ['rejected', 'drops the migration', false]);
    assert.deepEqual(
      store
        .eventsAfter('sabc')
        .filter((e) => e.type.startsWith('merge.'))
        .map((e) => [e.type, e.worker_id]),
      [
        ['merge.approved', 'w01'],
        ['merge.rejected', 'w02'],
      ],
    );
    const again = await app.inject({
      method: 'POST',
      url: url('w01', 'approve'),
      headers: { ...auth, ...json },
      payload: '{}',
    });
    assert.equal(again.statusCode, 409);
    assert.match(again.json<{ message: string }>().message, /already approved/);
    const after = await get();
    assert.deepEqual(after.approvals.counts, { held: 2, approved: 1, rejected: 1, pending: 0 });
    assert.equal(after.workers.w02!.approval?.note, 'drops the migration');
  } finally {
    await app.close();
    store.close();
    t.cleanup();
  }
});

test('Approve waits for the live supervisor to make the merge and answers its outcome: merged, or not (conflicts)', async () => {
  const t = createTestEnv();
  const { store, app } = testDashboard(t);
  const r = store.review();
  // The supervisor's pass, played here: it takes an approved row and merges it (or git refuses it).
  let playing = true;
  const supervisor = (async () => {
    while (playing) {
      for (const a of r.listApprovals('slive')) {
        if (a.status !== 'approved' || a.note !== undefined) continue;
        if (a.worker === 'w01') r.decideApproval(a.id, 'approved', 'merged', { commit: 'c'.repeat(40), ts: 9 });
        else r.noteApproval(a.id, 'conflicts on src/a.ts');
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  try {
    seedSession(store, { id: 'slive' });
    seedWorker(store, 'slive', 1, { state: 'done' });
    seedWorker(store, 'slive', 2, { state: 'done' });
    for (const worker of ['w01', 'w02'])
      r.addApproval({ session: 'slive', worker, head: HEAD, risk: 'high', reason: 'its review says risk high', ts: 1 });
    const approve = (w: string) =>
      app.inject({
        method: 'POST',
        url: `/api/sessions/slive/approvals/${w}/approve`,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        payload: '{}',
      });
    const merged = await approve('w01');
    assert.equal(merged.statusCode, 200, merged.body);
    assert.deepEqual(merged.json(), {
      worker: 'w01',
      status: 'merged',
      note: null,
      commit: 'c'.repeat(40),
      outcome: 'merged',
      live: true,
    });
    const refused = await approve('w02');
    assert.equal(refused.statusCode, 200, refused.body);
    assert.deepEqual(refused.json(), {
      worker: 'w02',
      status: 'approved',
      note: 'conflicts on src/a.ts',
      commit: null,
      outcome: 'not_merged',
      live: true,
    });
  } finally {
    playing = false;
    await supervisor;
    await app.close();
    store.close();
    t.cleanup();
  }
});
