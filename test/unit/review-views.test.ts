/**
 * The review as shown (dashboard panels, `crewmux status`, the report): a verdict joined with the criteria asked, a
 * held merge awaiting a person, the gate's rounds N of M, and the approvals counted ("N held, N approved by you, N
 * rejected"; a hold superseded by a new commit is not a person's rejection).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { spawnFinished } from '../helpers/worker-steps.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { approvalCounts, approvalsLine, SUPERSEDED_NOTE } from '../../src/core/review/approval.js';
import { renderReport } from '../../src/core/session/report.js';
import { reviewPanels, verdictView } from '../../src/app/review/review-views.js';
import { mergeWithApproval } from '../../src/app/review/approval.js';
import { approveMerge, rejectMerge } from '../../src/app/review/approval-human.js';
import { sessionStatus } from '../../src/app/session/status.js';
import { renderStatus } from '../../src/cli/commands/status.js';
import { buildReport } from '../../src/app/session/goal.js';

test('verdictView joins each asked criterion with its judgement; an unjudged one is null', () => {
  const v = verdictView(
    {
      id: 7,
      session: 's',
      reviewer: 'w03',
      subject: 'w01',
      round: 0,
      criteria: [
        { id: 'A1', text: 'the flag works' },
        { id: 'A2', text: 'docs' },
      ],
      status: 'pending',
      asked: false,
      createdAt: 0,
    },
    'reviewer',
  );
  assert.deepEqual(
    v.criteria.map((c) => [c.id, c.met]),
    [
      ['A1', null],
      ['A2', null],
    ],
  );
  assert.deepEqual([v.verdict, v.risk, v.submittedAt, v.askedAt], [null, null, null, '1970-01-01T00:00:00.000Z']);
});

test('approval counts: every hold, approved or merged by a person, rejected by a person (not superseded), waiting', () => {
  const c = approvalCounts([
    { status: 'merged' },
    { status: 'approved' },
    { status: 'rejected', note: 'no' },
    { status: 'rejected', note: SUPERSEDED_NOTE },
    { status: 'pending' },
  ]);
  assert.deepEqual(c, { held: 5, approved: 2, rejected: 1, pending: 1 });
  assert.equal(approvalsLine(c), 'approvals: 5 held, 2 approved by you, 1 rejected, 1 still waiting');
  assert.equal(
    approvalsLine({ held: 1, approved: 1, rejected: 0, pending: 0 }),
    'approvals: 1 held, 1 approved by you, 0 rejected',
  );
});

test('review panels, status and report: a failed low-risk review is held, the gate shows round N of M, approvals are counted', async () => {
  const f = await createFakeRuntime({
    config: ConfigSchema.parse({ merge: { autoMerge: 'low' } }),
    options: { gate: { reviewers: ['verifier'], maxRounds: 3 } },
  });
  try {
    const a = await spawnFinished(f, ['src/a.ts']);
    const b = await spawnFinished(f, ['src/b.ts']);
    const r = f.store.review();
    const ts = f.clock.now();
    const on = (subject: string, reviewer: string, round: number, verdict: 'pass' | 'fail') => {
      const id = r.addReview({
        session: f.rt.sid,
        reviewer,
        subject,
        round,
        criteria: [{ id: 'A1', text: 'works' }],
        ts,
      });
      r.submitVerdict(
        id,
        {
          verdict,
          risk: 'low',
          criteria: [{ id: 'A1', met: verdict === 'pass', evidence: 'ran it' }],
          findings: verdict === 'fail' ? [{ file: 'src/a.ts', severity: 'medium', text: 'leaks a handle' }] : [],
        },
        ts,
      );
    };
    on(a.id, b.id, 0, 'fail');
    on(b.id, a.id, 0, 'pass');
    assert.equal((await mergeWithApproval(f.rt, a.id)).kind, 'held');
    assert.equal((await mergeWithApproval(f.rt, b.id)).kind, 'merged');
    r.startRound({ session: f.rt.sid, round: 1, head: 'c'.repeat(40), reviewers: ['w09'], ts });
    on('gate', 'w09', 1, 'fail');
    r.finishRound(f.rt.sid, 1, 'rejected', ts);
    r.startRound({ session: f.rt.sid, round: 2, head: 'd'.repeat(40), reviewers: ['w09'], ts });

    const p = reviewPanels(f.store, f.rt.sid)!;
    const pa = p.workers[a.id]!;
    assert.deepEqual([pa.review?.verdict, pa.review?.risk, pa.review?.perspective], ['fail', 'low', 'implementer']);
    assert.deepEqual(pa.review?.criteria, [{ id: 'A1', text: 'works', met: false, evidence: 'ran it' }]);
    assert.deepEqual(pa.review?.findings, [
      { file: 'src/a.ts', line: null, severity: 'medium', text: 'leaks a handle' },
    ]);
    assert.deepEqual([pa.approval?.status, pa.approval?.awaiting], ['pending', true]);
    assert.match(pa.approval?.reason ?? '', /its review failed \(risk low\)/);
    assert.deepEqual([p.workers[b.id]!.review?.verdict, p.workers[b.id]!.approval], ['pass', null]);
    assert.deepEqual([p.gate?.maxRounds, p.gate?.reviewers], [3, ['verifier']]);
    assert.deepEqual(
      p.gate?.rounds.map((g) => [g.round, g.status, g.verdicts.map((v) => [v.reviewer, v.verdict, v.findings.length])]),
      [
        [1, 'rejected', [['w09', 'fail', 1]]],
        [2, 'running', []],
      ],
    );
    assert.equal(reviewPanels(f.store, 'nope'), undefined);

    const held = renderStatus(sessionStatus(f.store, f.rt.sid));
    assert.match(held, /^approvals: 1 held, 0 approved by you, 0 rejected, 1 still waiting$/m);
    assert.match(held, new RegExp(`^  ${a.id}  risk low  awaits you: crewmux approve ${a.id}`, 'm'));
    rejectMerge(f.store, f.rt.sid, a.id, 'fix the leak first', f.clock.now);
    const v = sessionStatus(f.store, f.rt.sid);
    assert.deepEqual(v.approvals.counts, { held: 1, approved: 0, rejected: 1, pending: 0 });
    assert.deepEqual(
      v.approvals.rows.map((x) => [x.worker, x.status, x.awaiting, x.note]),
      [[a.id, 'rejected', false, 'fix the leak first']],
    );
    assert.match(renderStatus(v), new RegExp(`^  ${a.id}  risk low  rejected: fix the leak first$`, 'm'));
    assert.throws(() => approveMerge(f.store, f.rt.sid, a.id, f.clock.now), /already rejected/);

    const report = await buildReport(f.rt, 'failed', 'held');
    assert.deepEqual(report.approvals, { held: 1, approved: 0, rejected: 1, pending: 0 });
    assert.match(renderReport(report), /^approvals: 1 held, 0 approved by you, 1 rejected$/m);
  } finally {
    f.cleanup();
  }
  // No hold in a run: no approvals line in the report.
  const d = await createFakeRuntime();
  try {
    const report = await buildReport(d.rt, 'done', 'nothing held');
    assert.equal(report.approvals, undefined);
    assert.doesNotMatch(renderReport(report), /approvals:/);
  } finally {
    d.cleanup();
  }
});
