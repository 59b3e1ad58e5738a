/**
 * The API lead (issue 18): `crewmux run --lead api:PROVIDER/MODEL` runs crewmux's own lead loop in pane 0,
 * which calls the fake model server over each of the router's three wire formats (Anthropic Messages,
 * OpenAI-compatible Chat Completions, Gemini) with crewmux's lead tools as function tools. The fake plays
 * the lead from crewmux's real lead prompt: spawn_worker (twice), wait_for_worker, merge_worker, verify,
 * mark_goal_done; the workers are scripted workers, so both files on the integration branch prove the whole
 * path ran. The lead's usage comes back from its own usage file, as served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useFakeModel } from '../helpers/fake-model.js';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  git,
  headlessRunArgs,
  ROOT,
  runCli,
  writeConfig,
} from '../helpers/env.js';
import type { SessionUsageView } from '../../src/app/usage/views.js';

const { fake } = useFakeModel();

const scripted = {
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
};

/** No provider key of the test runner's own environment reaches the run. */
const NO_KEYS = Object.fromEntries(
  [
    'ANTHROPIC_API_KEY',
    'GEMINI_API_KEY',
    'GOOGLE_API_KEY',
    'GROQ_API_KEY',
    'CEREBRAS_API_KEY',
    'OPENROUTER_API_KEY',
  ].map((k) => [k, '']),
);

const WIRES = [
  {
    lead: 'api:anthropic/claude-fake-lead',
    protocol: 'anthropic',
    env: (url: string) => ({ ANTHROPIC_API_KEY: 'fake-key', ANTHROPIC_BASE_URL: url }),
  },
  {
    lead: 'api:gemini/gemini-fake-lead',
    protocol: 'gemini',
    env: (url: string) => ({ GEMINI_API_KEY: 'fake-key', GOOGLE_GEMINI_BASE_URL: url }),
  },
  {
    lead: 'api:groq/chat-fake-lead',
    protocol: 'chat',
    env: (url: string) => ({ GROQ_API_KEY: 'fake-key', GROQ_BASE_URL: `${url}/v1` }),
  },
] as const;

for (const w of WIRES) {
  test(`--lead ${w.lead}: the API lead runs the goal to done over the ${w.protocol} wire`, async () => {
    const t = createTestEnv();
    try {
      const repo = createRepo(t, { 'README.md': '# test repo\n' });
      writeConfig(repo, { verify: ['git status --short'], toolWait: 20, agents: { scripted } });
      // Two one-line tasks: the fake lead gives each its own worker (test/fakes/fake-model/policy.ts leadTasks).
      const content = `hello from the ${w.protocol} api lead`;
      const other = `bye from the ${w.protocol} api lead`;
      const goal = `Write the two greeting files.\nCreate file hello.txt containing ${content}\nCreate file bye.txt containing ${other}`;
      const first = fake.requests.length;
      const r = await runCli(t, repo, headlessRunArgs(goal, { lead: w.lead, agents: ['scripted'], timeoutS: 120 }), {
        env: { ...NO_KEYS, ...w.env(fake.url) },
        timeoutMs: 180_000,
      });
      const why = () => `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`;
      assert.equal(r.code, 0, why());
      const status = await runCli(t, repo, ['status', '--json']);
      const view = JSON.parse(status.stdout) as {
        session: { id: string; status: string; lead: string };
        workers: { id: string; state: string }[];
        integrationBranch?: string;
      };
      assert.equal(view.session.status, 'done', why());
      assert.equal(view.session.lead, w.lead);
      assert.deepEqual(
        view.workers.map((x) => x.state),
        ['merged', 'merged'],
        why(),
      );
      const branch = `crewmux/${view.session.id}/integration`;
      assert.equal(git(repo, 'show', `${branch}:hello.txt`), content, why());
      assert.equal(git(repo, 'show', `${branch}:bye.txt`), other, why());

      const served = fake.requests.slice(first).filter((q) => q.role === 'lead');
      assert.ok(served.length >= 5, `the lead made its calls through the model: ${served.length}\n${why()}`);
      assert.ok(served.every((q) => q.protocol === w.protocol));
      assert.ok(served.every((q) => q.usage.model === w.lead.slice(w.lead.indexOf('/') + 1)));
      const tools = served.map((q) => (q.decision.kind === 'tool' ? q.decision.tool.name : 'text'));
      for (const name of ['spawn_worker', 'wait_for_worker', 'merge_worker', 'verify', 'mark_goal_done'])
        assert.ok(tools.includes(name), `${name} in ${tools.join(', ')}`);

      const usage = JSON.parse(
        (await runCli(t, repo, ['usage', view.session.id, '--json'])).stdout,
      ) as SessionUsageView;
      const lead = usage.workers.lead;
      assert.ok(lead, `usage has the lead: ${JSON.stringify(usage)}`);
      assert.equal(lead.agent, w.lead);
      assert.deepEqual(
        [lead.calls, lead.input, lead.output],
        [served.length, served.reduce((n, q) => n + q.usage.input, 0), served.reduce((n, q) => n + q.usage.output, 0)],
      );
    } finally {
      t.cleanup();
    }
  });
}

test('--lead api without a provider key fails preflight naming the variables to set', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test repo\n' });
    const r = await runCli(t, repo, ['run', '--goal', 'anything', '--lead', 'api:gemini', '--no-attach'], {
      env: NO_KEYS,
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /E_API_LEAD_NO_PROVIDER/);
    assert.match(r.stderr, /GEMINI_API_KEY is not set/);
    const bad = await runCli(t, repo, ['run', '--goal', 'anything', '--lead', 'api:nosuch', '--no-attach'], {
      env: NO_KEYS,
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown provider "nosuch"/);
  } finally {
    t.cleanup();
  }
});
