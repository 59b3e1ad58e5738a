/**
 * The LLM router over real HTTP on loopback against the fake LLM server, with cooldowns in a real
 * router.db: each wire format end to end, fallback on 429/500/timeouts/bad keys, cooldowns honoured on
 * an injected clock and seen by a second process's store, no keys, CREWMUX_ROUTER=off.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeLlmServer, type FakeLlmServer } from '../fakes/fake-llm-server.js';
import {
  createRouter,
  openRouter,
  RouterUnavailableError,
  type ProviderName,
  type RouterConfig,
} from '../../src/app/llm/router.js';
import {
  createMemoryCooldownStore,
  openCooldownStore,
  type CooldownStore,
} from '../../src/adapters/llm/router-cooldowns.js';

let fake: FakeLlmServer;
let dir: string;
let dbCount = 0;

before(async () => {
  fake = createFakeLlmServer();
  await fake.listen();
  dir = mkdtempSync(join(tmpdir(), 'crewmux-router-'));
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const KEY_ENV: Record<ProviderName, string> = {
  anthropic: 'ANTHROPIC_API_KEY',
  cerebras: 'CEREBRAS_API_KEY',
  groq: 'GROQ_API_KEY',
  gemini: 'GEMINI_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
};
/** Each provider under its own prefix on the fake, mirroring the real base URLs' shapes. */
const PREFIX: Record<ProviderName, string> = {
  anthropic: '/anthropic',
  cerebras: '/cerebras/v1',
  groq: '/groq/openai/v1',
  gemini: '/gemini',
  openrouter: '/openrouter/api/v1',
};
const PATH = {
  anthropic: '/anthropic/v1/messages',
  cerebras: '/cerebras/v1/chat/completions',
  groq: '/groq/openai/v1/chat/completions',
  gemini: (model: string) => `/gemini/v1beta/models/${model}:generateContent`,
  openrouter: '/openrouter/api/v1/chat/completions',
};

/** Keys for `names` (value `key-<name>`) and every base URL pointed at the fake. */
function envFor(names: ProviderName[], extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const n of Object.keys(PREFIX) as ProviderName[])
    env[`CREWMUX_ROUTER_${n.toUpperCase()}_BASE_URL`] = fake.url + PREFIX[n];
  for (const n of names) env[KEY_ENV[n]] = `key-${n}`;
  return { ...env, ...extra };
}

/** A clock the test moves by hand. */
function clock(start = Date.parse('2026-11-21T12:00:00Z')) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** A fresh router.db in the temp dir. */
function dbStore(now: () => number): { store: CooldownStore; file: string } {
  const file = join(dir, `router-${dbCount++}.db`);
  return { store: openCooldownStore(file, now), file };
}

const req = {
  system: 'You summarise worker output.',
  prompt: 'Summarise: did things.',
  maxTokens: 300,
  purpose: 'test',
};

test('anthropic round trip: headers, system block with cache_control, cache_read_input_tokens read', async () => {
  const c = clock();
  const { store } = dbStore(c.now);
  try {
    fake.script(PATH.anthropic, {
      kind: 'ok',
      text: 'anthropic summary',
      cachedTokens: 1234,
      model: 'claude-haiku-4-5-20251001',
    });
    const r = createRouter({ env: envFor(['anthropic']), cooldowns: store, now: c.now });
    const reply = await r.complete(req);
    assert.deepEqual(reply, {
      text: 'anthropic summary',
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20251001',
      cachedTokens: 1234,
    });
    const sent = fake.requestsTo(PATH.anthropic).at(-1)!;
    assert.equal(sent.headers['x-api-key'], 'key-anthropic');
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(sent.body, {
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      system: [{ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: req.prompt }],
    });
  } finally {
    store.close();
  }
});

