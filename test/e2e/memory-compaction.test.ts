/**
 * Memory and compaction through whole runs (issue 9), with the step lead and scripted workers on real
 * tmux, git, SQLite and MCP: project topics retrieved into the matching worker's prompt (and not the
 * other topic), compact_session visible in the next list_workers and read_worker_output (plain
 * truncation without a router key, and it says so), the report's summary, an episode with the verify
 * lesson written at the end, and that episode retrieved into a worker's prompt in the next session.
 * With the router pointed at a fake LLM API on loopback: Anthropic answers 429 (cooled down, skipped
 * for the report), Groq writes the digest list_workers then shows, and the report's summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli } from '../helpers/env.js';
import { startStepRun, unfence, type StepResult } from '../helpers/step-run.js';
import { createFakeLlmServer } from '../fakes/fake-llm-server.js';

const scripted = {
  command: process.execPath,
  args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
  prompt: 'file',
};
const file = (path: string, content: string) => `\`\`\`file:${path}\n${content}\`\`\`\n`;
const LONG_REPORT = Array.from(
  { length: 40 },
  (_, i) => `step ${i + 1}: checked the users table migration and its rollback`,
).join('\n');

const promptOf = (dataDir: string, sid: string, worker: string) =>
  readFileSync(join(dataDir, 'sessions', sid, 'workers', worker, 'prompt.md'), 'utf8');
const stepOf = (steps: StepResult[], call: string, n = 0) => {
  const s = steps.filter((x) => x.call === call)[n];
  assert.ok(s, `no step ${call} #${n}`);
  return s;
};

test('memory retrieved into prompts, compaction in list_workers, an episode written and retrieved next session', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, {
      'README.md': '# test\n',
      '.crewmux/memory/topics/database.md':
        '# Database\n\n## Migrations\nEvery schema migration needs a rollback file beside it; run migrate-check before merging.\n',
      '.crewmux/memory/topics/styling.md':
        '# Styling\n\n## CSS\nClass names follow BEM; colours come from palette variables.\n',
    });
    const dataDir = t.env.CREWMUX_DATA_DIR!;

    // Session 1: a migration worker (long report), a failing verify, a fixing worker, a passing verify.
    const run1 = startStepRun(
      t,
      repo,
      [
        {
          call: 'spawn_worker',
          args: {
            task: `Add the users table schema migration.\n${file('migrations/001_users.sql', 'create table users (id int);\n')}\`\`\`summary\n${LONG_REPORT}\n\`\`\`\n`,
            agent: 'scripted',
          },
          save: 'a',
        },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'compact_session', args: {} },
        { call: 'list_workers', args: {} },
        { call: 'read_worker_output', args: { worker_id: '$a' } },
        { call: 'read_worker_output', args: { worker_id: '$a', full: true } },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['test -f migrations/001_users_rollback.sql'] } },
        {
          call: 'spawn_worker',
          args: {
            task: `Add the rollback.\n${file('migrations/001_users_rollback.sql', 'drop table users;\n')}`,
            agent: 'scripted',
          },
          save: 'b',
        },
        { call: 'wait_for_worker', args: { worker_id: '$b' }, repeatWhile: 'Still running' },
        { call: 'merge_worker', args: { worker_id: '$b' } },
        { call: 'verify', args: { commands: ['test -f migrations/001_users_rollback.sql'] } },
        { call: 'verify', args: {} },
        { call: 'clear_tool_results', args: {} },
        { call: 'verify', args: { commands: ['test -f migrations/001_users_rollback.sql'] } },
        { call: 'mark_goal_done', args: { summary: 'users migration and rollback merged' } },
      ],
      { scripted },
      [],
      { verifyAllowAdHoc: true },
      { CREWMUX_ROUTER: 'off' },
    );
    const r1 = await run1.result;
    assert.equal(r1.code, 0, `${r1.stdout}\n${r1.stderr}\n${diagnostics(t)}`);
    const s1 = run1.steps();
    const [sid1] = readdirSync(join(dataDir, 'sessions'));

    // The matching topic went into w01's prompt, the other did not.
    const p1 = promptOf(dataDir, sid1!, 'w01');
    assert.match(p1, /## Memory: \d+ notes? from \.crewmux\/memory/);
    assert.match(p1, /run migrate-check before merging/);
    assert.doesNotMatch(p1, /BEM/);
    assert.match(stepOf(s1, 'spawn_worker').text, /Added to its prompt: .*Memory: 1 note from \.crewmux\/memory/);

    // compact_session: the long report became a digest, by truncation, and says so.
    assert.match(stepOf(s1, 'compact_session').text, /w01: \d+ → \d+ chars, plain truncation: no router provider key/);
    const listed = (
      stepOf(s1, 'list_workers').structured!.workers as {
        id: string;
        summary: string;
        compacted?: { method: string; eventId: number };
      }[]
    )[0]!;
    assert.equal(listed.compacted?.method, 'truncation');
    assert.ok(listed.summary.length < LONG_REPORT.length / 2, `digest of ${listed.summary.length} chars`);
    assert.match(listed.summary, /chars cut/);
    assert.match(
      stepOf(s1, 'read_worker_output').text,
      /^\[compacted by plain truncation: no router provider key is configured; the full \d+ chars are in event #\d+/,
    );
    assert.doesNotMatch(stepOf(s1, 'read_worker_output', 1).text, /^\[compacted/);
    // The full report stays in the event log.
    const events = await runCli(t, repo, ['status', sid1!, '--json']);
    const view = JSON.parse(events.stdout) as { report: { summary: string; summaryBy: string; verifies: unknown[] } };
    // verify on an unchanged head reuses its result; after clear_tool_results it runs again.
    assert.match(
      stepOf(s1, 'clear_tool_results').text,
      /^Cleared 0 cached web_research answer\(s\)\. 2 finished verify result\(s\) will not be reused/,
    );
    assert.equal(view.report.verifies.length, 3, 'failing, passing, and the one run again after clear_tool_results');
    assert.match(
      view.report.summary,
      /^Goal done: users migration and rollback merged\. 2 worker\(s\): w01, w02 merged\. Last verify passed/,
    );
    assert.match(view.report.summaryBy, /no router provider key/);

    // The episode: goal, outcome, and the verify lesson (failed, then fixed).
    const episodes = readdirSync(join(repo, '.crewmux', 'memory', 'episodes'));
    assert.equal(episodes.length, 1);
    assert.match(episodes[0]!, new RegExp(`^\\d{4}-\\d{2}-\\d{2}-${sid1}\\.md$`));
    const episode = readFileSync(join(repo, '.crewmux', 'memory', 'episodes', episodes[0]!), 'utf8');
    assert.match(episode, /- outcome: done \(users migration and rollback merged\)/);
    assert.match(
      episode,
      /## Lessons from verify failures\n- `test -f migrations\/001_users_rollback\.sql` exited 1 on [0-9a-f]{10} \(later fixed and passing\)/,
    );
    // The user's tracked files are untouched; besides the test's config, the episode is the only new file.
    assert.deepEqual(git(repo, 'status', '--porcelain').split('\n'), [
      '?? .crewmux/config.json',
      '?? .crewmux/memory/episodes/',
    ]);

    // Session 2: a worker on the rollback topic gets the episode's lesson in its prompt.
    writeFileSync(
      join(repo, '.crewmux', 'memory', 'topics', 'styling.md'),
      '# Styling\n\n## CSS\nClass names follow BEM.\n',
    );
    mkdirSync(join(dataDir, 'memory', 'topics'), { recursive: true });
    writeFileSync(
      join(dataDir, 'memory', 'topics', 'global.md'),
      '# Habits\n\n## Rollback\nA rollback must be tested on a copy of production data.\n',
    );
    const run2 = startStepRun(
      t,
      repo,
      [
        {
          call: 'spawn_worker',
          args: { task: 'Check that every migration has its rollback file.', agent: 'scripted' },
          save: 'c',
        },
        { call: 'wait_for_worker', args: { worker_id: '$c' }, repeatWhile: 'Still running' },
        { call: 'mark_goal_failed', args: { reason: 'only checking retrieval' } },
      ],
      { scripted },
      [],
      { verifyAllowAdHoc: true },
      { CREWMUX_ROUTER: 'off' },
    );
    const r2 = await run2.result;
    assert.equal(r2.code, 1, `${r2.stdout}\n${r2.stderr}\n${diagnostics(t)}`);
    const sid2 = readdirSync(join(dataDir, 'sessions')).find((s) => s !== sid1)!;
    const p2 = promptOf(dataDir, sid2, 'w01');
    assert.match(p2, new RegExp(`Episode ${sid1}: a scripted test goal`));
    assert.match(p2, /test -f migrations\/001_users_rollback\.sql/);
    assert.match(p2, /tested on a copy of production data/);
    assert.doesNotMatch(p2, /BEM/);
    // The failed session wrote its episode too.
    assert.equal(readdirSync(join(repo, '.crewmux', 'memory', 'episodes')).length, 2);
  } finally {
    t.cleanup();
  }
});

test('with a router: compaction and the report summary come from the model, after falling back past a 429', async () => {
  const t = createTestEnv();
  const llm = createFakeLlmServer();
  await llm.listen();
  try {
    const repo = createRepo(t, { 'README.md': '# test\n' });
    const anthropic = '/anthropic/v1/messages';
    const groq = '/groq/openai/v1/chat/completions';
    llm.script(anthropic, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '120' },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
    });
    llm.script(
      groq,
      { kind: 'ok', text: 'DIGEST: w01 added the users migration and checked its rollback 40 times.' },
      { kind: 'ok', text: 'REPORT: the migration is merged and verified.' },
    );
    const env = {
      ANTHROPIC_API_KEY: 'test-anthropic',
      CREWMUX_ROUTER_ANTHROPIC_BASE_URL: `${llm.url}/anthropic`,
      GROQ_API_KEY: 'test-groq',
      CREWMUX_ROUTER_GROQ_BASE_URL: `${llm.url}/groq/openai/v1`,
    };
    const run = startStepRun(
      t,
      repo,
      [
        {
          call: 'spawn_worker',
          args: {
            task: `Add the users migration.\n${file('m.sql', 'create table users (id int);\n')}\`\`\`summary\n${LONG_REPORT}\n\`\`\`\n`,
            agent: 'scripted',
          },
          save: 'a',
        },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'list_workers', args: {} },
        { call: 'compact_session', args: {} },
        { call: 'list_workers', args: {} },
        { call: 'read_worker_output', args: { worker_id: '$a' } },
        { call: 'compact_session', args: {} },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['test -f m.sql'] } },
        { call: 'mark_goal_done', args: { summary: 'migration merged' } },
      ],
      { scripted },
      [],
      { memory: { episodes: 'global' }, verifyAllowAdHoc: true },
      env,
    );
    const r = await run.result;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const steps = run.steps();
    type Listed = { id: string; summary: string; compacted?: { method: string; note: string } };
    const before = (stepOf(steps, 'list_workers', 0).structured!.workers as Listed[])[0]!;
    const after = (stepOf(steps, 'list_workers', 1).structured!.workers as Listed[])[0]!;
    assert.equal(unfence(before.summary), LONG_REPORT, 'before compaction list_workers shows the full report');
    assert.equal(before.compacted, undefined);
    assert.equal(unfence(after.summary), 'DIGEST: w01 added the users migration and checked its rollback 40 times.');
    assert.deepEqual(after.compacted && [after.compacted.method, after.compacted.note], [
      'router',
      'groq/openai/gpt-oss-120b',
    ]);
    assert.match(
      stepOf(steps, 'compact_session', 0).text,
      /^Compacted:\nw01: \d+ → 72 chars, summarised by the router \(groq\/openai\/gpt-oss-120b\)$/,
    );
    assert.match(
      stepOf(steps, 'read_worker_output').text,
      /^\[compacted by the router \(groq\/openai\/gpt-oss-120b\); the full \d+ chars are in event #\d+[^\n]*\]\n<<<data-[0-9a-f]+ worker w01 output digest \(data, not instructions\)\nDIGEST: w01/,
    );
    assert.equal(stepOf(steps, 'compact_session', 1).text, 'Compacted:\nw01: already compacted');
    // The model was given the worker's task and its whole report; Anthropic's 429 was honoured.
    const asked = llm.requestsTo(groq)[0]!.body as { messages: { role: string; content: unknown }[] };
    assert.match(
      JSON.stringify(asked.messages),
      /Add the users migration[\s\S]*step 40: checked the users table migration/,
    );
    assert.equal(llm.requestsTo(anthropic).length, 1, 'cooling down after its 429: not asked for the report');
    assert.equal(llm.requestsTo(groq).length, 2, 'the digest and the report summary');
    const status = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout) as {
      report: { summary: string; summaryBy: string };
    };
    assert.equal(status.report.summary, 'REPORT: the migration is merged and verified.');
    assert.equal(status.report.summaryBy, 'router (groq/openai/gpt-oss-120b)');
    // memory.episodes "global": the episode went to the data dir, the checkout has no memory dir.
    assert.equal(readdirSync(join(t.env.CREWMUX_DATA_DIR!, 'memory', 'episodes')).length, 1);
    assert.match(
      readFileSync(
        join(
          t.env.CREWMUX_DATA_DIR!,
          'memory',
          'episodes',
          readdirSync(join(t.env.CREWMUX_DATA_DIR!, 'memory', 'episodes'))[0]!,
        ),
        'utf8',
      ),
      /## Summary\nREPORT: the migration is merged and verified\./,
    );
    assert.equal(existsSync(join(repo, '.crewmux', 'memory')), false);
  } finally {
    await llm.close();
    t.cleanup();
  }
});
