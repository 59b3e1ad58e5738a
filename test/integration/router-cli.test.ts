/** `crewmux detect` and `doctor`, separate processes, show the router: keys by name only, the project's router config, and cooldowns from router.db. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, runCli, writeConfig } from '../helpers/env.js';
import { openCooldownStore } from '../../src/adapters/llm/router-cooldowns.js';

test('detect --json and doctor show configured providers, the project config, and a cooldown written by another process', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, { router: { providers: { groq: { model: 'openai/gpt-oss-20b' } } } });
    const env = {
      GROQ_API_KEY: 'gsk-SECRET',
      ANTHROPIC_API_KEY: 'sk-ant-SECRET',
      CREWMUX_ROUTER_ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/anthropic',
    };
    const dataDir = t.env.CREWMUX_DATA_DIR!;

    const fresh = await runCli(t, repo, ['detect', '--json', '--timeout', '2000'], { env });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(existsSync(join(dataDir, 'router.db')), false, 'detect creates no router.db');

    mkdirSync(dataDir, { recursive: true });
    const until = Date.now() + 10 * 60_000;
    const store = openCooldownStore(join(dataDir, 'router.db'));
    store.set('anthropic', until, 'HTTP 429 rate limited');
    store.close();

    const det = await runCli(t, repo, ['detect', '--json', '--timeout', '2000'], { env });
    assert.equal(det.code, 0, det.stderr);
    assert.doesNotMatch(det.stdout, /SECRET/);
    const router = (JSON.parse(det.stdout) as { router: { configured: boolean; providers: Record<string, unknown>[] } })
      .router;
    assert.equal(router.configured, true);
    const by = Object.fromEntries(router.providers.map((p) => [p.name as string, p]));
    assert.deepEqual(by.anthropic, {
      name: 'anthropic',
      configured: true,
      keyEnv: 'ANTHROPIC_API_KEY',
      hasKey: true,
      baseUrl: 'http://127.0.0.1:9/anthropic',
      model: 'claude-haiku-4-5',
      contextTokens: 200_000,
      coolingUntil: until,
      coolingReason: 'HTTP 429 rate limited',
    });
    assert.equal(by.groq!.model, 'openai/gpt-oss-20b', 'the project config is read');
    assert.equal(by.cerebras!.configured, false);

    const text = await runCli(t, repo, ['detect', '--timeout', '2000'], { env });
    assert.match(
      text.stdout,
      /anthropic\s+ANTHROPIC_API_KEY\s+claude-haiku-4-5\s+http:\/\/127\.0\.0\.1:9\/anthropic\s+cooling down until \S+ \(\d+m\d+s left\): HTTP 429 rate limited/,
    );
    assert.match(text.stdout, /Router: 2 provider\(s\) in fallback order: anthropic, groq\./);
    assert.doesNotMatch(text.stdout, /SECRET/);

    const doc = await runCli(t, repo, ['doctor', '--json'], { env });
    assert.doesNotMatch(doc.stdout, /SECRET/);
    const check = (JSON.parse(doc.stdout) as { name: string; level: string; detail: string }[]).find(
      (c) => c.name === 'router',
    )!;
    assert.equal(check.level, 'warn');
    assert.match(
      check.detail,
      /^anthropic claude-haiku-4-5 @ http:\/\/127\.0\.0\.1:9\/anthropic, cooling down until .*: HTTP 429 rate limited; groq openai\/gpt-oss-20b$/,
    );

    const none = await runCli(t, t.dir, ['doctor', '--json'], {
      env: { CREWMUX_ROUTER: 'off', GROQ_API_KEY: 'gsk-SECRET' },
    });
    const off = (JSON.parse(none.stdout) as { name: string; level: string; detail: string }[]).find(
      (c) => c.name === 'router',
    )!;
    assert.deepEqual([off.level, off.detail], ['ok', 'off (CREWMUX_ROUTER=off); summaries use truncation']);
  } finally {
    t.cleanup();
  }
});

test('a broken config.json does not break detect: the router shows defaults and names the problem', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, { router: { order: ['nonesuch'] } });
    const r = await runCli(t, repo, ['detect', '--json', '--timeout', '2000'], { env: { GROQ_API_KEY: 'k' } });
    assert.equal(r.code, 0, r.stderr);
    const router = (JSON.parse(r.stdout) as { router: { configured: boolean; problem?: string } }).router;
    assert.equal(router.configured, true);
    assert.match(router.problem!, /config ignored: .*router\.order\.0/);
  } finally {
    t.cleanup();
  }
});
