/**
 * Integration and the done gate (issue 3): the conflict radar before merging, a conflicting merge that
 * leaves the integration branch unchanged, a failing verify refusing done, a hanging verify cut at its
 * timeout, a verify outlasting the tool wait answered "still running" then joined, cross_review, and
 * --merge fast-forwarding the user's branch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, eventually, git, ROOT, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';

const scripted = {
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
};
const file = (path: string, content: string) => `Write it.\n\`\`\`file:${path}\n${content}\`\`\`\n`;

test('radar, conflict, verify gate, verify timeout and still-running, cross_review, --merge', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n', 'shared.txt': 'one\ntwo\nthree\n' });
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: file('a.txt', 'from a\n'), agent: 'scripted' }, save: 'a' },
        { call: 'spawn_worker', args: { task: file('b.txt', 'from b\n'), agent: 'scripted' }, save: 'b' },
        {
          call: 'spawn_worker',
          args: { task: file('shared.txt', 'one\nCHANGED BY C\nthree\n'), agent: 'scripted' },
          save: 'c',
        },
        {
          call: 'spawn_worker',
          args: { task: file('shared.txt', 'one\nCHANGED BY D\nthree\n'), agent: 'scripted' },
          save: 'd',
        },
        {
          call: 'wait_for_worker',
          args: { worker_ids: ['$a', '$b', '$c', '$d'], mode: 'all' },
          repeatWhile: 'Still running',
        },
        { waitFile: join(t.dir, 'radar-seen') },
        { call: 'list_workers', args: {} },
        { call: 'worker_diff', args: { worker_id: '$c' } },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'merge_worker', args: { worker_id: '$b' } },
        { call: 'merge_worker', args: { worker_id: '$c' } },
        { call: 'merge_worker', args: { worker_id: '$d' } },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'discard_worker', args: { worker_id: '$d', reason: 'conflicts with w03' } },
        { call: 'verify', args: { commands: ['git cat-file -e HEAD:nope.txt'] } },
        { call: 'mark_goal_done', args: { summary: 'not with a failing verify' } },
        { call: 'verify', args: { commands: ['sleep 30'] } },
        { call: 'verify', args: { commands: ['sleep 30'] } },
        { call: 'cross_review', args: { worker_id: '$a', focus: 'naming' }, save: 'r' },
        { call: 'wait_for_worker', args: { worker_id: '$r' }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$r', reason: 'review only' } },
        { call: 'verify', args: { commands: ['git cat-file -e HEAD:a.txt', 'git cat-file -e HEAD:b.txt'] } },
        { call: 'mark_goal_done', args: { summary: 'a, b and c merged and verified' } },
      ],
      { scripted },
      ['--merge'],
      { toolWait: 3, verifyTimeout: 5, verifyAllowAdHoc: true },
    );
    // The radar runs in the background; the lead goes on once `status` shows w03 x w04 on shared.txt.
    await eventually(
      'the radar to show w03 x w04',
      async () => {
        const st = await runCli(t, repo, ['status', '--json']);
        if (st.code !== 0) return false;
        const c = JSON.parse(st.stdout).workers.find((w: { id: string }) => w.id === 'w03');
        return Boolean(c?.conflicts?.workers?.w04?.includes('shared.txt'));
      },
      60_000,
    );
    writeFileSync(join(t.dir, 'radar-seen'), 'yes');
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const s = run.steps();
    const step = (call: string, n = 0) => s.filter((x) => x.call === call)[n]!;
    // The radar in list_workers, before any merge.
    const listed = step('list_workers').structured!.workers as {
      id: string;
      conflicts: { workers: Record<string, string[]> };
    }[];
    assert.deepEqual(listed.find((w) => w.id === 'w03')!.conflicts.workers, { w04: ['shared.txt'] });
    assert.match(step('worker_diff').text, /shared\.txt \| 2 \+-[\s\S]*\+CHANGED BY C/);
    // merge: a, b, c merge; d conflicts and changes nothing; merging a again is refused.
    assert.equal(step('merge_worker', 2).isError, false);
    assert.equal(step('merge_worker', 3).isError, true);
    assert.match(
      step('merge_worker', 3).text,
      /^Error: merging w04 conflicts on: shared\.txt\. The integration branch is unchanged/,
    );
    assert.match(step('merge_worker', 4).text, /^Error: worker w01 is already merged/);
    // A failing verify refuses done, naming the command.
    assert.equal(step('verify', 0).isError, true);
    assert.match(
      step('mark_goal_done', 0).text,
      /the last verify on [0-9a-f]+ failed \("git cat-file -e HEAD:nope\.txt" exited 128\)/,
    );
    // sleep 30 outlasts toolWait (3 s): "still running"; the second call joins the same run, cut at verifyTimeout (5 s).
    assert.match(step('verify', 1).text, /^Verify is still running/);
    assert.match(step('verify', 2).text, /FAILED[\s\S]*\[timeout\] sleep 30/);
    // cross_review: a reviewer on w01's change, another worker; it waits for the reviewer's verdict (this scripted
    // reviewer gives none, so it is asked once more, then reported).
    assert.match(step('cross_review').text, /reviewer worker w05 \(scripted\)/);
    assert.equal(step('mark_goal_done', 1).isError, false);
    // --merge fast-forwarded main to the integration branch.
    assert.match(r.stdout, /--merge: main fast-forwarded to crewmux\/s[0-9a-z]+\/integration/);
    assert.equal(git(repo, 'show', 'main:shared.txt'), 'one\nCHANGED BY C\nthree');
    assert.equal(git(repo, 'show', 'main:a.txt'), 'from a');
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
  } finally {
    t.cleanup();
  }
});
