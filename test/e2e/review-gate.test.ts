/**
 * The review gate (issue 19): scripted reviewers that fail round 1 with a finding and pass round 2 (the lead's second
 * mark_goal_done is accepted; the reviewer's second prompt holds the new diff, in the same session); the last round
 * rejected ends the run failed with the findings in the report; a reviewer that never gives a verdict is asked once
 * more, then reported; a worker claiming done with no commits and a failing pass_criteria command is unverified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, eventually, ROOT, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { signalPid } from '../helpers/wait.js';

const scripted = (env: Record<string, string> = {}) => ({
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
  ...(Object.keys(env).length ? { env } : {}),
});
const file = (path: string, content: string) => `Write it.\n\`\`\`file:${path}\n${content}\`\`\`\n`;
const FINDING = { file: 'a.txt', line: 1, severity: 'high', text: 'b.txt is missing: the goal needs both files' };
/**
 * The lead's steps once worker `$a` (a.txt) finished: merge, verify and mark_goal_done (gate round 1), then b.txt by a
 * new worker `$b`, merged and verified, and mark_goal_done again (round 2).
 */
const twoRoundPlan = () => [
  { call: 'merge_worker', args: { worker_id: '$a' } },
  { call: 'verify', args: { commands: ['git cat-file -e HEAD:a.txt'] } },
  { call: 'mark_goal_done', args: { summary: 'a written' }, repeatWhile: 'still running' },
  { call: 'spawn_worker', args: { task: file('b.txt', 'b\n'), agent: 'scripted' }, save: 'b' },
  { call: 'wait_for_worker', args: { worker_id: '$b' }, repeatWhile: 'Still running' },
  { call: 'merge_worker', args: { worker_id: '$b' } },
  { call: 'verify', args: { commands: ['git cat-file -e HEAD:b.txt'] } },
  { call: 'mark_goal_done', args: { summary: 'a and b written' }, repeatWhile: 'still running' },
];

test('gate: round 1 rejected with a finding, round 2 passed by the same reviewer; an unverified done', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n' });
    const verdicts = join(t.dir, 'verdicts.json');
    writeFileSync(
      verdicts,
      JSON.stringify([
        { verdict: 'fail', risk: 'high', findings: [FINDING] },
        { verdict: 'pass', risk: 'low' },
      ]),
    );
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: file('a.txt', 'a\n'), agent: 'scripted' }, save: 'a' },
        {
          call: 'spawn_worker',
          args: {
            task: 'Claim done without changing anything.',
            agent: 'scripted',
            pass_criteria: [{ id: 't1', text: 'nope.txt exists', command: 'git cat-file -e HEAD:nope.txt' }],
          },
          save: 'u',
        },
        { call: 'wait_for_worker', args: { worker_ids: ['$a', '$u'], mode: 'all' }, repeatWhile: 'Still running' },
        { call: 'merge_worker', args: { worker_id: '$u' } },
        { call: 'discard_worker', args: { worker_id: '$u', reason: 'unverified' } },
        ...twoRoundPlan(),
      ],
      { scripted: scripted(), reviewer: scripted({ CREWMUX_SCRIPTED_VERDICTS: verdicts }) },
      [],
      { toolWait: 3, verifyAllowAdHoc: true, gate: { reviewers: ['reviewer'], maxRounds: 2, agents: ['reviewer'] } },
    );
    const r = await run.result;
    const steps = run.steps();
    const why = `${r.stdout}\n${r.stderr}\n${JSON.stringify(steps, null, 1).slice(0, 6000)}\n${diagnostics(t)}`;
    assert.equal(r.code, 0, why);
    const calls = (name: string) => steps.filter((s) => s.call === name);

    // Evidence, not claims: no commits and a failing pass_criteria command.
    const waited = calls('wait_for_worker')[0]!.text;
    assert.match(waited, /w02[^\n]*unverified/, why);
    assert.match(calls('merge_worker')[0]!.text, /w02 is unverified/, why);

    const [first, second] = calls('mark_goal_done');
    assert.equal(first!.isError, true, why);
    assert.match(first!.text, /DONE REJECTED \(round 1 of 2\)/);
    assert.match(first!.text, /\[high\] a\.txt:1 b\.txt is missing/);
    assert.equal(second!.isError, false, why);
    assert.match(second!.text, /marked done/);

    // One reviewer session over both rounds; its second turn got round 2 with the new diff (b.txt).
    const st = JSON.parse((await runCli(t, repo, ['status', '--json', '--all'])).stdout) as {
      review: { gate: { round: number; status: string; reviewers: string[] }[] };
      report: { gate: { status: string; findingsFixed: number } };
    };
    assert.deepEqual(
      st.review.gate.map((g) => [g.round, g.status]),
      [
        [1, 'rejected'],
        [2, 'passed'],
      ],
    );
    const reviewer = st.review.gate[0]!.reviewers[0]!;
    assert.deepEqual(st.review.gate[1]!.reviewers, [reviewer]);
    const received = join(run.sessionDir()!, 'workers', reviewer, 'received-1.txt');
    assert.ok(existsSync(received), why);
    const prompt2 = readFileSync(received, 'utf8');
    assert.match(prompt2, /Review gate round 2 of 2/);
    assert.match(prompt2, /b\.txt/);
    assert.deepEqual([st.report.gate.status, st.report.gate.findingsFixed], ['passed', 1]);
    const text = (await runCli(t, repo, ['status', '--all'])).stdout;
    assert.match(text, /gate: passed in round 2; findings fixed: 1/);
  } finally {
    t.cleanup();
  }
});

