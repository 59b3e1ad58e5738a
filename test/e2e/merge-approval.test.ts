/**
 * Risk-aware merging (issue 19): with merge.autoMerge "low" and merge.reviewBeforeMerge, merge_worker starts a
 * reviewer on a worker with no verdict and merges it when the verdict says low risk; a worker whose cross_review
 * says high risk is held ("awaits a person's approval", not an Error) until `crewmux approve`, which merges it; the
 * lead is told in wait_for_worker and its next merge_worker answers "merged by approval".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, ROOT, runCli } from '../helpers/env.js';
import { startStepRun, type StepResult } from '../helpers/step-run.js';

const scripted = (env: Record<string, string> = {}) => ({
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
  ...(Object.keys(env).length ? { env } : {}),
});
const file = (path: string, content: string) => `Write it.\n\`\`\`file:${path}\n${content}\`\`\`\n`;

test('autoMerge "low": a low-risk merge goes through, a high-risk one waits for `crewmux approve`', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n' });
    const low = join(t.dir, 'low.json');
    const high = join(t.dir, 'high.json');
    writeFileSync(low, JSON.stringify([{ verdict: 'pass', risk: 'low' }]));
    writeFileSync(
      high,
      JSON.stringify([
        {
          verdict: 'pass',
          risk: 'high',
          findings: [{ file: 'hi.txt', line: 1, severity: 'medium', text: 'touches the release script' }],
        },
      ]),
    );
    const approved = join(t.dir, 'approved');
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: file('lo.txt', 'lo\n'), agent: 'scripted' }, save: 'lo' },
        { call: 'spawn_worker', args: { task: file('hi.txt', 'hi\n'), agent: 'scripted' }, save: 'hi' },
        { call: 'wait_for_worker', args: { worker_ids: ['$lo', '$hi'], mode: 'all' }, repeatWhile: 'Still running' },
        // w03: the high-risk verdict on hi, asked by the lead.
        {
          call: 'cross_review',
          args: { worker_id: '$hi', reviewer_agent: 'rhigh' },
          repeatWhile: 'still reviewing',
          save: 'rh',
        },
        // w04: reviewBeforeMerge starts a reviewer (another family than scripted: rlow) on lo; low risk merges.
        { call: 'merge_worker', args: { worker_id: '$lo' }, repeatWhile: 'still reviewing' },
        { call: 'merge_worker', args: { worker_id: '$hi' } },
        { waitFile: approved },
        { call: 'wait_for_worker', args: { worker_id: '$hi' } },
        { call: 'merge_worker', args: { worker_id: '$hi' } },
        { call: 'discard_worker', args: { worker_id: 'w03', reason: 'reviewer' } },
        { call: 'discard_worker', args: { worker_id: 'w04', reason: 'reviewer' } },
        { call: 'verify', args: { commands: ['git cat-file -e HEAD:hi.txt'] } },
        { call: 'mark_goal_done', args: { summary: 'lo and hi written' } },
      ],
      {
        scripted: scripted(),
        // Reviewers read the author's task, file blocks included: they must not commit them again.
        rlow: scripted({ CREWMUX_SCRIPTED_VERDICTS: low, CREWMUX_SCRIPTED_NO_COMMIT: '1' }),
        rhigh: scripted({ CREWMUX_SCRIPTED_VERDICTS: high, CREWMUX_SCRIPTED_NO_COMMIT: '1' }),
      },
      [],
      { toolWait: 3, verifyAllowAdHoc: true, merge: { autoMerge: 'low', reviewBeforeMerge: true } },
    );
    const why = (steps: StepResult[]) => `${JSON.stringify(steps, null, 1).slice(0, 8000)}\n${diagnostics(t)}`;
    // The lead's merge_worker on hi has been held: the human looks and approves.
    let held: StepResult | undefined;
    for (let i = 0; i < 1200 && !held; i++) {
      held = run.steps().find((s) => s.call === 'merge_worker' && /awaits a person's approval/.test(s.text));
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(held, why(run.steps()));
    assert.equal(held.isError, false);
    assert.match(held.text, /its review says risk high, above merge\.autoMerge "low"/, why(run.steps()));
    const hi = /merging (w\d+) awaits/.exec(held.text)![1]!;
    const listed = await runCli(t, repo, ['approve']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${hi}  risk high`));
    const r1 = await runCli(t, repo, ['approve', 'w99']);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /w99 does not await approval/);
    const ok = await runCli(t, repo, ['approve', hi]);
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}\n${diagnostics(t)}`);
    assert.match(ok.stdout, new RegExp(`Approved; ${hi} is merged \\(`));
    writeFileSync(approved, '');

    const r = await run.result;
    const steps = run.steps();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${why(steps)}`);
    const merges = steps.filter((s) => s.call === 'merge_worker');
    assert.match(merges[0]!.text, /^Merged w01 into /, why(steps));
    assert.match(
      steps.find((s) => s.call === 'wait_for_worker' && s.args.worker_id === hi)!.text,
      /was merged by approval/,
    );
    assert.match(merges[2]!.text, /^Merged by approval: /, why(steps));
    assert.match(r.stdout, /merging w02 awaits a person's approval/);
    assert.match(r.stdout, /a person approved merging w02/);
    // Both files are on the integration branch; the reviewer of lo was started by merge_worker itself.
    const st = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout) as {
      workers: { id: string; agent: string; state: string }[];
    };
    const byId = new Map(st.workers.map((w) => [w.id, w]));
    assert.deepEqual(
      ['w01', 'w02', 'w03', 'w04'].map((id) => [byId.get(id)?.agent, byId.get(id)?.state]),
      [
        ['scripted', 'merged'],
        ['scripted', 'merged'],
        ['rhigh', 'discarded'],
        ['rlow', 'discarded'],
      ],
    );
  } finally {
    t.cleanup();
  }
});
