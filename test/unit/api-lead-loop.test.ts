/**
 * The API lead's loop on fakes of its ports: decisions, refusals, malformed calls, nudges, typed lines, resume,
 * cooldowns, compaction near the context window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConversation } from '../../src/adapters/api-lead/conversation-store.js';
import { compactionCut, estimateTokens, truncationSummary } from '../../src/core/api-lead/compaction.js';
import { runApiLead, cooldownWait, INTERRUPTED_RESULT, type ApiLeadDeps } from '../../src/app/api-lead/loop.js';
import { RouterUnavailableError, type ChatRouterReply, type ChatRouterRequest } from '../../src/app/llm/router.js';
import { NO_USAGE, type ChatCall, type ChatMessage } from '../../src/core/llm/chat.js';
import { RESUME_NOTE, UNDECIDED_NUDGE } from '../../src/core/api-lead/system-prompt.js';

type Turn = { text?: string; calls?: Omit<ChatCall, 'id'>[] } | 'unavailable' | 'no-key';

/**
 * A stateful fake of the loop's ports: the model answers `turns` in order (each reply reports `promptTokens`
 * and a `contextTokens` window); tools answer from `answers`; the conversation log keeps every row and its
 * compactions like the SQLite one; complete() answers `summary` (or fails when it is undefined).
 */
function fakeLead(
  turns: Turn[],
  answers: Record<string, { text: string; isError?: boolean }[]> = {},
  opts: { contextTokens?: number; promptTokens?: (req: ChatRouterRequest) => number; summary?: string } = {},
) {
  const log: ChatMessage[] = [];
  const rows: ({ compaction: ChatMessage[] } | ChatMessage)[] = [];
  const summaries: string[] = [];
  const lines: string[] = [];
  const requests: ChatRouterRequest[] = [];
  const toolCalls: { name: string; args: Record<string, unknown> }[] = [];
  const typedQueue: string[][] = [];
  const sleeps: number[] = [];
  let n = 0;
  const deps: ApiLeadDeps = {
    tools: {
      list: () =>
        Promise.resolve([
          {
            name: 'spawn_worker',
            description: 'spawn',
            inputSchema: { type: 'object', properties: { task: { type: 'string' } } },
          },
          { name: 'mark_goal_done', inputSchema: { $schema: 'x', type: 'object' } },
          ...(opts.contextTokens
            ? [
                { name: 'list_workers', inputSchema: { type: 'object' } },
                {
                  name: 'report_progress',
                  inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
                },
              ]
            : []),
        ]),
      call(name, args) {
        toolCalls.push({ name, args });
        const a = answers[name]?.shift() ?? { text: `${name} ok` };
        return Promise.resolve({ text: a.text, isError: Boolean(a.isError) });
      },
    },
    model: {
      chat(req) {
        requests.push({ ...req, messages: [...req.messages] });
        const t = turns[n++];
        if (t === undefined) throw new Error('the model was asked more often than scripted');
        if (t === 'unavailable')
          return Promise.reject(
            new RouterUnavailableError('No LLM provider answered', [{ provider: 'anthropic', error: '429' }]),
          );
        if (t === 'no-key') return Promise.reject(new RouterUnavailableError('No LLM provider has a key'));
        const reply: ChatRouterReply = {
          text: t.text ?? '',
          calls: (t.calls ?? []).map((c, i) => ({ id: `c${n}-${i}`, ...c })),
          usage: { ...NO_USAGE, input: opts.promptTokens?.(req) ?? 10, output: 2 },
          provider: 'anthropic',
          model: 'm',
          contextTokens: opts.contextTokens ?? 200_000,
        };
        return Promise.resolve(reply);
      },
      complete(req) {
        summaries.push(req.prompt);
        if (opts.summary === undefined) return Promise.reject(new Error('No LLM provider answered'));
        return Promise.resolve({ text: opts.summary, provider: 'anthropic', model: 'haiku' });
      },
      status: () => [],
    },
    conversation: {
      load: () => [...log],
      append: (m) => {
        rows.push(m);
        log.push(m);
      },
      compact: (ms) => {
        rows.push({ compaction: ms });
        log.splice(0, log.length, ...ms);
      },
    },
    say: (l) => lines.push(l),
    typed: () => typedQueue.shift() ?? [],
    onReply: () => undefined,
    costOf: () => 0.001,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => 1_000_000,
  };
  return { deps, log, rows, lines, requests, toolCalls, typedQueue, sleeps, summaries };
}

