/**
 * Usage sources of Gemini CLI, Qwen Code and OpenCode: their parsers on text recorded from the pinned CLIs
 * (test/fixtures/usage/, a real run against the fake model server) plus the dedup rules, and the collector
 * finding each agent's own files (or OpenCode's database rows) for its worktree only, incrementally.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { gemini } from '../../src/core/agents/profiles/gemini.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { opencode } from '../../src/core/agents/profiles/opencode.js';
import { collectUsage } from '../../src/app/usage/collect.js';
import { createUsageFiles } from '../../src/adapters/usage/usage-files.js';
import { geminiChatProjectHash, parseGeminiChat } from '../../src/core/usage/gemini-chat.js';
import { parseQwenChat, qwenChatCwd } from '../../src/core/usage/qwen-chat.js';
import { parseClaudeStatusLines } from '../../src/core/usage/claude-statusline.js';
import { sessionStatus } from '../../src/app/session/status.js';
import { parseOpencodeSteps, type OpencodeStepRow } from '../../src/core/usage/opencode-steps.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/usage/${name}`, import.meta.url).pathname, 'utf8');
const lines = (text: string) => text.split('\n');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const pick = (d: { model: string; input: number; output: number; cacheRead: number; reasoning: number }) => [
  d.model,
  d.input,
  d.output,
  d.cacheRead,
  d.reasoning,
];

test('Gemini chat (0.61.0 recording): one call per message id with its largest counts; cache and thoughts split', () => {
  const text = fixture('gemini-0.61.0-chat.jsonl');
  assert.equal(geminiChatProjectHash(lines(text)[0]!), sha256('/work/wt-sources/test-artifacts/lab/gemini/ws'));
  const recorded = parseGeminiChat(lines(text));
  assert.deepEqual(recorded.map(pick), [['gemini-3.8-flash', 11981, 6, 0, 0]]);
  assert.equal(recorded[0]!.ts, Date.parse('2026-11-30T01:48:34.962Z'));
  const msg = (id: string, tokens: Record<string, number>) =>
    JSON.stringify({ id, type: 'gemini', model: 'gemini-2.5-pro', tokens });
  const more = [
    msg('a', { input: 1000, output: 5, cached: 400, thoughts: 20, tool: 3 }),
    // The same message again (updated with its tool call's result), then inside a `$set`: still one call.
    msg('a', { input: 1000, output: 9, cached: 400, thoughts: 20, tool: 3 }),
    JSON.stringify({ $set: { messages: [JSON.parse(msg('a', { input: 1000, output: 7, cached: 400 }))] } }),
    JSON.stringify({ id: 'u', type: 'user', content: [{ text: 'hi' }] }),
    'not json',
  ];
  assert.deepEqual(parseGeminiChat([...lines(text), ...more]).map(pick), [
    ['gemini-3.8-flash', 11981, 6, 0, 0],
    ['gemini-2.5-pro', 603, 29, 400, 20],
  ]);
});

test("Qwen chat (0.24.4 recording): the assistant lines' usageMetadata, once per uuid; helper telemetry is not a turn", () => {
  const text = fixture('qwen-0.24.4-chat.jsonl');
  assert.equal(qwenChatCwd(lines(text)[0]!), '/work/wt-sources/test-artifacts/lab/qwen/ws');
  // The recording also has two ui_telemetry api_response lines (the turn and the memory extractor): not counted.
  assert.equal(text.match(/qwen-code\.api_response/g)?.length, 2);
  assert.deepEqual(parseQwenChat(lines(text)).map(pick), [['fake-model', 19738, 6, 0, 0]]);
  const line = JSON.stringify({
    uuid: 'x',
    type: 'assistant',
    model: 'qwen3-coder-plus',
    usageMetadata: {
      promptTokenCount: 500,
      candidatesTokenCount: 10,
      thoughtsTokenCount: 4,
      cachedContentTokenCount: 200,
    },
  });
  assert.deepEqual(parseQwenChat([line, line, '{"type":"assistant","uuid":"y"}']).map(pick), [
    ['qwen3-coder-plus', 300, 14, 200, 4],
  ]);
});

test("OpenCode steps (1.18.33 database rows): one call per step-finish part, the message's model, OpenCode's cost kept when > 0", () => {
  const rows = JSON.parse(fixture('opencode-1.18.33-parts.json')) as OpencodeStepRow[];
  assert.equal(rows.length, 4, 'the user text, step-start, text and step-finish parts');
  const recorded = parseOpencodeSteps(rows);
  assert.deepEqual(recorded.map(pick), [['fake-model', 7686, 6, 0, 0]]);
  assert.equal(recorded[0]!.agentCostUsd, undefined, 'a cost of 0 is OpenCode having no price, not a figure');
  const step = {
    id: 'prt_2',
    timeCreated: 5,
    message: JSON.stringify({ role: 'assistant', modelID: 'claude-sonnet-4-5' }),
    data: JSON.stringify({
      type: 'step-finish',
      cost: 0.012,
      tokens: { input: 100, output: 20, reasoning: 8, cache: { read: 50, write: 30 } },
    }),
  };
  const got = parseOpencodeSteps([step, step]);
  assert.equal(got.length, 1);
  assert.deepEqual(
    [...pick(got[0]!), got[0]!.cacheWrite, got[0]!.agentCostUsd, got[0]!.ts],
    ['claude-sonnet-4-5', 100, 28, 50, 8, 30, 0.012, 5],
  );
});

test("Gemini and Qwen agents: the chat recordings of the agent's worktree are read incrementally, others' are not", async () => {
  for (const profile of [gemini, qwen]) {
    const f = await createFakeRuntime({ lead: profile, start: Date.now() });
    try {
      const cwd = f.rt.integrationWorktree;
      const home = f.rt.userHome;
      const isGemini = profile === gemini;
      const dir = (project: string) =>
        isGemini ? join(home, '.gemini', 'tmp', project, 'chats') : join(home, '.qwen', 'projects', project, 'chats');
      const first = (owner: string) =>
        JSON.stringify(isGemini ? { sessionId: 's', projectHash: sha256(owner) } : { type: 'user', cwd: owner }) + '\n';
      const answer = (id: string, input: number) =>
        JSON.stringify(
          isGemini
            ? { id, type: 'gemini', model: 'm1', tokens: { input, output: 3 } }
            : {
                uuid: id,
                type: 'assistant',
                cwd,
                model: 'm1',
                usageMetadata: { promptTokenCount: input, candidatesTokenCount: 3 },
              },
        ) + '\n';
      mkdirSync(dir('mine'), { recursive: true });
      mkdirSync(dir('other'), { recursive: true });
      const file = join(dir('mine'), 'session-1.jsonl');
      writeFileSync(file, first(cwd) + answer('a', 100));
      writeFileSync(join(dir('other'), 'session-2.jsonl'), first('/elsewhere') + answer('z', 999));
      const files = createUsageFiles();
      assert.equal(collectUsage(f.rt, files), 1, profile.name);
      assert.equal(collectUsage(f.rt, files), 0, `${profile.name}: nothing new`);
      appendFileSync(file, answer('a', 100) + answer('b', 200));
      assert.equal(collectUsage(f.rt, files), 1, `${profile.name}: the copy of a is not a new call`);
      assert.deepEqual(
        f.store
          .usage()
          .list(f.rt.sid)
          .map((r) => [r.worker, r.agent, r.model, r.input, r.output, r.source, r.approximate]),
        [
          ['lead', profile.name, 'm1', 100, 3, 'session-files', false],
          ['lead', profile.name, 'm1', 200, 3, 'session-files', false],
        ],
      );
    } finally {
      f.cleanup();
    }
  }
});

test("an OpenCode agent: the step-finish parts of its directory's sessions in OpenCode's database, read from the last update", async () => {
  // The reader is off in OpenCode's registry entry (README#usage); this turns it on.
  const f = await createFakeRuntime({ lead: { ...opencode, usage: { source: 'opencode-db' } }, start: Date.now() });
  try {
    const dataHome = join(f.dir, 'xdg-data');
    f.rt.baseEnv.XDG_DATA_HOME = dataHome;
    mkdirSync(join(dataHome, 'opencode'), { recursive: true });
    const files = createUsageFiles();
    assert.equal(collectUsage(f.rt, files), 0, 'no database yet: nothing, no error');
    const db = new Database(join(dataHome, 'opencode', 'opencode.db'));
    // The columns crewmux reads, as in OpenCode 1.18.33's schema.
    db.exec(`CREATE TABLE session (id text PRIMARY KEY, directory text NOT NULL, time_created integer NOT NULL);
      CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, data text NOT NULL);
      CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
        time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)`);
    db.pragma('journal_mode = WAL');
    const now = Date.now();
    db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_mine', f.rt.integrationWorktree, now);
    db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_other', '/elsewhere', now);
    const msg = JSON.stringify({ role: 'assistant', modelID: 'mystery-model' });
    db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_1', 'ses_mine', msg);
    db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_2', 'ses_other', msg);
    const step = (input: number, cost: number) =>
      JSON.stringify({
        type: 'step-finish',
        cost,
        tokens: { input, output: 4, reasoning: 0, cache: { read: 0, write: 0 } },
      });
    const part = db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)');
    part.run('prt_1', 'msg_1', 'ses_mine', now, now, step(100, 0.5));
    part.run('prt_t', 'msg_1', 'ses_mine', now, now, JSON.stringify({ type: 'text', text: 'step-finish' }));
    part.run('prt_x', 'msg_2', 'ses_other', now, now, step(999, 1));
    assert.equal(collectUsage(f.rt, files), 1);
    assert.equal(collectUsage(f.rt, files), 0, 'nothing new');
    part.run('prt_2', 'msg_1', 'ses_mine', now + 5, now + 5, step(200, 0));
    assert.equal(collectUsage(f.rt, files), 1);
    db.close();
    const rows = f.store.usage().list(f.rt.sid);
    assert.deepEqual(
      rows.map((r) => [r.agent, r.model, r.input, r.output, r.costUsd]),
      [
        ['opencode', 'mystery-model', 100, 4, 0.5],
        ['opencode', 'mystery-model', 200, 4, null],
      ],
      "OpenCode's own cost where crewmux has no price; none (unknown, never 0) where neither has",
    );
  } finally {
    f.cleanup();
  }
});

test("Claude's status line: crewmux's recorder appends cost and rate limits (0600, no repeats); the collector shows the quota", async () => {
  const f = await createFakeRuntime({ lead: claude, start: Date.now() });
  try {
    const stateDir = join(f.rt.sessionDir, 'lead');
    mkdirSync(stateDir, { recursive: true });
    // Installed for workers only (a lead's typed prompt is confirmed by its screen, which the footer would change).
    const spec = claude.launch(
      {
        role: 'worker',
        sessionId: f.rt.sid,
        cwd: f.rt.integrationWorktree,
        mcpUrl: 'http://127.0.0.1:1/mcp',
        mcpToken: 'secret-token',
        mcpConfigPath: join(stateDir, 'mcp.json'),
        promptFile: join(stateDir, 'prompt.md'),
        stateDir,
        toolTimeoutS: 50,
        nodePath: process.execPath,
      },
      'claude',
    );
    const settings = JSON.parse(spec.files!.find((x) => x.path.endsWith('claude-crewmux-settings.json'))!.content) as {
      statusLine: { type: string; command: string };
    };
    assert.equal(settings.statusLine.type, 'command');
    assert.doesNotMatch(settings.statusLine.command, /secret-token/);
    // Run the command as Claude Code would: through a shell, the status JSON on stdin.
    const status = (pct: number, cost: number) =>
      JSON.stringify({
        session_id: 'c1',
        model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' },
        cost: { total_cost_usd: cost },
        rate_limits: {
          five_hour: { used_percentage: pct, resets_at: 1_900_000_000 },
          seven_day: { used_percentage: 3 },
        },
      });
    const run = (input: string) =>
      execFileSync('/bin/sh', ['-c', settings.statusLine.command], { input, encoding: 'utf8' });
    assert.equal(run(status(12, 0.5)), 'crewmux · Sonnet 4.5\n');
    run(status(12, 0.5));
    run('not json');
    const file = join(stateDir, 'claude-statusline.jsonl');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(file, 'utf8').split('\n').filter(Boolean).length,
      1,
      'an unchanged status is not repeated',
    );
    const files = createUsageFiles();
    collectUsage(f.rt, files);
    assert.equal(
      sessionStatus(f.store, f.rt.sid).usage.quota,
      'quota: lead (claude) five_hour 12% of 300 min, seven_day 3% of 10080 min',
    );
    run(status(47, 1.25));
    collectUsage(f.rt, files);
    const limits = f.store.usage().limits(f.rt.sid);
    assert.deepEqual(
      limits.map((l) => [l.worker, l.window, l.usedPercent, l.resetsAt ?? null]),
      [
        ['lead', 'five_hour', 47, 1_900_000_000_000],
        ['lead', 'seven_day', 3, null],
      ],
    );
    assert.deepEqual(parseClaudeStatusLines(readFileSync(file, 'utf8').split('\n')).costs, { c1: 1.25 });
  } finally {
    f.cleanup();
  }
});
