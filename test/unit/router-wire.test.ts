/** The router's wire formats: exact request shapes (the contract with each API) and response parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRequest, parseReply, InvalidReplyError } from '../../src/core/llm/router-wire.js';
import { PROVIDERS } from '../../src/core/llm/router-providers.js';

const input = { system: 'SYS', prompt: 'PROMPT', maxTokens: 100 };

test('anthropic: /v1/messages, x-api-key + anthropic-version, system block with cache_control', () => {
  const r = buildRequest(
    { spec: PROVIDERS.anthropic, baseUrl: 'https://a.example', model: 'claude-haiku-4-5', key: 'k' },
    input,
  );
  assert.equal(r.url, 'https://a.example/v1/messages');
  assert.equal(r.headers['x-api-key'], 'k');
  assert.equal(r.headers['anthropic-version'], '2023-06-01');
  assert.deepEqual(r.body, {
    model: 'claude-haiku-4-5',
    max_tokens: 100,
    system: [{ type: 'text', text: 'SYS', cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'PROMPT' }],
  });
  assert.equal(
    'system' in
      buildRequest({ spec: PROVIDERS.anthropic, baseUrl: 'x', model: 'm', key: 'k' }, { ...input, system: '' }).body,
    false,
    'an empty system block is rejected by the API',
  );
});

test('openai-chat: Bearer, the provider-specific max tokens field, extras only with the default model, cache_control only for OpenRouter', () => {
  const groq = buildRequest(
    { spec: PROVIDERS.groq, baseUrl: 'https://g.example/openai/v1', model: PROVIDERS.groq.model, key: 'k' },
    input,
  );
  assert.equal(groq.url, 'https://g.example/openai/v1/chat/completions');
  assert.equal(groq.headers.authorization, 'Bearer k');
  assert.deepEqual(groq.body, {
    reasoning_effort: 'low',
    model: 'openai/gpt-oss-120b',
    max_completion_tokens: 100,
    messages: [
      { role: 'system', content: 'SYS' },
      { role: 'user', content: 'PROMPT' },
    ],
  });
  const other = buildRequest({ spec: PROVIDERS.groq, baseUrl: 'x', model: 'qwen/qwen3-32b', key: 'k' }, input);
  assert.equal('reasoning_effort' in other.body, false);
  const or = buildRequest(
    { spec: PROVIDERS.openrouter, baseUrl: 'https://o.example/api/v1', model: 'm', key: 'k' },
    input,
  );
  assert.equal(or.headers['X-Title'], 'crewmux');
  assert.deepEqual(or.body, {
    model: 'm',
    max_tokens: 100,
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'SYS', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: 'PROMPT' },
    ],
  });
});

test('gemini: :generateContent under v1beta, x-goog-api-key, systemInstruction first', () => {
  const r = buildRequest(
    { spec: PROVIDERS.gemini, baseUrl: 'https://gl.example', model: 'models/gemini-x', key: 'k' },
    input,
  );
  assert.equal(r.url, 'https://gl.example/v1beta/models/gemini-x:generateContent');
  assert.equal(r.headers['x-goog-api-key'], 'k');
  assert.equal(r.headers.authorization, undefined);
  assert.deepEqual(r.body, {
    systemInstruction: { parts: [{ text: 'SYS' }] },
    contents: [{ role: 'user', parts: [{ text: 'PROMPT' }] }],
    generationConfig: { maxOutputTokens: 100 },
  });
});

test('parseReply reads text, model and cached tokens; cachedTokens absent when not reported', () => {
  assert.deepEqual(
    parseReply(
      'anthropic',
      JSON.stringify({
        model: 'c',
        content: [{ type: 'thinking' }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' }],
        usage: { cache_read_input_tokens: 7 },
      }),
    ),
    { text: 'ab', model: 'c', cachedTokens: 7 },
  );
  assert.deepEqual(
    parseReply(
      'openai-chat',
      JSON.stringify({ choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 3 } }),
    ),
    { text: 'hi' },
  );
  assert.deepEqual(
    parseReply(
      'openai-chat',
      JSON.stringify({
        model: 'm',
        choices: [{ message: { content: 'hi' } }],
        usage: { prompt_tokens_details: { cached_tokens: 0 } },
      }),
    ),
    { text: 'hi', model: 'm', cachedTokens: 0 },
  );
  assert.deepEqual(
    parseReply(
      'gemini',
      JSON.stringify({
        candidates: [{ content: { parts: [{ text: 'thinking...', thought: true }, { text: 'sum' }] } }],
        usageMetadata: { cachedContentTokenCount: 12 },
        modelVersion: 'g',
      }),
    ),
    { text: 'sum', model: 'g', cachedTokens: 12 },
  );
});

test('parseReply rejects non-JSON, wrong shapes and empty answers with InvalidReplyError', () => {
  const bad: [Parameters<typeof parseReply>[0], string, RegExp][] = [
    ['anthropic', '<html>busy</html>', /not JSON/],
    ['anthropic', '{"content":"x"}', /content/],
    ['openai-chat', '{"choices":[]}', /choices/],
    ['openai-chat', '{"choices":[{"message":{"content":null},"finish_reason":"length"}]}', /empty answer \(length\)/],
    ['gemini', '{"promptFeedback":{"blockReason":"SAFETY"}}', /empty answer \(SAFETY\)/],
  ];
  for (const [wire, raw, re] of bad)
    assert.throws(
      () => parseReply(wire, raw),
      (e: unknown) => e instanceof InvalidReplyError && re.test(e.message),
      raw,
    );
});