const input = { system: 'sys', prompt: '# You are the lead\n## Goal\nship it', spec: {} };

test('the loop runs the calls, sends each result back, and ends when mark_goal_done is accepted', async () => {
  const f = fakeLead(
    [
      { text: 'Spawning.', calls: [{ name: 'spawn_worker', args: { task: 'x' } }] },
      { calls: [{ name: 'mark_goal_done', args: {} }] },
    ],
    { spawn_worker: [{ text: 'Started worker w01' }], mark_goal_done: [{ text: 'Goal marked done.' }] },
  );
  const out = await runApiLead(f.deps, input);
  assert.deepEqual(out, { kind: 'decided', tool: 'mark_goal_done', text: 'Goal marked done.' });
  assert.deepEqual(
    f.toolCalls.map((c) => c.name),
    ['spawn_worker', 'mark_goal_done'],
  );
  assert.deepEqual(f.log[0], { role: 'user', text: input.prompt });
  const second = f.requests[1]!.messages.at(-1)!;
  assert.deepEqual(second, {
    role: 'tool',
    results: [{ id: 'c1-0', name: 'spawn_worker', text: 'Started worker w01', isError: false }],
  });
  // The MCP schemas became function tools, without $schema.
  assert.deepEqual(
    f.requests[0]!.tools.map((t) => t.name),
    ['spawn_worker', 'mark_goal_done'],
  );
  assert.equal(JSON.stringify(f.requests[0]!.tools).includes('$schema'), false);
  assert.ok(
    f.lines.some((l) => l.startsWith('→ spawn_worker task="x"')),
    f.lines.join('\n'),
  );
});

test('a refused mark_goal_done goes back to the model and does not end the loop', async () => {
  const f = fakeLead(
    [{ calls: [{ name: 'mark_goal_done', args: {} }] }, { calls: [{ name: 'mark_goal_done', args: {} }] }],
    { mark_goal_done: [{ text: 'Error: workers still running', isError: true }, { text: 'done' }] },
  );
  const out = await runApiLead(f.deps, input);
  assert.equal(out.kind, 'decided');
  assert.equal(f.requests.length, 2);
  const results = f.requests[1]!.messages.at(-1) as Extract<ChatMessage, { role: 'tool' }>;
  assert.equal(results.results[0]!.isError, true);
});

test('a malformed tool call is answered with an error result instead of being run', async () => {
  const f = fakeLead([
    { calls: [{ name: 'spawn_worker', args: {}, argsError: 'the arguments are not a JSON object: {oops' }] },
    { calls: [{ name: 'mark_goal_failed', args: { reason: 'r' } }] },
  ]);
  const out = await runApiLead(f.deps, input);
  assert.deepEqual(
    f.toolCalls.map((c) => c.name),
    ['mark_goal_failed'],
  );
  assert.equal(out.kind, 'decided');
  const results = f.requests[1]!.messages.at(-1) as Extract<ChatMessage, { role: 'tool' }>;
  assert.match(results.results[0]!.text, /^Error: the arguments are not a JSON object/);
});

test('a turn without a decision is nudged, and after the nudges the loop reports undecided', async () => {
  const f = fakeLead([{ text: 'I think we are done.' }, { text: 'Really done.' }, { text: 'Done!' }]);
  const out = await runApiLead(f.deps, input);
  assert.equal(out.kind, 'undecided');
  assert.equal(f.requests.length, 3);
  assert.deepEqual(f.requests[1]!.messages.at(-1), { role: 'user', text: UNDECIDED_NUDGE });
});

test('lines typed into the pane reach the model as user messages at the next turn', async () => {
  const f = fakeLead([
    { calls: [{ name: 'spawn_worker', args: {} }] },
    { calls: [{ name: 'mark_goal_done', args: {} }] },
  ]);
  f.typedQueue.push([], ['use codex for the parser']);
  await runApiLead(f.deps, input);
  assert.deepEqual(f.requests[1]!.messages.at(-1), { role: 'user', text: 'use codex for the parser' });
  assert.ok(f.lines.includes('you: use codex for the parser'));
});

