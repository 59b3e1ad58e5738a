/** The review gate's pure rules: acceptance criteria from the goal, verdict consistency, a round's decision. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptanceCriteria,
  decideRound,
  gateCriteria,
  rejectionText,
  resolveGate,
} from '../../src/core/review/gate.js';
import { verdictProblems, type Verdict } from '../../src/core/review/verdict.js';

const pass: Verdict = {
  verdict: 'pass',
  risk: 'low',
  criteria: [{ id: 'A1', met: true, evidence: 'ran it' }],
  findings: [],
};
const fail: Verdict = {
  verdict: 'fail',
  risk: 'high',
  criteria: [{ id: 'A1', met: false, evidence: 'leaks a handle' }],
  findings: [{ file: 'src/x.ts', line: 3, severity: 'high', text: 'the socket is never closed' }],
};

test("acceptance criteria: the goal's ## Acceptance items, continuation lines joined, then workers' and the lead's", () => {
  const goal =
    'Add a cache.\n\n## Acceptance\n- hits are served\n  from memory\n2. misses go to disk\n\n## Notes\n- not this';
  assert.deepEqual(acceptanceCriteria(goal), [
    { id: 'A1', text: 'hits are served from memory' },
    { id: 'A2', text: 'misses go to disk' },
  ]);
  assert.deepEqual(acceptanceCriteria('no section'), []);
  assert.deepEqual(
    gateCriteria(
      goal,
      [{ worker: 'w01', criteria: [{ id: 't1', text: 'tests pass' }] }],
      ['Misses go to disk', 'docs'],
    ),
    [
      { id: 'A1', text: 'hits are served from memory' },
      { id: 'A2', text: 'misses go to disk' },
      { id: 'w01.t1', text: 'tests pass' },
      { id: 'L2', text: 'docs' },
    ],
  );
});

test('a verdict must hold together: no pass with unmet criteria or grave findings, every asked criterion judged', () => {
  assert.deepEqual(verdictProblems(pass, ['A1']), []);
  assert.deepEqual(verdictProblems(fail, ['A1']), []);
  assert.match(verdictProblems({ ...fail, verdict: 'pass' }, ['A1']).join('; '), /unmet criteria A1.*high or critical/);
  assert.match(verdictProblems(pass, ['A1', 'A2']).join('; '), /no judgement on criteria A2/);
  assert.match(verdictProblems(pass, []).join('; '), /unknown criteria ids A1/);
});

test('a round passes only when every reviewer passes; a rejection in the last round is exhausted', () => {
  const p = { reviewer: 'w03', perspective: 'verifier', verdict: pass };
  const f = { reviewer: 'w04', perspective: 'reviewer', verdict: fail };
  const silent = { reviewer: 'w05', perspective: 'reviewer' };
  assert.equal(decideRound([p], 1, 5), 'passed');
  assert.equal(decideRound([p, f], 1, 5), 'rejected');
  assert.equal(decideRound([p, silent], 2, 5), 'rejected');
  assert.equal(decideRound([p, f], 5, 5), 'exhausted');
  assert.equal(decideRound([], 1, 5), 'rejected');
  const text = rejectionText([p, f, silent], 2, 5);
  assert.match(text, /^DONE REJECTED \(round 2 of 5\)/);
  assert.match(text, /unmet A1: leaks a handle/);
  assert.match(text, /\[high\] src\/x\.ts:3 the socket is never closed/);
  assert.match(text, /w05 \(reviewer\): gave no verdict/);
});

test('the gate is on with config gate or --review-gate; the flag picks the reviewers', () => {
  assert.equal(resolveGate(undefined, undefined), undefined);
  assert.deepEqual(resolveGate(undefined, []), { reviewers: ['verifier', 'reviewer'], maxRounds: 5 });
  assert.deepEqual(resolveGate({ maxRounds: 2, agents: ['codex'] }, ['security']), {
    reviewers: ['security'],
    maxRounds: 2,
    agents: ['codex'],
  });
});