test('a gateway: the key from ANTHROPIC_API_KEY goes to ANTHROPIC_BASE_URL, the public host is never contacted', async () => {
  const urls: string[] = [];
  const recording: typeof fetch = (input, init) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  fake.script('/gateway/v1/messages', { kind: 'ok', text: 'via the gateway' });
  const env = { ANTHROPIC_API_KEY: 'gateway-key', ANTHROPIC_BASE_URL: fake.url + '/gateway' };
  const r = createRouter({ env, cooldowns: createMemoryCooldownStore(), fetch: recording });
  assert.equal(r.status()[0]!.baseUrl, fake.url + '/gateway');
  assert.equal((await r.complete(req)).text, 'via the gateway');
  assert.equal(fake.requestsTo('/gateway/v1/messages').at(-1)!.headers['x-api-key'], 'gateway-key');
  assert.deepEqual(urls, [fake.url + '/gateway/v1/messages']);
});

test('cerebras and groq round trip: Bearer, system first, max_completion_tokens, prompt_tokens_details.cached_tokens', async () => {
  const c = clock();
  for (const name of ['cerebras', 'groq'] as const) {
    fake.script(PATH[name], { kind: 'ok', text: `${name} summary`, cachedTokens: 64 });
    const r = createRouter({ env: envFor([name]), cooldowns: createMemoryCooldownStore(), now: c.now });
    const reply = await r.complete(req);
    const model = name === 'groq' ? 'openai/gpt-oss-120b' : 'gpt-oss-120b';
    assert.deepEqual(reply, { text: `${name} summary`, provider: name, model, cachedTokens: 64 });
    const sent = fake.requestsTo(PATH[name]).at(-1)!;
    assert.equal(sent.headers.authorization, `Bearer key-${name}`);
    assert.deepEqual(sent.body, {
      reasoning_effort: 'low',
      model,
      max_completion_tokens: 300,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.prompt },
      ],
    });
  }
});

test('gemini round trip (GOOGLE_API_KEY): x-goog-api-key, systemInstruction, maxOutputTokens, cachedContentTokenCount', async () => {
  const c = clock();
  const model = 'gemini-3.5-flash-lite';
  fake.script(PATH.gemini(model), { kind: 'ok', text: 'gemini summary', cachedTokens: 2048 });
  const env = envFor([]);
  env.GOOGLE_API_KEY = 'google-key';
  const r = createRouter({ env, cooldowns: createMemoryCooldownStore(), now: c.now });
  assert.equal(r.status().find((p) => p.name === 'gemini')!.keyEnv, 'GOOGLE_API_KEY');
  const reply = await r.complete(req);
  assert.deepEqual(reply, { text: 'gemini summary', provider: 'gemini', model, cachedTokens: 2048 });
  const sent = fake.requestsTo(PATH.gemini(model)).at(-1)!;
  assert.equal(sent.headers['x-goog-api-key'], 'google-key');
  assert.deepEqual(sent.body, {
    systemInstruction: { parts: [{ text: req.system }] },
    contents: [{ role: 'user', parts: [{ text: req.prompt }] }],
    generationConfig: { maxOutputTokens: 300 },
  });
});

