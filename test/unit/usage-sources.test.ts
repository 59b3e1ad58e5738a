/**
 * Usage sources of Gemini CLI, Qwen Code, Copilot CLI, OpenCode and Kilo Code: their parsers on text recorded
 * from the pinned CLIs (test/fixtures/usage/, a real run against the fake model server) plus the dedup rules, and
 * the collector finding each agent's own files (or OpenCode's database rows) for its worktree only,
 * incrementally; a Qwen worker over ACP read from what its pane process recorded; and the last resort, Aider's report
 * in its pane (its wording from its source, not a recording).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { gemini } from '../../src/core/agents/profiles/gemini.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { opencode } from '../../src/core/agents/profiles/opencode.js';
import { kilocode } from '../../src/core/agents/profiles/kilocode.js';
import { copilot } from '../../src/core/agents/profiles/copilot.js';
import { aider } from '../../src/core/agents/profiles/aider.js';
import { paneCount } from '../../src/core/usage/pane-usage.js';
import { BUILTIN_AGENTS } from '../../src/core/agents/registry.js';
import { copilotEventsCwd, parseCopilotEvents } from '../../src/core/usage/copilot-events.js';
import { collectUsage } from '../../src/app/usage/collect.js';
import { createUsageFiles, OPENCODE_STEPS } from '../../src/adapters/usage/usage-files.js';
import { geminiChatProjectHash, parseGeminiChat } from '../../src/core/usage/gemini-chat.js';
import { parseQwenChat, qwenChatCwd } from '../../src/core/usage/qwen-chat.js';
import { parseClaudeStatusLines } from '../../src/core/usage/claude-statusline.js';
import { sessionStatus } from '../../src/app/session/status.js';
import { workerDir } from '../../src/app/runtime.js';
import { ACP_USAGE_FILE } from '../../src/core/acp/usage.js';
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

test('Copilot CLI events (1.0.102 recording): one call per session.usage_record, input without the cache; the cwd from session.start', () => {
  const text = fixture('copilot-1.0.102-events.jsonl');
  assert.equal(copilotEventsCwd(lines(text)[0]!), '/work/wt-sources/test-artifacts/lab/copilot/ws');
  assert.equal(copilotEventsCwd(lines(text)[1]!), undefined, 'only session.start names the cwd');
  // What the fake model server reported for the two calls of that run.
  assert.deepEqual(parseCopilotEvents(lines(text)).map(pick), [
    ['fake-model', 12028, 17, 0, 0],
    ['fake-model', 12138, 8, 0, 0],
  ]);
  const record = (id: string, usageId: string) =>
    JSON.stringify({
      type: 'session.usage_record',
      id,
      timestamp: '2026-11-30T08:31:54.905Z',
      data: {
        usage: {
          model: 'claude-sonnet-4.5',
          inputTokens: 1000,
          outputTokens: 20,
          cacheReadTokens: 600,
          cacheWriteTokens: 100,
          cost: 1,
          accounting: { usageId },
        },
      },
    });
  const got = parseCopilotEvents([record('e1', 'u1'), record('e2', 'u1'), 'not json', record('e3', 'u2')]);
  assert.equal(got.length, 2, 'the same usageId twice is one call');
  assert.deepEqual(
    [...pick(got[0]!), got[0]!.cacheWrite, got[0]!.agentCostUsd, got[0]!.ts],
    ['claude-sonnet-4.5', 300, 20, 600, 0, 100, undefined, Date.parse('2026-11-30T08:31:54.905Z')],
    "Copilot's cost is premium requests, not dollars",
  );
});

test("a Copilot agent: the event logs of the agent's worktree in COPILOT_HOME are read incrementally, others' are not", async () => {
  const f = await createFakeRuntime({ lead: copilot, start: Date.now() });
  try {
    const cwd = f.rt.integrationWorktree;
    const home = join(f.dir, 'copilot-home');
    f.rt.baseEnv.COPILOT_HOME = home;
    const start = (owner: string) =>
      JSON.stringify({ type: 'session.start', id: 's', data: { context: { cwd: owner } } }) + '\n';
    const call = (id: string, input: number) =>
      JSON.stringify({
        type: 'session.usage_record',
        id,
        data: { usage: { model: 'm1', inputTokens: input, outputTokens: 3, apiCallId: `call-${id}` } },
      }) + '\n';
    const log = (session: string) => join(home, 'session-state', session, 'events.jsonl');
    mkdirSync(join(home, 'session-state', 'mine'), { recursive: true });
    mkdirSync(join(home, 'session-state', 'other'), { recursive: true });
    writeFileSync(log('mine'), start(cwd) + call('a', 100));
    writeFileSync(log('other'), start('/elsewhere') + call('z', 999));
    const files = createUsageFiles();
    assert.equal(collectUsage(f.rt, files), 1);
    assert.equal(collectUsage(f.rt, files), 0, 'nothing new');
    appendFileSync(log('mine'), call('a', 100) + call('b', 200));
    assert.equal(collectUsage(f.rt, files), 1, 'the copy of a is not a new call');
    assert.deepEqual(
      f.store
        .usage()
        .list(f.rt.sid)
        .map((r) => [r.agent, r.model, r.input, r.output, r.source, r.approximate]),
      [
        ['copilot', 'm1', 100, 3, 'session-files', false],
        ['copilot', 'm1', 200, 3, 'session-files', false],
      ],
    );
  } finally {
    f.cleanup();
  }
});

test('every agent verified end to end names a usage source in its registry entry; the pane only where nothing better exists', () => {
  const verified = BUILTIN_AGENTS.filter((a) => a.verified?.min);
  assert.ok(verified.length >= 7);
  assert.deepEqual(
    verified.filter((a) => !a.usage || a.usage.source === 'none' || a.usage.source === 'pane').map((a) => a.name),
    [],
  );
  for (const a of BUILTIN_AGENTS)
    if (a.usage?.source === 'pane') assert.ok(a.usage.pane?.line, `${a.name}: a pane source needs its report pattern`);
});

test('pane counts as agents print them: 340, 1.2k, 12k, 1.5M, 12,345; anything else is 0', () => {
  assert.deepEqual(
    ['340', '1.2k', '12k', '1.5M', '12,345', '', 'many', undefined].map((t) => paneCount(t)),
    [340, 1200, 12000, 1500000, 12345, 0, 0, 0],
  );
});

test("an Aider worker (no session files): its pane's token reports, approximate, with the model it named, each read once", async () => {
  const f = await createFakeRuntime({ lead: aider, start: Date.now() });
  try {
    const stateDir = join(f.rt.sessionDir, 'lead');
    mkdirSync(stateDir, { recursive: true });
    const log = join(stateDir, 'pane.log');
    // As a terminal records it: colours, carriage returns, CRLF line ends (Aider's wording, base_coder.py).
    writeFileSync(
      log,
      '\u001b[1mAider v0.86.1\u001b[0m\r\nMain model: anthropic/claude-sonnet-4-5 with diff edit format\r\n' +
        '> \r\n\u001b[2mTokens: 12k sent, 1.2k cache write, 3.4k cache hit, 200 received. Cost: $0.05 message, $0.05 session.\u001b[0m\r\n' +
        'Tokens: 8.1k sent, 95 recei',
    );
    const files = createUsageFiles();
    assert.equal(collectUsage(f.rt, files), 1, 'the report still being written waits');
    appendFileSync(log, 'ved.\r\nTokens: 12k sent, 1.2k cache write\r\n');
    assert.equal(collectUsage(f.rt, files), 1, 'a line that is not a whole report is not one');
    assert.equal(collectUsage(f.rt, files), 0, 'nothing new');
    assert.deepEqual(
      f.store
        .usage()
        .list(f.rt.sid)
        .map((r) => [r.model, r.input, r.output, r.cacheRead, r.cacheWrite, r.source, r.approximate]),
      [
        ['anthropic/claude-sonnet-4-5', 10800, 200, 3400, 1200, 'pane', true],
        ['anthropic/claude-sonnet-4-5', 8100, 95, 0, 0, 'pane', true],
      ],
      'sent counts the cache writes; the model named before carries over to the next read',
    );
  } finally {
    f.cleanup();
  }
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

test("a Qwen worker over ACP: its calls are what its pane process recorded (source protocol), not its chat recording's", async () => {
  for (const acp of [true, false]) {
    const f = await createFakeRuntime({ start: Date.now() });
    try {
      f.rt.agents.set('qwen', { profile: { ...qwen, acp: { ...qwen.acp!, workers: acp } }, binary: '/usr/bin/qwen' });
      const cwd = join(f.dir, 'worktrees', 'w01');
      mkdirSync(cwd, { recursive: true });
      f.store.createWorker({
        session_id: f.rt.sid,
        id: 'w01',
        num: 1,
        agent: 'qwen',
        perspective: 'implementer',
        task: 'work',
        state: 'running',
        branch: 'b',
        worktree: cwd,
        pane_id: null,
        window_id: null,
        token: 't',
        nonce: 'n',
        prompt_file: '/p',
        log_file: '/l',
        done_file: '/d',
        pid: null,
        base_commit: 'c0',
      });
      // Its chat recording holds one call, the pane process recorded two (the calls the agent reported over ACP).
      const chats = join(f.rt.userHome, '.qwen', 'projects', 'wt', 'chats');
      mkdirSync(chats, { recursive: true });
      writeFileSync(
        join(chats, 'session-1.jsonl'),
        JSON.stringify({ type: 'user', cwd }) +
          '\n' +
          JSON.stringify({
            uuid: 'a',
            type: 'assistant',
            cwd,
            model: 'fake-model',
            usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 3 },
          }) +
          '\n',
      );
      const recorded = join(workerDir(f.rt, 'w01'), ACP_USAGE_FILE);
      mkdirSync(workerDir(f.rt, 'w01'), { recursive: true });
      const call = (n: number, input: number) =>
        JSON.stringify({
          key: `sess#${n}`,
          model: 'fake-model',
          input,
          output: 3,
          cacheRead: 0,
          cacheWrite: 0,
          reasoning: 0,
          ts: 5,
        }) + '\n';
      writeFileSync(recorded, call(1, 100) + call(2, 200));
      const files = createUsageFiles();
      collectUsage(f.rt, files);
      appendFileSync(recorded, call(2, 200) + '{"key":"sess#3","model":"fake-mo');
      assert.equal(collectUsage(f.rt, files), 0, 'a repeated line and a partial one add nothing');
      const rows = f.store
        .usage()
        .list(f.rt.sid)
        .map((r) => [r.worker, r.model, r.input, r.output, r.source]);
      assert.deepEqual(
        rows,
        acp
          ? [
              ['w01', 'fake-model', 100, 3, 'protocol'],
              ['w01', 'fake-model', 200, 3, 'protocol'],
            ]
          : [['w01', 'fake-model', 100, 3, 'session-files']],
        `acp ${acp}`,
      );
    } finally {
      f.cleanup();
    }
  }
});

/** A database with the tables and indexes crewmux reads, as in OpenCode 1.18.33's (and Kilo Code 7.7.7's) schema, in WAL mode. */
function opencodeDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE session (id text PRIMARY KEY, directory text NOT NULL, time_created integer NOT NULL);
    CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, data text NOT NULL);
    CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
      time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
    CREATE INDEX part_message_id_id_idx ON part (message_id, id);
    CREATE INDEX part_session_idx ON part (session_id)`);
  return db;
}

const opencodeStep = (input: number, cost: number) =>
  JSON.stringify({
    type: 'step-finish',
    cost,
    tokens: { input, output: 4, reasoning: 0, cache: { read: 0, write: 0 } },
  });

for (const [profile, dir, file] of [
  [opencode, 'opencode', 'opencode.db'],
  [kilocode, 'kilo', 'kilo.db'],
] as const) {
  test(`${profile.name} agent (its registry entry): the step-finish parts of its directory's sessions in ${dir}/${file}, read from the last update`, async () => {
    const f = await createFakeRuntime({ lead: profile, start: Date.now() });
    try {
      const dataHome = join(f.dir, 'xdg-data');
      f.rt.baseEnv.XDG_DATA_HOME = dataHome;
      mkdirSync(join(dataHome, dir), { recursive: true });
      const files = createUsageFiles();
      assert.equal(collectUsage(f.rt, files), 0, 'no database yet: nothing, no error');
      const db = opencodeDb(join(dataHome, dir, file));
      const now = Date.now();
      db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_mine', f.rt.integrationWorktree, now);
      db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_other', '/elsewhere', now);
      const msg = JSON.stringify({ role: 'assistant', modelID: 'mystery-model' });
      db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_1', 'ses_mine', msg);
      db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_2', 'ses_other', msg);
      const part = db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)');
      part.run('prt_1', 'msg_1', 'ses_mine', now, now, opencodeStep(100, 0.5));
      part.run('prt_t', 'msg_1', 'ses_mine', now, now, JSON.stringify({ type: 'text', text: 'step-finish' }));
      part.run('prt_x', 'msg_2', 'ses_other', now, now, opencodeStep(999, 1));
      assert.equal(collectUsage(f.rt, files), 1);
      assert.equal(collectUsage(f.rt, files), 0, 'nothing new');
      part.run('prt_2', 'msg_1', 'ses_mine', now + 5, now + 5, opencodeStep(200, 0));
      assert.equal(collectUsage(f.rt, files), 1);
      db.close();
      const rows = f.store.usage().list(f.rt.sid);
      assert.deepEqual(
        rows.map((r) => [r.agent, r.model, r.input, r.output, r.costUsd]),
        [
          [profile.name, 'mystery-model', 100, 4, 0.5],
          [profile.name, 'mystery-model', 200, 4, null],
        ],
        "the agent's own cost where crewmux has no price; none (unknown, never 0) where neither has",
      );
    } finally {
      f.cleanup();
    }
  });
}