test('a resumed lead continues the stored conversation with a note instead of the prompt again', async () => {
  const f = fakeLead([{ calls: [{ name: 'mark_goal_done', args: {} }] }]);
  f.log.push({ role: 'user', text: input.prompt }, { role: 'assistant', text: 'earlier', calls: [] });
  await runApiLead(f.deps, input);
  const sent = f.requests[0]!.messages;
  assert.deepEqual(sent.slice(0, 3), [
    { role: 'user', text: input.prompt },
    { role: 'assistant', text: 'earlier', calls: [] },
    { role: 'user', text: RESUME_NOTE },
  ]);
});

test('when every provider fails the loop waits and tries again; with no provider at all it stops', async () => {
  const f = fakeLead(['unavailable', { calls: [{ name: 'mark_goal_done', args: {} }] }]);
  const out = await runApiLead(f.deps, input);
  assert.equal(out.kind, 'decided');
  assert.equal(f.sleeps.length, 1);
  const g = fakeLead(['no-key']);
  assert.equal((await runApiLead(g.deps, input)).kind, 'no-provider');
  assert.equal(cooldownWait([{ configured: true, coolingUntil: 1_060_000 } as never], 1_000_000, 300_000), 60_000);
  assert.equal(cooldownWait([], 0, 300_000), 30_000);
  assert.equal(cooldownWait([{ configured: true, coolingUntil: 1 } as never], 0, 300_000), 5_000);
});

/** Every tool result in `messages` follows the assistant message that made its calls (the wire formats need the pairs). */
function assertPaired(messages: readonly ChatMessage[]) {
  messages.forEach((m, i) => {
    if (m.role !== 'tool') return;
    const prev = messages[i - 1];
    assert.ok(prev?.role === 'assistant', `tool result at ${i} has no call before it`);
    assert.deepEqual(
      m.results.map((r) => r.id),
      prev.calls.map((c) => c.id),
    );
  });
}

const spawnTurns = (k: number): Turn[] =>
  Array.from({ length: k }, (_, i) => ({
    text: `Step ${i}.`,
    calls: [{ name: 'spawn_worker', args: { task: `t${i}` } }],
  }));

test('a conversation over the context limit is compacted, keeps the goal and the pairs, and the loop goes on to done', async () => {
  // Each reply reports 500 prompt tokens a message; the window is 5 000: past 4 000 the loop compacts.
  const f = fakeLead(
    [...spawnTurns(6), { calls: [{ name: 'mark_goal_done', args: {} }] }],
    { list_workers: [{ text: 'w01 running: t0\nw02 done: t1' }], mark_goal_done: [{ text: 'Goal marked done.' }] },
    { contextTokens: 5_000, promptTokens: (r) => r.messages.length * 500, summary: '- spawned w01..w04 for t0..t3' },
  );
  const out = await runApiLead(f.deps, input);
  assert.equal(out.kind, 'decided');
  const compactions = f.rows.filter((r) => 'compaction' in r);
  assert.equal(compactions.length, 1, f.lines.join('\n'));
  // The request after the compaction: the goal first, then the summary with the workers' state, then the last turns.
  const i = f.requests.findIndex((r) =>
    /crewmux compacted/.test((r.messages[1] as { text?: string } | undefined)?.text ?? ''),
  );
  assert.ok(i > 0, 'a request after the compaction');
  const sent = f.requests[i]!.messages;
  assert.deepEqual(sent[0], { role: 'user', text: input.prompt });
  const summary = (sent[1] as { text: string }).text;
  assert.match(summary, /crewmux compacted this conversation/);
  assert.match(summary, /spawned w01\.\.w04/);
  assert.match(summary, /anthropic\/haiku/);
  assert.match(summary, /w02 done: t1/);
  assert.equal(sent[2]!.role, 'assistant');
  for (const r of f.requests) assertPaired(r.messages);
  // The summarizer saw the older turns; the user saw a line; the session got a lead note.
  assert.match(f.summaries[0]!, /call spawn_worker \{"task":"t0"\}/);
  assert.ok(
    f.lines.some((l) => /conversation was compacted: \d+ earlier messages/.test(l)),
    f.lines.join('\n'),
  );
  const note = f.toolCalls.find((c) => c.name === 'report_progress');
  assert.match(String(note?.args.message), /compacted/);
  // The old rows stay; the log now starts from the compaction.
  assert.ok(f.rows.length > f.log.length);
  assert.deepEqual(f.log[0], { role: 'user', text: input.prompt });
});