test('gate: the last round rejected ends the run failed; a reviewer that never gives a verdict is reported', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n' });
    const fails = join(t.dir, 'fails.json');
    const silent = join(t.dir, 'silent.json');
    writeFileSync(fails, JSON.stringify([{ verdict: 'fail', risk: 'critical', findings: [FINDING] }]));
    writeFileSync(silent, JSON.stringify([null]));
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: file('a.txt', 'a\n'), agent: 'scripted' }, save: 'a' },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['git cat-file -e HEAD:a.txt'] } },
        { call: 'mark_goal_done', args: { summary: 'a written' }, repeatWhile: 'still running' },
      ],
      {
        scripted: scripted(),
        failer: scripted({ CREWMUX_SCRIPTED_VERDICTS: fails }),
        silent: scripted({ CREWMUX_SCRIPTED_VERDICTS: silent }),
      },
      [],
      {
        toolWait: 3,
        verifyAllowAdHoc: true,
        gate: { reviewers: ['verifier', 'reviewer'], maxRounds: 1, agents: ['failer', 'silent'] },
      },
    );
    const r = await run.result;
    const steps = run.steps();
    const why = `${r.stdout}\n${r.stderr}\n${JSON.stringify(steps, null, 1).slice(0, 6000)}\n${diagnostics(t)}`;
    assert.equal(r.code, 1, why);
    const st = JSON.parse((await runCli(t, repo, ['status', '--json', '--all'])).stdout) as {
      session: { status: string; reason: string };
      review: { gate: { status: string }[]; verdicts: { reviewer: string; status: string }[] };
    };
    assert.equal(st.session.status, 'failed');
    assert.match(st.session.reason, /review gate rejected the goal in all 1 rounds[\s\S]*b\.txt is missing/);
    assert.deepEqual(
      st.review.gate.map((g) => g.status),
      ['exhausted'],
    );
    assert.deepEqual(
      st.review.verdicts.map((v) => v.status),
      ['submitted', 'missing'],
    );
    // run --wait prints the event log.
    assert.match(r.stdout, /without a verdict; asked once more/, why);
    assert.match(r.stdout, /gave no verdict on gate/, why);
    const text = (await runCli(t, repo, ['status', '--all'])).stdout;
    assert.match(text, /gate: rejected in every round \(round 1\)/);
    assert.match(text, /no verdict from w0/);
  } finally {
    t.cleanup();
  }
});

