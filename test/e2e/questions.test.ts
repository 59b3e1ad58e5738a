/**
 * Worker questions through the built CLI with real tmux, git, SQLite and MCP: a scripted worker asks and waits, the
 * scripted lead answers, the worker carries on and finishes; a ticket the lead leaves unanswered is escalated and
 * the answer given with `crewmux answer` reaches the worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT, createRepo, createTestEnv, diagnostics, eventually, runCli } from '../helpers/env.js';
import { startReceiver } from '../helpers/notify-receiver.js';
import { startStepRun } from '../helpers/step-run.js';

const writer = {
  // The scripted worker: asks its task's ```ask block, then finishes with the answer it got.
  asker: { command: process.execPath, args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')], prompt: 'file' },
};
const TASK = 'Find out the port.\n```ask\nWhich port should the server listen on?\n```\n';

function events(dataDir: string, type: string): { worker_id: string; data: string }[] {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT worker_id, data FROM events WHERE type = ? ORDER BY id').all(type) as {
      worker_id: string;
      data: string;
    }[];
  } finally {
    db.close();
  }
}

test('a worker asks, wait_for_worker names the ticket, the lead answers and the worker finishes with it', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: TASK, agent: 'asker' }, save: 'a' },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: '^Still running', saveTicket: 'q' },
        { call: 'list_questions', args: {} },
        { call: 'answer_question', args: { ticket: '$q', answer: 'Use port 8080.' } },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'answer_question', args: { ticket: '$q', answer: 'again' } },
        { call: 'discard_worker', args: { worker_id: '$a', reason: 'it only asked' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'asked and answered' } },
      ],
      writer,
      [],
      { verify: ['git status --short'] },
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const s = run.steps();
    assert.match(s[1]!.text, /^w01 asked q1 \(question, normal\):\n<<<data-[0-9a-f]+ w01 question q1/);
    assert.match(s[1]!.text, /Which port should the server listen on\?/);
    assert.match(s[2]!.text, /w01 asked q1/, 'list_questions shows the open ticket');
    assert.match(s[3]!.text, /^Answered q1: delivered to w01/);
    assert.match(s[4]!.text, /^w01 is done:/);
    assert.match(s[4]!.text, /q1: Answer to q1 \(from the lead\): Use port 8080\./);
    assert.equal(s[5]!.isError, true, 'a ticket is answered once');
    assert.match(s[5]!.text, /already answered by lead/);
    // The answer reached the worker's terminal as a fenced message.
    const received = readFileSync(join(run.sessionDir()!, 'workers', 'w01', 'received-1.txt'), 'utf8');
    assert.match(
      received,
      /^crewmux: the answer to your question q1 \(from the lead\):\n<<<data-[0-9a-f]+ answer to q1/,
    );
    assert.match(received, /Use port 8080\./);
    assert.match(r.stdout, /questions asked: 1, answered by the lead: 1, by you: 0/);
    const answered = events(t.env.CREWMUX_DATA_DIR!, 'question.answered');
    assert.deepEqual(
      answered.map((e) => JSON.parse(e.data) as unknown),
      [{ ticket: 'q1', by: 'lead' }],
    );
    assert.equal(events(t.env.CREWMUX_DATA_DIR!, 'question.escalated').length, 0, 'the lead answered in time');
  } finally {
    t.cleanup();
  }
});

test('an unanswered ticket is escalated to a webhook on loopback and `crewmux answer` reaches the worker', async () => {
  const t = createTestEnv();
  const hook = await startReceiver();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: TASK, agent: 'asker' }, save: 'a' },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: '^Still running' },
        // The lead does not answer: it waits for the worker to finish.
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$a', reason: 'it only asked' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'the user answered' } },
      ],
      writer,
      [],
      {
        verify: ['git status --short'],
        questions: { leadTimeout: 1 },
        notify: [{ type: 'webhook', url: `${hook.base}/escalations`, format: 'json' }],
      },
    );
    const escalated = await eventually(
      'the ticket to be escalated',
      () => {
        try {
          return events(t.env.CREWMUX_DATA_DIR!, 'question.escalated')[0];
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    assert.deepEqual(JSON.parse(escalated.data), {
      ticket: 'q1',
      urgency: 'normal',
      attempt: 1,
      category: 'question',
      question: 'Which port should the server listen on?',
    });
    const listed = await runCli(t, repo, ['answer']);
    assert.match(listed.stdout, /q1 {2}w01 {2}question {2}normal {2}\(needs you\)\n {4}Which port/);
    const bad = await runCli(t, repo, ['answer', 'q9', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown ticket "q9"/);
    const answered = await runCli(t, repo, ['answer', 'q1', 'Port 9090, said the user.']);
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /^Answered q1; w01 gets it in its terminal/);
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const s = run.steps();
    assert.match(s[2]!.text, /q1: Answer to q1 \(from the user\): Port 9090, said the user\./);
    assert.match(r.stdout, /questions asked: 1, answered by the lead: 0, by you: 1/);
    const received = readFileSync(join(run.sessionDir()!, 'workers', 'w01', 'received-1.txt'), 'utf8');
    assert.match(received, /\(from the user\)/);
    // The webhook heard of the ticket once per escalation (a re-send is a new change), and of the run's end.
    const asks = hook.received.filter((q) => q.body.includes('ticket q1'));
    const sent = events(t.env.CREWMUX_DATA_DIR!, 'question.escalated').length;
    assert.ok(asks.length >= 1, JSON.stringify(hook.received));
    assert.equal(asks.length, sent, JSON.stringify(hook.received));
    assert.equal(asks[0]!.path, '/escalations');
  } finally {
    await hook.close();
    t.cleanup();
  }
});
