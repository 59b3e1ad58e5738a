/**
 * The API lead's compaction in a real run (issue 18): with `router.leadContextTokens` far below the lead
 * prompt, the conversation is compacted before every turn once there is an older turn to summarize; the
 * summary comes from the router (the fake echoes each earlier tool result, which its lead reads back), the
 * first message keeps the goal, the session records a lead note, and the run still ends done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useFakeModel } from '../helpers/fake-model.js';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli, writeConfig } from '../helpers/env.js';

const { fake } = useFakeModel({ server: { keepBodies: true } });

const NO_KEYS = Object.fromEntries(
  ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GROQ_API_KEY', 'CEREBRAS_API_KEY', 'OPENROUTER_API_KEY'].map((k) => [k, '']),
);
const scripted = {
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
};

/** The text of an Anthropic request's user messages, joined. */
function userText(body: unknown): string {
  const messages = (body as { messages?: { role: string; content: unknown }[] }).messages ?? [];
  return messages
    .filter((m) => m.role === 'user')
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : (m.content as { type: string; text?: string }[])
            .filter((c) => c.type === 'text')
            .map((c) => c.text ?? '')
            .join('\n'),
    )
    .join('\n');
}

test('a conversation forced over a small context limit is compacted and the run still ends done', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'README.md': '# test repo\n' });
    writeConfig(repo, {
      verify: ['git status --short'],
      toolWait: 20,
      agents: { scripted },
      router: { leadContextTokens: 1000 },
    });
    const content = 'written under a compacted lead';
    const first = fake.requests.length;
    const r = await runCli(
      t,
      repo,
      [
        'run',
        '--goal',
        `Write the file.\n\`\`\`file:compact.txt\n${content}\n\`\`\``,
        '--lead',
        'api:anthropic/claude-fake-lead',
        '--agents',
        'scripted',
        '--no-attach',
        '--wait',
        '--trust-repo-config',
        '--timeout',
        '150',
      ],
      {
        env: { ...NO_KEYS, ANTHROPIC_API_KEY: 'fake-key', ANTHROPIC_BASE_URL: fake.url },
        timeoutMs: 200_000,
      },
    );
    const why = () => `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`;
    assert.equal(r.code, 0, why());
    const sid = /session (\w+) started/.exec(r.stderr)?.[1] ?? '';
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:compact.txt`).trim(), content, why());

    const served = fake.requests.slice(first);
    const summaries = served.filter((q) => q.role === 'summary');
    assert.ok(summaries.length >= 1, `the router wrote a summary\n${why()}`);
    // A lead request after a compaction: the goal still first, then the summary with the spawn in it.
    const compacted = served.filter(
      (q) => q.role === 'lead' && userText(q.body).includes('crewmux compacted this conversation'),
    );
    assert.ok(compacted.length >= 1, why());
    const text = userText(compacted[0]!.body);
    assert.ok(text.indexOf('compact.txt') < text.indexOf('crewmux compacted'), text.slice(0, 2000));
    assert.match(text, /RESULT of spawn_worker: Started worker w01/);
    assert.match(text, /## The workers now \(list_workers\)/);
    // The session saw it: the lead's report_progress note.
    assert.match(r.stdout, /lead\.progress .*conversation was compacted/, why());
  } finally {
    t.cleanup();
  }
});
