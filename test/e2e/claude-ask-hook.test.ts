/**
 * Issue 17 item 6, the real thing: a real Claude Code worker (the pinned CLI, talking to the scripted fake model
 * server on loopback) calls its own AskUserQuestion tool; crewmux's PreToolUse hook turns the question into a
 * ticket, the (step) lead sees it in wait_for_worker and list_questions and answers it with answer_question, and the
 * hook hands the answer back to Claude as the deny reason. The worker writes the answer into its file, finishes, and
 * the lead merges, verifies and marks the goal done: the file on the integration branch holds the lead's answer, the
 * ticket came from the hook, was answered by the lead and delivered through the hook (never typed into the pane).
 * Skipped when the claude binary is missing. Seeded HOME (test/helpers/agent-homes.ts), outbound traffic to a closed
 * loopback proxy, as in test/helpers/real-agents.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { which } from '../../src/adapters/process/which.js';
import { ASK_MARK, ASK_USER_TOOL } from '../fakes/fake-model/policy.js';
import { OFFLINE_ENV, seedUserHome } from '../helpers/agent-homes.js';
import { useFakeModel } from '../helpers/fake-model.js';
import { createRepo, createTestEnv, diagnostics, fixtureAgent, git, runCli, secureTestBase } from '../helpers/env.js';
import type { StepResult } from '../helpers/step-run.js';

/** RUN_S: seconds the run may take before crewmux ends it as timed out (default 180). */
const { fake, path: PATH, runS: RUN_S } = useFakeModel({ runS: 180 });
const QUESTION = 'Which port should the server listen on?';
const ANSWER = 'port 8080, said the lead';
const TASK = `Create file port.txt containing the port is\n${ASK_MARK} ${QUESTION}\n`;

function events(dataDir: string, type: string): { worker_id: string; data: Record<string, unknown> }[] {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    return (
      db.prepare('SELECT worker_id, data FROM events WHERE type = ? ORDER BY id').all(type) as {
        worker_id: string;
        data: string;
      }[]
    ).map((e) => ({ worker_id: e.worker_id, data: JSON.parse(e.data) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

test(
  'a real Claude Code worker asks with AskUserQuestion and gets the lead answer through the hook',
  { skip: which('claude', PATH) ? false : 'claude not installed (npm install in the repo installs the pinned CLI)' },
  async () => {
    const t = createTestEnv({ base: secureTestBase() });
    try {
      const plan = join(t.dir, 'plan.json');
      const out = join(t.dir, 'out.json');
      writeFileSync(
        plan,
        JSON.stringify([
          { call: 'spawn_worker', args: { task: TASK, agent: 'claude' }, save: 'a' },
          { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: '^Still running', saveTicket: 'q' },
          { call: 'list_questions', args: {} },
          { call: 'answer_question', args: { ticket: '$q', answer: ANSWER } },
          { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
          { call: 'merge_worker', args: { worker_id: '$a' } },
          { call: 'verify', args: {}, repeatWhile: 'still running' },
          { call: 'mark_goal_done', args: { summary: 'the worker asked, the lead answered' } },
        ]),
      );
      const config = {
        verify: ['git status --short'],
        toolWait: 20,
        leadStartTimeout: RUN_S,
        agents: { 'step-lead': fixtureAgent('step-lead', { env: { STEP_PLAN: plan, STEP_OUT: out } }) },
      };
      const repo = createRepo(t, {
        'README.md': '# test repo\n',
        '.crewmux/config.json': JSON.stringify(config, null, 2) + '\n',
      });
      const env = { PATH, ...OFFLINE_ENV, ...seedUserHome('claude', t.env.HOME!, fake.url) };
      const firstRequest = fake.requests.length;
      const r = await runCli(
        t,
        repo,
        [
          'run',
          '--goal',
          'a real Claude Code worker asks its question',
          '--lead',
          'step-lead',
          '--agents',
          'claude',
          '--no-attach',
          '--wait',
          '--trust-repo-config',
          '--timeout',
          String(RUN_S),
        ],
        { env, timeoutMs: (RUN_S + 60) * 1000 },
      );
      const sessions = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
      const sid = existsSync(sessions) ? readdirSync(sessions)[0] : undefined;
      const paneLog = sid ? join(sessions, sid, 'workers', 'w01', 'pane.log') : '';
      const why = () =>
        `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}\n--- w01 pane\n${
          paneLog && existsSync(paneLog) ? readFileSync(paneLog, 'utf8').slice(-4000) : '(none)'
        }`;
      const steps = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as StepResult[]) : [];
      assert.equal(r.code, 0, why());
      // The worker's model called Claude's own AskUserQuestion tool.
      const workerCalls = fake.requests
        .slice(firstRequest)
        .filter((q) => q.role === 'w01' && q.decision.kind === 'tool')
        .map((q) => (q.decision.kind === 'tool' ? q.decision.tool.name : ''));
      assert.ok(workerCalls.includes(ASK_USER_TOOL), `w01 called ${workerCalls.join(', ')}\n${why()}`);
      // The lead saw the hook's ticket in wait_for_worker and list_questions and answered it.
      assert.match(steps[1]!.text, /^w01 asked q1 \(question, normal\):/, why());
      assert.match(steps[1]!.text, /Which port should the server listen on\?/);
      assert.match(steps[2]!.text, /w01 asked q1/);
      assert.match(steps[3]!.text, /^Answered q1/, why());
      assert.match(steps[4]!.text, /^w01 is done:/, why());
      // The answer reached Claude as the hook's deny reason and went into the file, now on the integration branch.
      const integration = `crewmux/${sid}/integration`;
      assert.equal(git(repo, 'show', `${integration}:port.txt`), `the port is ${ANSWER}`, why());
      const data = t.env.CREWMUX_DATA_DIR!;
      assert.deepEqual(
        events(data, 'question.asked').map((e) => [e.worker_id, e.data.ticket, e.data.source]),
        [['w01', 'q1', 'hook']],
        'the ticket came from the hook (not from the pane)',
      );
      assert.deepEqual(
        events(data, 'question.answered').map((e) => e.data),
        [{ ticket: 'q1', by: 'lead' }],
      );
      assert.deepEqual(
        events(data, 'question.delivered').map((e) => [e.data.ticket, e.data.via]),
        [['q1', 'hook']],
        'the hook read the answer; nothing was typed into the pane',
      );
      assert.equal(existsSync(join(sessions, sid!, 'workers', 'w01', 'received-1.txt')), false);
      assert.match(r.stdout, /questions asked: 1, answered by the lead: 1, by you: 0/);
    } finally {
      t.cleanup();
    }
  },
);
