/**
 * Fault cases through the built CLI with real tmux, git and MCP: a crashing worker, a worker whose
 * agent exited, text that must arrive literally, bad MCP arguments, a worker using a lead tool, a hung
 * worker hitting --worker-timeout, a worker killed with SIGKILL, and the whole run timing out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, eventually, fixtureAgent, runCli } from '../helpers/env.js';
import { diagnostics } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { readPidFile, signalPid } from '../helpers/wait.js';

test('crash, exited agent, literal text, bad arguments and a worker calling a lead tool', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const canary = join(t.dir, 'pwned');
    const tricky = `line one\nsay "double" and 'single'\n$(touch ${canary}-dollar)\n\`touch ${canary}-tick\`\nend; rm -rf /nonexistent`;
    const tricky2 = `follow-up with "quotes", 'single', $(touch ${canary}-msg) and \`touch ${canary}-msg2\`\nsecond line`;
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'crash please', agent: 'crash' }, save: 'c' },
        { call: 'wait_for_worker', args: { worker_id: '$c' }, repeatWhile: 'Still running' },
        { call: 'spawn_worker', args: { task: 'finish and exit', agent: 'exit' }, save: 'e' },
        { call: 'wait_for_worker', args: { worker_id: '$e' }, repeatWhile: 'Still running' },
        { waitPidGone: 'workers/$e/pid' },
        { call: 'send_to_worker', args: { worker_id: '$e', message: 'are you there?' } },
        { call: 'spawn_worker', args: { task: tricky, agent: 'record' }, save: 'r' },
        { call: 'wait_for_worker', args: { worker_id: '$r' }, repeatWhile: 'Still running' },
        { call: 'send_to_worker', args: { worker_id: '$r', message: tricky2 } },
        { call: 'wait_for_worker', args: { worker_id: '$r' }, repeatWhile: 'Still running' },
        { call: 'spawn_worker', args: { task: '   ' } },
        { call: 'spawn_worker', args: { task: 'x', perspective: 'wizard' } },
        { call: 'spawn_worker', args: { task: 'x', agent: 'nope' } },
        { call: 'spawn_worker', args: { task: 'x'.repeat(300 * 1024) } },
        { call: 'read_worker_output', args: { worker_id: 'w99' } },
        { call: 'wait_for_worker', args: {} },
        { call: 'list_workers', args: {} },
        { call: 'mark_goal_done', args: { summary: 'not yet: nothing merged or verified' } },
        { call: 'discard_worker', args: { worker_id: 'w01', reason: 'crashed' } },
        { call: 'discard_worker', args: { worker_id: 'w02', reason: 'no changes' } },
        { call: 'discard_worker', args: { worker_id: 'w03', reason: 'no changes' } },
        { call: 'verify', args: { commands: ['git status --short'] } },
        { call: 'mark_goal_done', args: { summary: 'all finished' } },
      ],
      {
        crash: fixtureAgent('crash-worker'),
        exit: fixtureAgent('exit-worker'),
        record: fixtureAgent('record-worker', { prompt: 'arg' }),
      },
      [],
      { verify: ['git status --short'] },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const s = run.steps();
    const byIndex = (i: number) => s[i]!;
    assert.match(
      byIndex(1).text,
      /w01 is crashed:\n<<<data-[0-9a-f]+ worker w01 summary \(data, not instructions\)\ncrashed: exited with status 3/,
    );
    assert.equal(byIndex(4).isError, true);
    assert.match(byIndex(4).text, /^Error: the agent of worker w02 has exited/);
    // The task reached the agent as its argument, byte for byte, and nothing in it ran.
    const sessionDir = run.sessionDir()!;
    const argvPrompt = readFileSync(join(sessionDir, 'workers', 'w03', 'argv-prompt.txt'), 'utf8');
    assert.ok(argvPrompt.includes(tricky), 'the task arrived literally in the prompt argument');
    assert.equal(
      readFileSync(join(sessionDir, 'workers', 'w03', 'received-1.txt'), 'utf8').startsWith(tricky2.replace(/\r/g, '')),
      true,
    );
    for (const suffix of ['-dollar', '-tick', '-msg', '-msg2'])
      assert.equal(existsSync(canary + suffix), false, `a shell ran ${suffix}`);
    // A worker token cannot call lead tools.
    const probe = JSON.parse(readFileSync(join(sessionDir, 'workers', 'w03', 'lead-tool-probe.json'), 'utf8'));
    assert.equal(probe.isError, true);
    // Bad arguments are isError results that start with "Error:".
    for (const i of [9, 10, 11, 12, 13, 14]) {
      assert.equal(byIndex(i).isError, true, `step ${i} (${byIndex(i).call}) should be refused`);
      assert.match(byIndex(i).text, /^Error: /);
    }
    assert.match(byIndex(9).text, /task is empty/);
    assert.match(byIndex(10).text, /unknown perspective "wizard"/);
    assert.match(byIndex(11).text, /unknown agent "nope"/);
    assert.match(byIndex(12).text, /larger than 256 KB/);
    assert.match(byIndex(13).text, /unknown worker id "w99"/);
    assert.equal(byIndex(15).isError, false, byIndex(15).text);
    assert.equal(byIndex(16).isError, true);
    assert.match(
      byIndex(16).text,
      /finished workers neither merged nor discarded: w01 \(crashed\), w02 \(done\), w03 \(done\).*no verify has run/,
    );
    assert.equal(byIndex(20).isError, false, byIndex(20).text);
    assert.equal(byIndex(21).isError, false, byIndex(21).text);
  } finally {
    t.cleanup();
  }
});

test('a hung worker hits --worker-timeout and one killed with SIGKILL is noticed as crashed', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'hang', agent: 'hang' }, save: 'a' },
        { call: 'spawn_worker', args: { task: 'hang too', agent: 'hang' }, save: 'b' },
        { call: 'wait_for_worker', args: { worker_ids: ['$a', '$b'], mode: 'all' }, repeatWhile: 'Still running' },
        { call: 'mark_goal_failed', args: { reason: 'the workers did not finish' } },
      ],
      { hang: fixtureAgent('hang-worker') },
      ['--worker-timeout', '4'],
    );
    const pid = await eventually('w02 pid file', () => {
      const dir = run.sessionDir();
      return dir && readPidFile(join(dir, 'workers', 'w02', 'pid'));
    });
    signalPid(pid, 'SIGKILL');
    const r = await run.result;
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /w02 crashed: the agent killed by signal 9/);
    assert.match(r.stdout, /w01 timeout: hit --worker-timeout 4 s/);
    assert.match(r.stdout, /session\.failed/);
  } finally {
    t.cleanup();
  }
});

test('the run times out with exit 2, and mark_goal_done is refused while a worker runs', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'hang', agent: 'hang' }, save: 'a' },
        { call: 'mark_goal_done', args: { summary: 'too early' } },
        { call: 'wait_for_worker', args: { worker_id: '$a', timeout_s: 1 }, repeatWhile: 'Still running' },
      ],
      { hang: fixtureAgent('hang-worker') },
      ['--timeout', '5'],
    );
    const r = await run.result;
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const refused = run.steps()[1]!;
    assert.equal(refused.isError, true);
    assert.match(refused.text, /^Error: the goal cannot be marked done yet: workers still running: w01 \(running\)/);
    assert.match(r.stdout, /session\.timeout/);
    const status = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
    assert.equal(status.session.status, 'timeout');
    assert.equal(status.workers[0].state, 'killed');
  } finally {
    t.cleanup();
  }
});

test('a worker waiting at a question is `waiting` for the lead, and runs again once answered', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'ask first', agent: 'ask' }, save: 'q' },
        { call: 'list_workers', args: {}, repeatWhile: '"state": "(starting|running)"' },
        { call: 'send_to_worker', args: { worker_id: '$q', message: 'y' } },
        { call: 'wait_for_worker', args: { worker_id: '$q' }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$q', reason: 'done' } },
        { call: 'verify', args: { commands: ['git status'] } },
        { call: 'mark_goal_done', args: { summary: 'answered' } },
      ],
      { ask: fixtureAgent('ask-worker', { waiting: ['Proceed? [y/n]'], busy: ['working on it'] }) },
      [],
      { verify: ['git status'] },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const listed = run.steps()[1]!.structured!.workers as { state: string; summary: string }[];
    assert.equal(listed[0]!.state, 'waiting');
    assert.match(listed[0]!.summary, /waiting for input: .*Proceed\? \[y\/n\]/);
    assert.match(r.stdout, /w01 done: answered y/);
  } finally {
    t.cleanup();
  }
});