test('openrouter round trip: system content part with cache_control, max_tokens, configured model, no cache count when not reported', async () => {
  const c = clock();
  fake.script(PATH.openrouter, { kind: 'ok', text: 'openrouter summary' });
  const config: RouterConfig = { providers: { openrouter: { model: 'google/gemini-3.5-flash' } } };
  const r = createRouter({ config, env: envFor(['openrouter']), cooldowns: createMemoryCooldownStore(), now: c.now });
  const reply = await r.complete(req);
  assert.deepEqual(reply, { text: 'openrouter summary', provider: 'openrouter', model: 'google/gemini-3.5-flash' });
  const sent = fake.requestsTo(PATH.openrouter).at(-1)!;
  assert.equal(sent.headers.authorization, 'Bearer key-openrouter');
  assert.equal(sent.headers['x-title'], 'crewmux');
  assert.deepEqual(sent.body, {
    model: 'google/gemini-3.5-flash',
    max_tokens: 300,
    messages: [
      { role: 'system', content: [{ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: req.prompt },
    ],
  });
});

test('fallback: 429 with retry-after and a 500 cool their providers down; the next provider answers', async () => {
  const c = clock();
  const { store } = dbStore(c.now);
  try {
    fake.script(PATH.anthropic, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '120' },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
    });
    fake.script(PATH.cerebras, { kind: 'status', status: 500 });
    fake.script(PATH.groq, { kind: 'ok', text: 'from groq' });
    const before = fake.requests.length;
    const r = createRouter({ env: envFor(['anthropic', 'cerebras', 'groq']), cooldowns: store, now: c.now });
    const reply = await r.complete(req);
    assert.equal(reply.provider, 'groq');
    assert.equal(reply.text, 'from groq');
    assert.deepEqual(
      fake.requests.slice(before).map((x) => [x.path, x.answered]),
      [
        [PATH.anthropic, 429],
        [PATH.cerebras, 500],
        [PATH.groq, 200],
      ],
    );
    assert.deepEqual(store.get('anthropic'), { until: c.t + 120_000, reason: 'HTTP 429 rate limited' });
    assert.deepEqual(store.get('cerebras'), { until: c.t + 30_000, reason: 'HTTP 500 server error' });
    assert.equal(store.get('groq'), undefined);
    const st = Object.fromEntries(r.status().map((p) => [p.name, p]));
    assert.equal(st.anthropic!.coolingUntil, c.t + 120_000);
    assert.equal(st.anthropic!.coolingReason, 'HTTP 429 rate limited');
    assert.equal(st.groq!.coolingUntil, undefined);
  } finally {
    store.close();
  }
});