test('gate across a supervisor restart: SIGKILLed while round 2 runs, resumed, the same reviewer passes round 2', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n' });
    const verdicts = join(t.dir, 'verdicts.json');
    const hold = join(t.dir, 'hold');
    writeFileSync(
      verdicts,
      JSON.stringify([
        { verdict: 'fail', risk: 'high', findings: [FINDING] },
        { verdict: 'pass', risk: 'low', waitFile: hold },
      ]),
    );
    const run = startStepRun(
      t,
      repo,
      [
        { resumable: true },
        { call: 'spawn_worker', args: { task: file('a.txt', 'a\n'), agent: 'scripted' }, save: 'a' },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        ...twoRoundPlan(),
      ],
      { scripted: scripted(), reviewer: scripted({ CREWMUX_SCRIPTED_VERDICTS: verdicts }) },
      [],
      { toolWait: 1, verifyAllowAdHoc: true, gate: { reviewers: ['reviewer'], maxRounds: 2, agents: ['reviewer'] } },
    );
    type View = {
      session: { status: string; supervisorPid: number };
      review: { gate: { round: number; status: string; reviewers: string[] }[] };
    };
    const status = async (): Promise<View | undefined> => {
      const r = await runCli(t, repo, ['status', '--json', '--all']);
      return r.code === 0 ? (JSON.parse(r.stdout) as View) : undefined;
    };
    // Round 2 runs: its reviewer (the round 1 one) got the new diff and holds its verdict.
    const before = await eventually(
      'gate round 2 running with its reviewer holding',
      async () => {
        const s = await status();
        const r2 = s?.review.gate[1];
        return r2?.status === 'running' &&
          existsSync(join(run.sessionDir()!, 'workers', r2.reviewers[0]!, 'received-1.txt'))
          ? s
          : undefined;
      },
      120_000,
    );
    const reviewer = before.review.gate[0]!.reviewers[0]!;
    assert.deepEqual(before.review.gate[1]!.reviewers, [reviewer]);
    signalPid(before.session.supervisorPid, 'SIGKILL');
    const lost = await run.result;
    assert.equal(lost.code, 1);
    assert.match(lost.stdout, /E_SUPERVISOR_LOST/);

    const resumed = runCli(t, repo, ['resume', '--no-attach', '--wait'], { timeoutMs: 180_000 });
    // The reviewer is relaunched (its token was rotated) with the request of its current round in its prompt.
    const prompt = join(run.sessionDir()!, 'workers', reviewer, 'prompt.md');
    await eventually(
      'the reviewer relaunched',
      () => readFileSync(prompt, 'utf8').includes('## Previous attempt'),
      120_000,
    );
    writeFileSync(hold, 'go');
    const r = await resumed;
    const steps = run.steps();
    const why = `${r.stdout}\n${r.stderr}\n${JSON.stringify(steps, null, 1).slice(-4000)}\n${diagnostics(t)}`;
    assert.equal(r.code, 0, why);
    assert.match(r.stdout, /review gate round 2 of 2 was running \(reviewers w\d+\)/, why);
    const relaunched = readFileSync(prompt, 'utf8');
    assert.match(relaunched, /Review gate round 2 of 2/);
    assert.match(relaunched, /b\.txt/);

    const st = (await status())!;
    assert.equal(st.session.status, 'done', why);
    assert.deepEqual(
      st.review.gate.map((g) => [g.round, g.status, g.reviewers]),
      [
        [1, 'rejected', [reviewer]],
        [2, 'passed', [reviewer]],
      ],
      why,
    );
    const marks = steps.filter((s) => s.call === 'mark_goal_done');
    assert.match(marks.at(-1)!.text, /marked done/, why);
  } finally {
    t.cleanup();
  }
});
