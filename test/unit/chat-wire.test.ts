/** The router's tool-using conversation on each wire: requests carry tools and history; replies parse to calls and usage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChatRequest, parseChatReply } from '../../src/core/llm/chat-wire.js';
import { PROVIDERS } from '../../src/core/llm/router-providers.js';
import type { ChatInput } from '../../src/core/llm/chat.js';
import { parseApiLeadName } from '../../src/core/api-lead/lead-spec.js';
import { foldCall, summarizeResult } from '../../src/core/api-lead/transcript.js';

const input: ChatInput = {
  system: 'be the lead',
  maxTokens: 100,
  tools: [
    {
      name: 'spawn_worker',
      description: 'spawn',
      schema: { type: 'object', properties: { task: { type: 'string' } } },
    },
  ],
  messages: [
    { role: 'user', text: 'goal' },
    { role: 'assistant', text: 'ok', calls: [{ id: 'c1', name: 'spawn_worker', args: { task: 't' } }] },
    { role: 'tool', results: [{ id: 'c1', name: 'spawn_worker', text: 'w01 started', isError: false }] },
    { role: 'user', text: 'typed by the user' },
  ],
};
const target = (p: keyof typeof PROVIDERS) => ({ spec: PROVIDERS[p], baseUrl: 'http://x', model: 'm', key: 'k' });

test('anthropic: tool_use and tool_result blocks, consecutive user turns merged, cache breakpoints', () => {
  const r = buildChatRequest(target('anthropic'), input);
  const body = r.body as {
    messages: { role: string; content: Record<string, unknown>[] }[];
    tools: Record<string, unknown>[];
  };
  assert.equal(r.url, 'http://x/v1/messages');
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ['user', 'assistant', 'user'],
  );
  assert.deepEqual(body.messages[1]!.content[1], {
    type: 'tool_use',
    id: 'c1',
    name: 'spawn_worker',
    input: { task: 't' },
  });
  assert.deepEqual(
    body.messages[2]!.content.map((c) => c.type),
    ['tool_result', 'text'],
  );
  assert.deepEqual(body.messages[2]!.content[1]!.cache_control, { type: 'ephemeral' });
  assert.deepEqual(body.tools[0]!.input_schema, input.tools[0]!.schema);
  const reply = parseChatReply(
    'anthropic',
    JSON.stringify({
      model: 'm1',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'tool_use', id: 't1', name: 'verify', input: {} },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 3, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
    }),
  );
  assert.deepEqual(reply.calls, [{ id: 't1', name: 'verify', args: {} }]);
  assert.deepEqual(reply.usage, { input: 5, output: 3, cacheRead: 100, cacheWrite: 7, reasoning: 0 });
});

test('openai chat: tool_calls with JSON arguments, tool messages, malformed arguments kept as an error', () => {
  const r = buildChatRequest(target('groq'), input);
  const body = r.body as { messages: Record<string, unknown>[]; stream: boolean };
  assert.equal(body.stream, false);
  assert.deepEqual(
    body.messages.map((m) => m.role),
    ['system', 'user', 'assistant', 'tool', 'user'],
  );
  assert.equal(
    (body.messages[2]!.tool_calls as { function: { arguments: string } }[])[0]!.function.arguments,
    '{"task":"t"}',
  );
  const reply = parseChatReply(
    'openai-chat',
    JSON.stringify({
      choices: [
        {
          message: { content: null, tool_calls: [{ id: 'a', function: { name: 'spawn_worker', arguments: '{oops' } }] },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 40 } },
    }),
  );
  assert.equal(reply.calls[0]!.name, 'spawn_worker');
  assert.match(reply.calls[0]!.argsError ?? '', /not a JSON object/);
  assert.deepEqual(reply.usage, { input: 10, output: 4, cacheRead: 40, cacheWrite: 0, reasoning: 0 });
});

test('gemini: functionCall and functionResponse parts, parametersJsonSchema, usage without cached tokens', () => {
  const r = buildChatRequest(target('gemini'), input);
  const body = r.body as {
    contents: { role: string; parts: Record<string, unknown>[] }[];
    tools: { functionDeclarations: Record<string, unknown>[] }[];
  };
  assert.match(r.url, /\/v1beta\/models\/m:generateContent$/);
  assert.deepEqual(
    body.contents.map((c) => c.role),
    ['user', 'model', 'user', 'user'],
  );
  assert.deepEqual(body.contents[2]!.parts[0], {
    functionResponse: { id: 'c1', name: 'spawn_worker', response: { output: 'w01 started' } },
  });
  assert.deepEqual(body.tools[0]!.functionDeclarations[0]!.parametersJsonSchema, input.tools[0]!.schema);
  const reply = parseChatReply(
    'gemini',
    JSON.stringify({
      candidates: [
        { content: { parts: [{ text: 'thinking', thought: true }, { functionCall: { name: 'verify', args: {} } }] } },
      ],
      usageMetadata: {
        promptTokenCount: 30,
        candidatesTokenCount: 2,
        cachedContentTokenCount: 10,
        thoughtsTokenCount: 5,
      },
    }),
  );
  assert.equal(reply.text, '');
  assert.equal(reply.calls[0]!.name, 'verify');
  assert.ok(reply.calls[0]!.id.startsWith('call_'));
  assert.deepEqual(reply.usage, { input: 20, output: 2, cacheRead: 10, cacheWrite: 0, reasoning: 5 });
  assert.throws(() => parseChatReply('gemini', JSON.stringify({ candidates: [] })), /empty answer/);
});

test('the lead name: api, api:PROVIDER, api:PROVIDER/MODEL; an unknown provider is an error naming the accepted ones', () => {
  assert.deepEqual(parseApiLeadName('api'), {});
  assert.deepEqual(parseApiLeadName('api:gemini'), { provider: 'gemini' });
  assert.deepEqual(parseApiLeadName('api:openrouter/anthropic/claude-x'), {
    provider: 'openrouter',
    model: 'anthropic/claude-x',
  });
  assert.match(
    (parseApiLeadName('api:nosuch') as { error: string }).error,
    /unknown provider "nosuch".*anthropic, cerebras/,
  );
  assert.match((parseApiLeadName('api:groq/a b') as { error: string }).error, /must be a model id/);
});

test('the transcript folds a call to one line and summarizes a result', () => {
  assert.equal(
    foldCall({ id: '1', name: 'spawn_worker', args: { task: 'a\nb', n: 2 } }),
    '→ spawn_worker task="a\\nb" n=2',
  );
  assert.equal(summarizeResult('\nw01 started\nmore', false), '  ← ok: w01 started');
  assert.match(summarizeResult('x'.repeat(20_000), true), /^ {2}← error: x+… \(20 KB\)$/);
});
