/**
 * The API lead under way (issue 18): a provider that starts answering 429 mid-run is cooled down and the
 * conversation goes on with the next provider; a line the user types into pane 0 reaches the model as a
 * user message at its next turn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFakeModel } from '../helpers/fake-model.js';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  eventually,
  git,
  headlessRunArgs,
  ROOT,
  runCli,
  writeConfig,
} from '../helpers/env.js';
import { startGatedRun } from '../helpers/gated-run.js';

/** Anthropic requests answered so far; from `failAnthropicAfter` on, the fake answers them 429. */
let anthropicServed = 0;
let failAnthropicAfter = Infinity;
const { fake } = useFakeModel({
  server: {
    keepBodies: true,
    failWith: (p) => (p === 'anthropic' && anthropicServed++ >= failAnthropicAfter ? 429 : undefined),
  },
});

const NO_KEYS = Object.fromEntries(
  ['GOOGLE_API_KEY', 'GROQ_API_KEY', 'CEREBRAS_API_KEY', 'OPENROUTER_API_KEY'].map((k) => [k, '']),
);
const scripted = {
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
};

test('a 429 from the first provider mid-run falls back to the second; the run ends done', async () => {
  const t = createTestEnv();
  anthropicServed = 0;
  failAnthropicAfter = 2;
  try {
    const repo = createRepo(t, { 'README.md': '# test repo\n' });
    writeConfig(repo, { verify: ['git status --short'], toolWait: 20, agents: { scripted } });
    const first = fake.requests.length;
    const r = await runCli(
      t,
      repo,
      headlessRunArgs('Write it.\n```file:fallback.txt\nwritten across a fallback\n```', {
        lead: 'api:anthropic/claude-fake-lead',
        agents: ['scripted'],
        timeoutS: 120,
      }),
      {
        env: {
          ...NO_KEYS,
          ANTHROPIC_API_KEY: 'fake-key',
          ANTHROPIC_BASE_URL: fake.url,
          GEMINI_API_KEY: 'fake-key',
          GOOGLE_GEMINI_BASE_URL: fake.url,
        },
        timeoutMs: 180_000,
      },
    );
    const why = () => `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`;
    assert.equal(r.code, 0, why());
    const lead = fake.requests.slice(first).filter((q) => q.role === 'lead');
    assert.deepEqual(
      lead.slice(0, 2).map((q) => q.protocol),
      ['anthropic', 'anthropic'],
      why(),
    );
    assert.ok(lead.length > 3 && lead.slice(2).every((q) => q.protocol === 'gemini'), why());
    // After the cooldown began, the lead did not ask anthropic again: exactly one 429 was served to it.
    assert.equal(fake.failed.filter((f) => f.protocol === 'anthropic' && f.role === 'lead').length, 1, why());
    const sid = /session (\w+) started/.exec(r.stderr)?.[1] ?? '';
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:fallback.txt`).trim(), 'written across a fallback');
  } finally {
    failAnthropicAfter = Infinity;
    t.cleanup();
  }
});

test('a line typed into pane 0 reaches the model as a user message', async () => {
  const t = createTestEnv();
  try {
    const env = { ...NO_KEYS, GEMINI_API_KEY: 'fake-key', GOOGLE_GEMINI_BASE_URL: fake.url };
    const { gate, sid, view } = await startGatedRun(t, { lead: 'api:gemini/gemini-fake-lead', env, timeoutS: 120 });
    await eventually('the worker runs', async () => (await view()).workers[0]?.state === 'running', 60_000);
    const said = 'steer: keep the greeting short';
    t.tmux('send-keys', '-t', `=crewmux-${sid}:lead.0`, '-l', said);
    t.tmux('send-keys', '-t', `=crewmux-${sid}:lead.0`, 'Enter');
    const typedTurn = await eventually(
      'a lead request carries the typed line',
      () =>
        fake.requests.find((q) => {
          const contents = (q.body as { contents?: { role: string; parts: { text?: string }[] }[] })?.contents ?? [];
          return contents.some((c) => c.role === 'user' && c.parts.some((p) => p.text === said));
        }),
      60_000,
    );
    assert.equal(typedTurn.role, 'lead');
    writeFileSync(gate, '');
    await eventually('the run ends', async () => (await view()).session.status !== 'running', 90_000);
    assert.equal((await view()).session.status, 'done', diagnostics(t));
  } finally {
    t.cleanup();
  }
});