test('OpenCode with OPENCODE_DB set: that file (relative to its data dir) is read; `:memory:` leaves nothing to read', async () => {
  const f = await createFakeRuntime({ lead: opencode, start: Date.now() });
  try {
    const dataHome = join(f.dir, 'xdg-data');
    f.rt.baseEnv.XDG_DATA_HOME = dataHome;
    f.rt.baseEnv.OPENCODE_DB = 'mine.db';
    mkdirSync(join(dataHome, 'opencode'), { recursive: true });
    const db = opencodeDb(join(dataHome, 'opencode', 'mine.db'));
    const now = Date.now();
    db.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_mine', f.rt.integrationWorktree, now);
    db.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_1', 'ses_mine', JSON.stringify({ modelID: 'm' }));
    db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(
      'prt_1',
      'msg_1',
      'ses_mine',
      now,
      now,
      opencodeStep(7, 0),
    );
    const files = createUsageFiles();
    f.rt.baseEnv.OPENCODE_DB = ':memory:';
    assert.equal(collectUsage(f.rt, files), 0);
    f.rt.baseEnv.OPENCODE_DB = 'mine.db';
    assert.equal(collectUsage(f.rt, files), 1);
    db.close();
  } finally {
    f.cleanup();
  }
});

test("OpenCode's database read while OpenCode holds it: no lock or snapshot left behind, no checkpoint, the sessions' parts looked up by index", () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-opencode-db-'));
  try {
    const file = join(dir, 'opencode.db');
    // OpenCode's connection: WAL, no automatic checkpoint here, and no waiting (busy is an error at once).
    const oc = opencodeDb(file);
    oc.pragma('wal_autocheckpoint = 0');
    oc.pragma('busy_timeout = 0');
    const now = Date.now();
    oc.prepare('INSERT INTO session VALUES (?, ?, ?)').run('ses_1', '/w', now);
    oc.prepare('INSERT INTO message VALUES (?, ?, ?)').run('msg_1', 'ses_1', '{}');
    const part = oc.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 50; i++) part.run(`prt_${i}`, 'msg_1', 'ses_1', now + i, now + i, opencodeStep(i, 0));
    const dbBytes = statSync(file).size;
    const files = createUsageFiles();
    for (let i = 50; i < 60; i++) {
      assert.equal(files.opencodeSteps(file, '/w', 0, now + i - 1).rows.length, 1);
      // OpenCode writes, and could checkpoint the whole log, the moment crewmux's read returns.
      part.run(`prt_${i}`, 'msg_1', 'ses_1', now + i, now + i, opencodeStep(i, 0));
    }
    assert.equal(statSync(file).size, dbBytes, 'crewmux checkpointed nothing into the database file');
    const [ckpt] = oc.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    assert.equal(ckpt!.busy, 0, 'no reader left holding a snapshot (a TRUNCATE checkpoint needs none)');
    oc.prepare('BEGIN IMMEDIATE').run();
    oc.prepare('COMMIT').run();
    const plan = oc
      .prepare(`EXPLAIN QUERY PLAN ${OPENCODE_STEPS}`)
      .all('/w', '/w', 0, 0)
      .map((r) => (r as { detail: string }).detail);
    assert.ok(
      plan.some((d) => /SEARCH p USING INDEX part_session_idx/.test(d)) && !plan.some((d) => /SCAN p\b/.test(d)),
      `parts by session, not a scan of every part: ${plan.join(' | ')}`,
    );
    oc.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