test('a provider with retry-after: 120 is skipped until the clock passes +120 s, then tried again and its cooldown cleared', async () => {
  const c = clock();
  const { store } = dbStore(c.now);
  try {
    fake.script(PATH.anthropic, { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const r = createRouter({ env: envFor(['anthropic', 'groq']), cooldowns: store, now: c.now });
    const t0 = c.t;
    const count = () => fake.requestsTo(PATH.anthropic).length;
    const n0 = count();
    assert.equal((await r.complete(req)).provider, 'groq');
    assert.equal(count(), n0 + 1);
    c.t = t0 + 119_000;
    assert.equal((await r.complete(req)).provider, 'groq');
    assert.equal(count(), n0 + 1, 'anthropic not asked while cooling down');
    c.t = t0 + 121_000;
    const again = await r.complete(req);
    assert.equal(again.provider, 'anthropic');
    assert.equal(count(), n0 + 2);
    assert.equal(store.get('anthropic'), undefined, 'success clears the cooldown');
  } finally {
    store.close();
  }
});

test('cooldowns persist: a second store on the same router.db (another process, e.g. doctor) sees them and skips the provider', async () => {
  const c = clock();
  const { store, file } = dbStore(c.now);
  const second = openCooldownStore(file, c.now);
  try {
    fake.script(PATH.anthropic, {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': 'Sat, 21 Nov 2026 12:05:00 GMT' },
    });
    const env = envFor(['anthropic', 'groq']);
    await createRouter({ env, cooldowns: store, now: c.now }).complete(req);
    assert.deepEqual(second.all(), { anthropic: { until: c.t + 300_000, reason: 'HTTP 429 rate limited' } });
    const other = createRouter({ env, cooldowns: second, now: c.now });
    const st = other.status().find((p) => p.name === 'anthropic')!;
    assert.equal(st.coolingUntil, c.t + 300_000);
    const n = fake.requestsTo(PATH.anthropic).length;
    const err = await other.complete({ ...req, purpose: 'recap' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(err, undefined, 'groq answers');
    assert.equal(fake.requestsTo(PATH.anthropic).length, n);
  } finally {
    second.close();
    store.close();
  }
});

test('openRouter: router.db in the data dir; create:false neither creates it nor fails; cooldowns shared', async () => {
  const c = clock();
  const dataDir = join(dir, 'data-openrouter');
  const env = envFor(['anthropic', 'groq']);
  const ro = openRouter({ dataDir, env, now: c.now, create: false });
  assert.equal(ro.router.configured(), true);
  assert.equal(
    ro.router.status().some((p) => p.coolingUntil),
    false,
  );
  ro.close();
  assert.equal(existsSync(join(dataDir, 'router.db')), false, 'a read-only view creates nothing');
  fake.script(PATH.anthropic, { kind: 'status', status: 503 });
  const rw = openRouter({ dataDir, env, now: c.now });
  assert.equal(rw.warning, undefined);
  assert.equal((await rw.router.complete(req)).provider, 'groq');
  rw.close();
  const view = openRouter({ dataDir, env, now: c.now, create: false });
  try {
    assert.equal(view.router.status().find((p) => p.name === 'anthropic')!.coolingReason, 'HTTP 503 server error');
  } finally {
    view.close();
  }
});

test('a hanging provider times out after timeoutMs and the router falls back', async () => {
  const c = clock();
  const { store } = dbStore(c.now);
  try {
    fake.script(PATH.anthropic, { kind: 'hang' });
    fake.script(PATH.groq, { kind: 'ok', text: 'after the timeout' });
    const r = createRouter({
      config: { timeoutMs: 300 },
      env: envFor(['anthropic', 'groq']),
      cooldowns: store,
      now: c.now,
    });
    const reply = await r.complete(req);
    assert.equal(reply.provider, 'groq');
    assert.deepEqual(store.get('anthropic'), { until: c.t + 30_000, reason: 'timeout (no answer within 300 ms)' });
  } finally {
    store.close();
  }
});

test('a bad key (401) and an unusable 200 fall back; the 401 cools down long and says "bad key"', async () => {
  const c = clock();
  const store = createMemoryCooldownStore();
  fake.script(PATH.anthropic, {
    kind: 'status',
    status: 401,
    body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
  });
  fake.script(PATH.cerebras, { kind: 'status', status: 200, body: '<html>maintenance</html>' });
  const r = createRouter({ env: envFor(['anthropic', 'cerebras', 'groq']), cooldowns: store, now: c.now });
  assert.equal((await r.complete(req)).provider, 'groq');
  assert.deepEqual(store.get('anthropic'), { until: c.t + 15 * 60_000, reason: 'bad key (HTTP 401)' });
  assert.equal(store.get('cerebras')!.reason, 'invalid response');
});

test('when every provider fails, RouterUnavailableError lists each attempt and why', async () => {
  const c = clock();
  const store = createMemoryCooldownStore();
  store.set('groq', c.t + 60_000, 'HTTP 429 rate limited');
  fake.script(PATH.anthropic, { kind: 'status', status: 400, body: { error: { message: 'prompt is too long' } } });
  fake.script(PATH.gemini('gemini-3.5-flash-lite'), { kind: 'status', status: 529 });
  const r = createRouter({ env: envFor(['anthropic', 'groq', 'gemini']), cooldowns: store, now: c.now });
  const err = await r.complete({ ...req, purpose: 'compact' }).then(
    () => assert.fail('should throw'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RouterUnavailableError);
  assert.deepEqual(
    err.attempts.map((a) => a.provider),
    ['anthropic', 'groq', 'gemini'],
  );
  assert.equal(err.attempts[0]!.error, 'HTTP 400: prompt is too long');
  assert.match(
    err.attempts[1]!.error,
    /^skipped, cooling down until 2026-11-21T12:01:00Z \(1m0s left\): HTTP 429 rate limited$/,
  );
  assert.equal(err.attempts[2]!.error, 'HTTP 529 server error: scripted 529; cooling down 30s');
  assert.match(
    err.message,
    /^No LLM provider answered for compact: anthropic: HTTP 400.*; groq: skipped.*; gemini: HTTP 529/,
  );
  assert.equal(store.get('anthropic'), undefined, 'a 400 is about this request: no cooldown');
});

test('a refused connection is a network error: cooldown and fallback', async () => {
  const c = clock();
  const store = createMemoryCooldownStore();
  const env = envFor(['anthropic', 'groq'], { CREWMUX_ROUTER_ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' });
  const r = createRouter({ env, cooldowns: store, now: c.now });
  assert.equal((await r.complete(req)).provider, 'groq');
  assert.equal(store.get('anthropic')!.reason, 'network error');
});

test('no keys: configured() is false and complete() says no provider has a key, without a request', async () => {
  const before = fake.requests.length;
  const r = createRouter({
    env: envFor([], { ANTHROPIC_BASE_URL: fake.url, OPENAI_API_KEY: 'not-ours' }),
    cooldowns: createMemoryCooldownStore(),
  });
  assert.equal(r.configured(), false);
  assert.deepEqual(
    r.status().map((p) => [p.name, p.configured, p.keyEnv]),
    [
      ['anthropic', false, 'ANTHROPIC_API_KEY'],
      ['cerebras', false, 'CEREBRAS_API_KEY'],
      ['groq', false, 'GROQ_API_KEY'],
      ['gemini', false, 'GEMINI_API_KEY'],
      ['openrouter', false, 'OPENROUTER_API_KEY'],
    ],
  );
  const err = await r.complete(req).then(
    () => assert.fail('should throw'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RouterUnavailableError);
  assert.match(
    err.message,
    /No LLM provider has a key \(set one of ANTHROPIC_API_KEY, .*GOOGLE_API_KEY, OPENROUTER_API_KEY\)/,
  );
  assert.deepEqual(err.attempts, []);
  assert.equal(fake.requests.length, before);
});

test('CREWMUX_ROUTER=off: not configured, every provider says why, complete() throws without a request', async () => {
  const before = fake.requests.length;
  const r = createRouter({
    env: envFor(['anthropic', 'groq'], { CREWMUX_ROUTER: 'off' }),
    cooldowns: createMemoryCooldownStore(),
  });
  assert.equal(r.configured(), false);
  assert.ok(r.status().every((p) => !p.configured && p.disabled === 'the router is off (CREWMUX_ROUTER=off)'));
  const err = await r.complete(req).then(
    () => assert.fail('should throw'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RouterUnavailableError);
  assert.match(err.message, /off \(CREWMUX_ROUTER=off\)/);
  assert.equal(fake.requests.length, before);
});

test('config order and enabled:false decide who is asked first', async () => {
  const c = clock();
  const config: RouterConfig = { order: ['gemini', 'groq'], providers: { gemini: { enabled: false } } };
  const r = createRouter({
    config,
    env: envFor(['anthropic', 'groq', 'gemini']),
    cooldowns: createMemoryCooldownStore(),
    now: c.now,
  });
  assert.deepEqual(
    r.status().map((p) => [p.name, p.configured]),
    [
      ['gemini', false],
      ['groq', true],
      ['anthropic', true],
      ['cerebras', false],
      ['openrouter', false],
    ],
  );
  assert.equal((await r.complete(req)).provider, 'groq');
});

test('the fake refuses requests without the auth headers each API requires', async () => {
  const post = (path: string, headers: Record<string, string>) =>
    fetch(fake.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{"model":"m"}',
    }).then((r) => r.status);
  assert.equal(await post(PATH.anthropic, { 'x-api-key': 'k' }), 401, 'anthropic-version missing');
  assert.equal(await post(PATH.anthropic, { 'anthropic-version': '2023-06-01' }), 401, 'x-api-key missing');
  assert.equal(await post(PATH.groq, { authorization: 'k' }), 401);
  assert.equal(await post(PATH.gemini('m'), { authorization: 'Bearer k' }), 401);
  assert.equal(await post(PATH.gemini('m'), { 'x-goog-api-key': 'k' }), 200);
});
