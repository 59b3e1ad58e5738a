/** How detect and doctor show the router: key env names (never keys), models, base URLs, cooldowns, and doctor's warnings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, type CooldownStore } from '../../src/app/llm/router.js';
import { createMemoryCooldownStore } from '../../src/adapters/llm/router-cooldowns.js';
import { describeRouter, routerCheck } from '../../src/app/llm/router-report.js';
import { renderRouter } from '../../src/cli/commands/detect.js';
import { routerOff } from '../../src/core/llm/router-providers.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function report(env: Record<string, string>, cool: Parameters<CooldownStore['set']>[] = []) {
  const store = createMemoryCooldownStore();
  for (const [p, until, reason] of cool) store.set(p, until, reason);
  return describeRouter(createRouter({ env, cooldowns: store, now: () => NOW }), routerOff(env));
}

test('detect: a row per provider with its key env var (never the key), model, base URL and state', () => {
  const r = report(
    {
      ANTHROPIC_API_KEY: 'sk-ant-SECRET',
      GOOGLE_API_KEY: 'g-SECRET',
      CREWMUX_ROUTER_GROQ_BASE_URL: 'http://127.0.0.1:9/groq',
    },
    [
      ['anthropic', NOW + 90_000, 'HTTP 429 rate limited'],
      ['cerebras', NOW - 1, 'HTTP 500 server error'],
    ],
  );
  const text = renderRouter(r, NOW);
  assert.doesNotMatch(text, /SECRET/);
  assert.doesNotMatch(JSON.stringify(r), /SECRET/);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^PROVIDER\s+KEY\s+MODEL\s+BASE URL\s+STATE$/);
  assert.match(
    lines[1]!,
    /^anthropic\s+ANTHROPIC_API_KEY\s+claude-haiku-4-5\s+https:\/\/api\.anthropic\.com\s+cooling down until 2026-11-21T12:01:30Z \(1m30s left\): HTTP 429 rate limited$/,
  );
  assert.match(
    lines[2]!,
    /^cerebras\s+\(CEREBRAS_API_KEY not set\)\s+gpt-oss-120b\s+\S+\s+no key$/,
    'an expired cooldown is not shown',
  );
  assert.match(lines[3]!, /^groq\s+\(GROQ_API_KEY not set\)\s+\S+\s+http:\/\/127\.0\.0\.1:9\/groq\s+no key$/);
  assert.match(lines[4]!, /^gemini\s+GOOGLE_API_KEY\s+\S+\s+\S+\s+ready$/);
  assert.match(text, /Router: 2 provider\(s\) in fallback order: anthropic, gemini\.$/);
  assert.equal(r.providers[0]!.coolingUntil, NOW + 90_000);
  assert.equal(r.providers[1]!.coolingUntil, undefined);
});

test('doctor: ok lists the providers; a cooling one warns with until/why; a bad key names its env var', () => {
  const ok = routerCheck(report({ GROQ_API_KEY: 'k', CREWMUX_ROUTER_GROQ_BASE_URL: 'http://127.0.0.1:9/groq' }), NOW);
  assert.deepEqual(ok, { name: 'router', level: 'ok', detail: 'groq openai/gpt-oss-120b @ http://127.0.0.1:9/groq' });
  const cooling = routerCheck(
    report({ GROQ_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' }, [['anthropic', NOW + 60_000, 'HTTP 429 rate limited']]),
    NOW,
  );
  assert.equal(cooling.level, 'warn');
  assert.equal(
    cooling.detail,
    'anthropic claude-haiku-4-5, cooling down until 2026-11-21T12:01:00Z (1m0s left): HTTP 429 rate limited; groq openai/gpt-oss-120b',
  );
  assert.match(cooling.fix!, /other providers answer/);
  const badKey = routerCheck(
    report({ ANTHROPIC_API_KEY: 'k' }, [['anthropic', NOW + 900_000, 'bad key (HTTP 401)']]),
    NOW,
  );
  assert.equal(badKey.level, 'warn');
  assert.match(badKey.fix!, /check ANTHROPIC_API_KEY/);
});

test('doctor: no key warns that summaries fall back to truncation; CREWMUX_ROUTER=off is ok and says so', () => {
  const none = routerCheck(report({ OPENAI_API_KEY: 'not-a-router-key' }), NOW);
  assert.equal(none.level, 'warn');
  assert.match(none.detail, /no provider key set; summaries fall back to truncation/);
  assert.match(
    none.fix!,
    /ANTHROPIC_API_KEY, CEREBRAS_API_KEY, GROQ_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY, OPENROUTER_API_KEY/,
  );
  const off = report({ CREWMUX_ROUTER: 'off', GROQ_API_KEY: 'k' });
  assert.deepEqual(routerCheck(off, NOW), {
    name: 'router',
    level: 'ok',
    detail: 'off (CREWMUX_ROUTER=off); summaries use truncation',
  });
  assert.match(
    renderRouter(off, NOW),
    /groq\s+GROQ_API_KEY\s+.*the router is off \(CREWMUX_ROUTER=off\)[\s\S]*Router: off/,
  );
});
