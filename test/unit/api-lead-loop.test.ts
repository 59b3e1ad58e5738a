/** The API lead's loop on fakes of its ports: decisions, refusals, malformed calls, nudges, typed lines, resume, cooldowns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApiLead, cooldownWait, type ApiLeadDeps } from '../../src/app/api-lead/loop.js';
import { RouterUnavailableError, type ChatRouterReply, type ChatRouterRequest } from '../../src/app/llm/router.js';
import { NO_USAGE, type ChatCall, type ChatMessage } from '../../src/core/llm/chat.js';
import { RESUME_NOTE, UNDECIDED_NUDGE } from '../../src/core/api-lead/system-prompt.js';

type Turn = { text?: string; calls?: Omit<ChatCall, 'id'>[] } | 'unavailable' | 'no-key';

/** A stateful fake of the loop's ports: the model answers `turns` in order; tools answer from `answers`. */
function fakeLead(turns: Turn[], answers: Record<string, { text: string; isError?: boolean }[]> = {}) {
  const log: ChatMessage[] = [];
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
          usage: { ...NO_USAGE, input: 10, output: 2 },
          provider: 'anthropic',
          model: 'm',
        };
        return Promise.resolve(reply);
      },
      status: () => [],
    },
    conversation: { load: () => [...log], append: (m) => log.push(m) },
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
  return { deps, log, lines, requests, toolCalls, typedQueue, sleeps };
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
