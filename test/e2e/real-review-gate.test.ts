/**
 * The review gate with real agent CLIs (issue 19): one `crewmux run` whose worker is the pinned Claude Code and whose
 * gate reviewer is the pinned Codex (config `gate.agents: ["codex"]`), both in a seeded HOME against the scripted
 * fake model server. The lead is the step lead (test/fixtures/bin/step-lead.mjs). The goal's `## Acceptance` asks
 * for a.txt and b.txt; the first worker writes only a.txt, so in round 1 the Codex reviewer (the fake reads the diff
 * crewmux sent it) submits fail with a finding, mark_goal_done answers DONE REJECTED, the lead sends the work back
 * (a second Claude worker writes b.txt), and in round 2 the same Codex session gets the new diff and passes. Skipped
 * when a binary is missing; CREWMUX_RUN_VERBOSE=1 prints the run's event log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../../src/adapters/process/which.js';
import { flattenText } from '../fakes/fake-model/conversation.js';
import { OFFLINE_ENV, seedUserHome } from '../helpers/agent-homes.js';
import { useFakeModel } from '../helpers/fake-model.js';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  fixtureAgent,
  git,
  runCli,
  secureTestBase,
  writeConfig,
} from '../helpers/env.js';
import type { StepResult } from '../helpers/step-run.js';

const { fake, path: PATH, runS: RUN_S } = useFakeModel({ server: { keepBodies: true } });
const missing = ['claude', 'codex'].filter((b) => !which(b, PATH));

const GOAL = ['Two files.', '', '## Acceptance', '- a.txt exists', '- b.txt exists', ''].join('\n');

test(
  'gate: a real Codex reviewer rejects a real Claude Code worker in round 1 and passes the fix in round 2, in the same session',
  {
    skip: missing.length ? `${missing.join(', ')} not installed (npm install installs the pinned CLIs)` : false,
    timeout: (RUN_S + 90) * 1000,
  },
  async () => {
    const t = createTestEnv({ base: secureTestBase() });
    try {
      const repo = createRepo(t, { 'README.md': '# test repo\n' });
      const plan = join(t.dir, 'plan.json');
      const out = join(t.dir, 'out.json');
      const wait = (name: string) => ({
        call: 'wait_for_worker',
        args: { worker_id: `$${name}`, timeout_s: 20 },
        repeatWhile: 'Still running',
      });
      writeFileSync(
        plan,
        JSON.stringify([
          { call: 'spawn_worker', args: { task: 'Create file a.txt containing alpha', agent: 'claude' }, save: 'a' },
          wait('a'),
          { call: 'merge_worker', args: { worker_id: '$a' } },
          { call: 'verify', args: {}, repeatWhile: 'still running' },
          { call: 'mark_goal_done', args: { summary: 'a.txt written' }, repeatWhile: 'still running' },
          // Sent back with the finding: a new worker writes the missing file.
          { call: 'spawn_worker', args: { task: 'Create file b.txt containing beta', agent: 'claude' }, save: 'b' },
          wait('b'),
          { call: 'merge_worker', args: { worker_id: '$b' } },
          { call: 'verify', args: {}, repeatWhile: 'still running' },
          { call: 'mark_goal_done', args: { summary: 'a.txt and b.txt written' }, repeatWhile: 'still running' },
        ]),
      );
      writeConfig(repo, {
        verify: ['git status --short'],
        toolWait: 20,
        leadStartTimeout: RUN_S,
        gate: { reviewers: ['reviewer'], maxRounds: 3, agents: ['codex'] },
        agents: { 'step-lead': fixtureAgent('step-lead', { env: { STEP_PLAN: plan, STEP_OUT: out } }) },
      });
      git(repo, 'add', '.crewmux/config.json');
      git(repo, 'commit', '-q', '-m', 'crewmux config');
      const home = t.env.HOME!;
      const env = {
        PATH,
        ...OFFLINE_ENV,
        ...seedUserHome('claude', home, fake.url),
        ...seedUserHome('codex', home, fake.url),
      };
      const first = fake.requests.length;
      const args = ['run', '--goal', GOAL, '--lead', 'step-lead', '--agents', 'claude,codex', '--no-attach'];
      const r = await runCli(t, repo, [...args, '--wait', '--trust-repo-config', '--timeout', String(RUN_S)], {
        env,
        timeoutMs: (RUN_S + 60) * 1000,
      });
      if (process.env.CREWMUX_RUN_VERBOSE === '1') process.stderr.write(`--- crewmux run\n${r.stdout}${r.stderr}`);
      const steps = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as StepResult[]) : [];
      const why = () =>
        `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${JSON.stringify(steps, null, 1).slice(0, 6000)}\n${diagnostics(t)}`;
      assert.equal(r.code, 0, why());

      // What the lead was told: round 1 rejected with the reviewer's finding, round 2 accepted.
      const marks = steps.filter((s) => s.call === 'mark_goal_done');
      assert.equal(marks.length, 2, why());
      assert.equal(marks[0]!.isError, true, why());
      assert.match(marks[0]!.text, /DONE REJECTED \(round 1 of 3\)/);
      assert.match(marks[0]!.text, /unmet A2: the diff does not add b\.txt/);
      assert.match(marks[0]!.text, /\[high\] b\.txt b\.txt is missing on the integration head/);
      assert.equal(marks[1]!.isError, false, why());
      assert.match(marks[1]!.text, /marked done/);

      // What crewmux recorded: two rounds, one Codex reviewer session over both, its two verdicts.
      const st = JSON.parse((await runCli(t, repo, ['status', '--json', '--all'], { env })).stdout) as {
        session: { id: string; status: string };
        workers: { id: string; agent: string; perspective: string; state: string }[];
        review: {
          gate: { round: number; status: string; reviewers: string[] }[];
          verdicts: { reviewer: string; subject: string; round: number; verdict: string; unmet: string[] }[];
        };
        report: { gate: { status: string; findingsFixed: number } };
      };
      assert.equal(st.session.status, 'done', why());
      assert.deepEqual(
        st.review.gate.map((g) => [g.round, g.status]),
        [
          [1, 'rejected'],
          [2, 'passed'],
        ],
        why(),
      );
      const reviewer = st.review.gate[0]!.reviewers[0]!;
      assert.deepEqual(st.review.gate[1]!.reviewers, [reviewer], 'round 2 reused the round 1 reviewer');
      const rw = st.workers.find((w) => w.id === reviewer)!;
      assert.deepEqual([rw.agent, rw.perspective], ['codex', 'reviewer']);
      assert.deepEqual(
        st.workers.filter((w) => w.id !== reviewer).map((w) => [w.agent, w.state]),
        [
          ['claude', 'merged'],
          ['claude', 'merged'],
        ],
      );
      assert.deepEqual(
        st.review.verdicts.map((v) => [v.reviewer, v.subject, v.round, v.verdict, v.unmet]),
        [
          [reviewer, 'gate', 1, 'fail', ['A2']],
          [reviewer, 'gate', 2, 'pass', []],
        ],
      );
      assert.deepEqual([st.report.gate.status, st.report.gate.findingsFixed], ['passed', 1]);
      assert.match(
        (await runCli(t, repo, ['status', '--all'], { env })).stdout,
        /gate: passed in round 2; findings fixed: 1/,
      );
      const integration = `crewmux/${st.session.id}/integration`;
      assert.equal(git(repo, 'show', `${integration}:b.txt`), 'beta');

      // What the fake model saw: the reviewer spoke OpenAI Responses (Codex); its round 2 request holds the new
      // diff and, in the same Codex session, its own round 1 verdict.
      const mine = fake.requests.slice(first).filter((q) => q.role === reviewer);
      assert.ok(mine.length && mine.every((q) => q.protocol === 'responses'), why());
      const verdicts = mine.filter((q) => q.decision.kind === 'tool' && q.decision.tool.name === 'submit_verdict');
      assert.deepEqual(
        verdicts.map((q) => (q.decision.kind === 'tool' ? q.decision.args.verdict : '')),
        ['fail', 'pass'],
      );
      const round2 = mine.find((q) => flattenText(q.body).includes('Review gate round 2 of 3'));
      assert.ok(round2, 'the reviewer got round 2');
      const text = flattenText(round2.body);
      assert.match(text, /\+\+\+ b\/b\.txt/, 'round 2 holds the new diff');
      assert.match(text, /Review gate round 1 of 3/, 'round 2 continues the round 1 conversation');
      assert.match(text, /"verdict":"fail"/, 'the reviewer remembers its round 1 verdict');
      const sessions = new Set(mine.map((q) => q.session));
      assert.equal(sessions.size, 1, `one Codex session: ${[...sessions].join(', ')}`);
      assert.ok([...sessions][0], 'Codex sent its session id');
    } finally {
      t.cleanup();
    }
  },
);
