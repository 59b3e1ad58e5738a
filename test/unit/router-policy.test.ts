/** The router's pure policy: Retry-After and reset headers, cooldown lengths and caps, failure classes, provider order and resolution. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COOLDOWN_MS,
  classifyHttp,
  classifyNoAnswer,
  describeCooldown,
  describeFailure,
  errorMessageOf,
  formatDuration,
  parseDuration,
  parseRetryAfter,
  resetHintMs,
} from '../../src/core/llm/router-policy.js';
import { providerOrder, resolveProviders, routerOff } from '../../src/core/llm/router-providers.js';
import { ConfigSchema, mergeConfigs } from '../../src/core/session/config-schema.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

test('parseRetryAfter: delta seconds, HTTP dates (future and past), garbage', () => {
  assert.equal(parseRetryAfter('120', NOW), 120_000);
  assert.equal(parseRetryAfter(' 1.5 ', NOW), 1_500);
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter('Sat, 21 Nov 2026 12:02:00 GMT', NOW), 120_000);
  assert.equal(parseRetryAfter('Sat, 21 Nov 2026 11:00:00 GMT', NOW), 0, 'a date in the past means now');
  for (const bad of [undefined, '', '   ', 'soon', '-5', '1e3', '12abc', 'Tuesday-ish'])
    assert.equal(parseRetryAfter(bad, NOW), undefined, String(bad));
});

test('parseDuration: Groq/OpenAI reset durations and plain seconds', () => {
  assert.equal(parseDuration('2m59.56s'), 179_560);
  assert.equal(parseDuration('7.66s'), 7_660);
  assert.equal(parseDuration('120ms'), 120);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('33.5'), 33_500);
  for (const bad of [undefined, '', 'm', 'soon', '5 minutes']) assert.equal(parseDuration(bad), undefined, String(bad));
});

test('resetHintMs: the shortest positive reset over Anthropic, Groq, Cerebras and OpenRouter headers', () => {
  assert.equal(
    resetHintMs(
      {
        'anthropic-ratelimit-tokens-reset': '2026-11-21T12:00:40Z',
        'anthropic-ratelimit-requests-reset': '2026-11-21T12:01:00Z',
      },
      NOW,
    ),
    40_000,
  );
  assert.equal(
    resetHintMs({ 'x-ratelimit-reset-requests': '2m59.56s', 'x-ratelimit-reset-tokens': '7.66s' }, NOW),
    7_660,
  );
  assert.equal(
    resetHintMs({ 'x-ratelimit-reset-requests-day': '33011.5', 'x-ratelimit-reset-tokens-minute': '21.2' }, NOW),
    21_200,
  );
  assert.equal(resetHintMs({ 'x-ratelimit-reset': String(NOW + 90_000) }, NOW), 90_000);
  assert.equal(resetHintMs({ 'x-ratelimit-reset': String((NOW + 90_000) / 1000) }, NOW), 90_000, 'epoch seconds');
  assert.equal(resetHintMs({ 'x-ratelimit-reset-tokens': '0s', 'content-type': 'application/json' }, NOW), undefined);
});

test('429: Retry-After wins, then retry-after-ms, Gemini retryDelay, reset headers, else 60 s; capped at 15 min, at least 1 s', () => {
  const c = (h: Record<string, string>, body = '') => classifyHttp(429, h, body, NOW);
  assert.deepEqual(c({ 'retry-after': '120' }), {
    kind: 'rate-limit',
    reason: 'HTTP 429 rate limited',
    cooldownMs: 120_000,
  });
  assert.equal(c({ 'retry-after': 'Sat, 21 Nov 2026 12:05:00 GMT' }).cooldownMs, 300_000);
  assert.equal(c({ 'retry-after-ms': '2500', 'retry-after': '9' }).cooldownMs, 2_500);
  assert.equal(
    c({}, JSON.stringify({ error: { code: 429, message: 'quota', details: [{ retryDelay: '37s' }] } })).cooldownMs,
    37_000,
  );
  assert.equal(c({ 'x-ratelimit-reset-tokens': '7.66s' }).cooldownMs, 7_660);
  assert.equal(c({}).cooldownMs, COOLDOWN_MS.rateLimit);
  assert.equal(c({ 'retry-after': 'garbage' }).cooldownMs, COOLDOWN_MS.rateLimit);
  assert.equal(c({ 'retry-after': '86400' }).cooldownMs, COOLDOWN_MS.max);
  assert.equal(c({ 'retry-after': '0' }).cooldownMs, COOLDOWN_MS.min);
  assert.equal(c({}, '{"error":{"message":"Slow   down\\nplease"}}').detail, 'Slow down please');
});

test('5xx and 408 cool down 30 s (or Retry-After); 401/403 say bad key and cool down long; 404 long; other 4xx fall back without a cooldown', () => {
  assert.deepEqual(classifyHttp(500, {}, 'oops', NOW), {
    kind: 'server',
    reason: 'HTTP 500 server error',
    cooldownMs: 30_000,
  });
  assert.equal(classifyHttp(529, {}, '', NOW).kind, 'server');
  assert.equal(classifyHttp(503, { 'retry-after': '10' }, '', NOW).cooldownMs, 10_000);
  assert.equal(classifyHttp(408, {}, '', NOW).kind, 'server');
  const auth = classifyHttp(401, {}, '{"error":{"type":"authentication_error","message":"invalid x-api-key"}}', NOW);
  assert.deepEqual(auth, {
    kind: 'auth',
    reason: 'bad key (HTTP 401)',
    detail: 'invalid x-api-key',
    cooldownMs: COOLDOWN_MS.config,
  });
  assert.ok(auth.cooldownMs > COOLDOWN_MS.rateLimit);
  assert.equal(classifyHttp(403, {}, '', NOW).reason, 'bad key (HTTP 403)');
  assert.equal(classifyHttp(404, {}, '', NOW).kind, 'not-found');
  assert.deepEqual(classifyHttp(400, {}, '{"error":{"message":"prompt is too long"}}', NOW), {
    kind: 'bad-request',
    reason: 'HTTP 400',
    detail: 'prompt is too long',
    cooldownMs: 0,
  });
  assert.equal(classifyHttp(413, {}, '', NOW).cooldownMs, 0);
});

test('timeouts and network errors cool down 30 s and say which', () => {
  assert.deepEqual(classifyNoAnswer('timeout', 'x', 300), {
    kind: 'timeout',
    reason: 'timeout (no answer within 300 ms)',
    cooldownMs: 30_000,
  });
  assert.deepEqual(classifyNoAnswer('network', 'ECONNREFUSED', 300), {
    kind: 'network',
    reason: 'network error',
    detail: 'ECONNREFUSED',
    cooldownMs: 30_000,
  });
});

test('error messages and durations read well', () => {
  assert.equal(errorMessageOf('{"error":"plain"}'), 'plain');
  assert.equal(errorMessageOf('{"message":"top"}'), 'top');
  assert.equal(errorMessageOf('<html>'), undefined);
  assert.equal(formatDuration(45_000), '45s');
  assert.equal(formatDuration(120_000), '2m0s');
  assert.equal(formatDuration(3_900_000), '1h5m');
  assert.equal(formatDuration(1), '1s');
  assert.equal(
    describeFailure(classifyHttp(429, { 'retry-after': '120' }, '', NOW)),
    'HTTP 429 rate limited; cooling down 2m0s',
  );
  assert.equal(describeFailure(classifyHttp(400, {}, '', NOW)), 'HTTP 400');
  assert.equal(
    describeCooldown(NOW + 118_000, 'HTTP 429 rate limited', NOW),
    'cooling down until 2026-11-21T12:01:58Z (1m58s left): HTTP 429 rate limited',
  );
});

test('provider order: config order first, de-duplicated, the rest in the default order', () => {
  assert.deepEqual(providerOrder(), ['anthropic', 'cerebras', 'groq', 'gemini', 'openrouter']);
  assert.deepEqual(providerOrder(['groq', 'gemini', 'groq']), [
    'groq',
    'gemini',
    'anthropic',
    'cerebras',
    'openrouter',
  ]);
});

test('resolveProviders: keys (Gemini falls back to GOOGLE_API_KEY), base URL env beats config beats default', () => {
  const env = {
    ANTHROPIC_API_KEY: 'a-key',
    GOOGLE_API_KEY: 'g-key',
    GROQ_API_KEY: '  ',
    CREWMUX_ROUTER_CEREBRAS_BASE_URL: 'http://127.0.0.1:9/cb/',
    CREWMUX_ROUTER_GROQ_BASE_URL: 'not a url',
  };
  const config = ConfigSchema.parse({
    router: {
      providers: {
        cerebras: { baseUrl: 'https://cfg.example/v1' },
        gemini: { model: 'gemini-x' },
        openrouter: { enabled: false },
      },
    },
  }).router;
  const by = Object.fromEntries(resolveProviders(config, env).map((p) => [p.name, p]));
  assert.equal(by.anthropic!.baseUrl, 'https://api.anthropic.com');
  assert.equal(by.anthropic!.key, 'a-key');
  assert.equal(by.cerebras!.baseUrl, 'http://127.0.0.1:9/cb', 'env override wins, trailing slash dropped');
  assert.equal(by.cerebras!.key, undefined);
  assert.equal(by.groq!.key, undefined, 'a blank key is no key');
  assert.match(by.groq!.disabled!, /refused base URL in CREWMUX_ROUTER_GROQ_BASE_URL/);
  assert.equal(by.gemini!.keyEnv, 'GOOGLE_API_KEY');
  assert.equal(by.gemini!.key, 'g-key');
  assert.equal(by.gemini!.model, 'gemini-x');
  assert.equal(by.openrouter!.keyEnv, 'OPENROUTER_API_KEY');
  assert.match(by.openrouter!.disabled!, /disabled in config/);
  assert.equal(
    resolveProviders(undefined, { GEMINI_API_KEY: 'g1', GOOGLE_API_KEY: 'g2' }).find((p) => p.name === 'gemini')!
      .keyEnv,
    'GEMINI_API_KEY',
  );
});

test('resolveProviders: a key from the standard variable goes to the standard base-URL variable (a gateway), never the public host', () => {
  const env = {
    ANTHROPIC_API_KEY: 'gw-key',
    ANTHROPIC_BASE_URL: 'https://gateway.example/anthropic/',
    GROQ_API_KEY: 'q',
    GROQ_BASE_URL: 'https://gateway.example',
    CEREBRAS_API_KEY: 'c',
    CEREBRAS_BASE_URL: 'https://cb.example/v1',
    GEMINI_API_KEY: 'g',
    GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:8080',
    OPENROUTER_API_KEY: 'o',
    OPENROUTER_BASE_URL: 'http://gateway.example/api/v1',
  };
  const config = ConfigSchema.parse({
    router: { providers: { anthropic: { baseUrl: 'https://cfg.example' } } },
  }).router;
  const by = Object.fromEntries(resolveProviders(config, env).map((p) => [p.name, p]));
  assert.equal(by.anthropic!.baseUrl, 'https://gateway.example/anthropic', "the key variable's base URL beats config");
  assert.equal(by.groq!.baseUrl, 'https://gateway.example/openai/v1', "Groq's SDK form: host only");
  assert.equal(by.cerebras!.baseUrl, 'https://cb.example/v1', 'already ends in /v1');
  assert.equal(by.gemini!.baseUrl, 'http://127.0.0.1:8080');
  assert.match(by.openrouter!.disabled!, /refused base URL in OPENROUTER_BASE_URL: .*plain http to another machine/);
  assert.equal(by.openrouter!.baseUrl, 'http://gateway.example/api/v1', 'refused, not replaced by the public host');
  const own = resolveProviders(undefined, { ...env, CREWMUX_ROUTER_ANTHROPIC_BASE_URL: 'https://mine.example' });
  assert.equal(own[0]!.baseUrl, 'https://mine.example', "crewmux's own override still wins");
  const noKey = resolveProviders(undefined, { ANTHROPIC_BASE_URL: 'https://gateway.example' });
  assert.equal(noKey[0]!.baseUrl, 'https://api.anthropic.com', 'no key, nothing to send: the default is shown');
});

test('CREWMUX_ROUTER=off (any case, or 0/false/no) turns the router off', () => {
  for (const v of ['off', 'OFF', '0', 'false', 'no']) assert.equal(routerOff({ CREWMUX_ROUTER: v }), true, v);
  for (const v of [undefined, '', 'on', '1']) assert.equal(routerOff({ CREWMUX_ROUTER: v }), false, String(v));
});

test('router config: strict keys, known provider names, merged per provider (project wins)', () => {
  assert.equal(ConfigSchema.safeParse({ router: { order: ['openai'] } }).success, false);
  assert.equal(ConfigSchema.safeParse({ router: { providers: { mistral: {} } } }).success, false);
  assert.equal(ConfigSchema.safeParse({ router: { providers: { groq: { baseUrl: 'ftp://x' } } } }).success, false);
  assert.equal(ConfigSchema.safeParse({ router: { timeoutMs: 10 } }).success, false);
  assert.equal(ConfigSchema.safeParse({ router: { colour: 'red' } }).success, false);
  const g = ConfigSchema.parse({
    router: { order: ['groq'], timeoutMs: 5000, providers: { groq: { model: 'm1', baseUrl: 'http://g.example' } } },
  });
  const p = ConfigSchema.parse({
    router: { timeoutMs: 9000, providers: { groq: { model: 'm2' }, gemini: { enabled: false } } },
  });
  assert.deepEqual(mergeConfigs(g, p).router, {
    order: ['groq'],
    timeoutMs: 9000,
    providers: { groq: { model: 'm2', baseUrl: 'http://g.example' }, gemini: { enabled: false } },
  });
  assert.equal(mergeConfigs({}, {}).router, undefined);
});