test('without a router answer the compaction is a plain truncation that keeps each call and its first result line', async () => {
  const f = fakeLead(
    [...spawnTurns(5), { calls: [{ name: 'mark_goal_done', args: {} }] }],
    { spawn_worker: [{ text: 'Started worker w01\nmore detail' }] },
    { contextTokens: 4_000, promptTokens: (r) => r.messages.length * 500 },
  );
  assert.equal((await runApiLead(f.deps, input)).kind, 'decided');
  const c = f.rows.find((r) => 'compaction' in r) as { compaction: ChatMessage[] };
  const text = (c.compaction[1] as { text: string }).text;
  assert.match(text, /plain truncation: No LLM provider answered/);
  assert.match(text, /called spawn_worker task="t0"/);
  assert.match(text, /spawn_worker answered: Started worker w01/);
  assert.doesNotMatch(text, /more detail/);
});

test('the estimate adds the newer messages to the last reported prompt, and the cut never splits a call from its result', () => {
  const m: ChatMessage[] = [
    { role: 'user', text: 'goal' },
    { role: 'assistant', text: 'a', calls: [{ id: '1', name: 'x', args: {} }] },
    { role: 'tool', results: [{ id: '1', name: 'x', text: 'r', isError: false }] },
    { role: 'assistant', text: 'b', calls: [{ id: '2', name: 'x', args: {} }] },
    { role: 'tool', results: [{ id: '2', name: 'x', text: 'r', isError: false }] },
    { role: 'user', text: 'typed' },
    { role: 'assistant', text: 'c', calls: [{ id: '3', name: 'x', args: {} }] },
    { role: 'tool', results: [{ id: '3', name: 'x', text: 'r', isError: false }] },
  ];
  assert.equal(estimateTokens('s', [], m, { tokens: 1000, count: 8 }), 1000);
  assert.equal(
    estimateTokens('s', [], m, { tokens: 1000, count: 7 }),
    1000 + Math.ceil(JSON.stringify((m[7] as { results: unknown }).results).length / 4),
  );
  assert.ok(estimateTokens('s', [], m) > 0);
  // 4 from the end is index 4 (a tool result): moved back to its call at 3.
  assert.equal(compactionCut(m), 3);
  assert.equal(compactionCut(m.slice(0, 3)), undefined);
  assert.match(truncationSummary(m), /called x/);
});

test('the SQLite conversation log loads from the last compaction and keeps the older rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-conv-'));
  try {
    const file = join(dir, 'conversation.db');
    const log = openConversation(file);
    log.append({ role: 'user', text: 'goal' });
    log.append({ role: 'assistant', text: 'old', calls: [] });
    log.compact([
      { role: 'user', text: 'goal' },
      { role: 'user', text: 'summary' },
    ]);
    log.append({ role: 'assistant', text: 'new', calls: [] });
    log.close();
    const again = openConversation(file);
    assert.deepEqual(again.load(), [
      { role: 'user', text: 'goal' },
      { role: 'user', text: 'summary' },
      { role: 'assistant', text: 'new', calls: [] },
    ]);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lead that loses the tool server stops, and resumed it answers the unanswered call as interrupted', async () => {
  const f = fakeLead([{ calls: [{ name: 'spawn_worker', args: { task: 'x' } }] }]);
  f.deps.tools.call = () => Promise.reject(new Error('fetch failed'));
  const out = await runApiLead(f.deps, input);
  assert.equal(out.kind, 'tool-server-lost');
  assert.equal(f.log.at(-1)!.role, 'assistant');
  // Resumed: the stored call gets its result before the note, so the wire's pairs hold.
  const g = fakeLead([{ calls: [{ name: 'mark_goal_done', args: {} }] }]);
  g.log.push(...f.log);
  assert.equal((await runApiLead(g.deps, input)).kind, 'decided');
  const sent = g.requests[0]!.messages;
  assert.deepEqual(sent.slice(2), [
    { role: 'tool', results: [{ id: 'c1-0', name: 'spawn_worker', text: INTERRUPTED_RESULT, isError: true }] },
    { role: 'user', text: RESUME_NOTE },
  ]);
  assertPaired(sent);
});
