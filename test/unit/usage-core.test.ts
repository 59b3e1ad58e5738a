/** core/usage: the price table, the dedup rules of Claude transcripts and Codex rollouts, sums and buckets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costOf, priceFor, PRICES, PRICES_DATE } from '../../src/core/usage/prices.js';
import { parseClaudeTranscript } from '../../src/core/usage/claude-transcript.js';
import { codexRolloutCwd, NEW_CODEX_CURSOR, parseCodexRollout } from '../../src/core/usage/codex-rollout.js';
import {
  formatCost,
  quotaLine,
  rowGroup,
  summarizeUsage,
  usageLine,
  type UsageRow,
} from '../../src/core/usage/summary.js';
import { usageBucket } from '../../src/core/usage/buckets.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';

const tokens = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({
  input,
  output,
  cacheRead,
  cacheWrite,
  reasoning: 0,
});

test('price table: dated, exact names, vendor prefixes and date suffixes match; other names are unknown', () => {
  assert.match(PRICES_DATE, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(priceFor('claude-sonnet-4-5'), PRICES['claude-sonnet-4-5']);
  assert.equal(priceFor('claude-sonnet-4-5-20250929'), PRICES['claude-sonnet-4-5']);
  assert.equal(priceFor('anthropic/claude-haiku-4-5'), PRICES['claude-haiku-4-5']);
  assert.equal(priceFor('gpt-5-codex'), PRICES['gpt-5-codex']);
  // A longer name is another model, not a dated copy of a shorter one.
  assert.equal(priceFor('gpt-5-nano'), undefined);
  assert.equal(priceFor('claude-sonnet-4-5-turbo'), undefined);
  assert.equal(priceFor('fake-model'), undefined);
});

test('price table: config overrides win and add models; an unknown model costs undefined, never 0', () => {
  const overrides = { 'claude-sonnet-4-5': { input: 1, output: 2 }, 'fake-model': { input: 0, output: 0 } };
  assert.deepEqual(priceFor('claude-sonnet-4-5-20250929', overrides), { input: 1, output: 2 });
  assert.equal(costOf(tokens(10, 10), priceFor('fake-model', overrides)), 0);
  assert.equal(costOf(tokens(10, 10), priceFor('fake-model')), undefined);
  // $3 in, $15 out, $0.30 cache read, $3.75 cache write per million.
  assert.equal(costOf(tokens(1_000_000, 100_000, 2_000_000, 0), PRICES['claude-sonnet-4-5']), 3 + 1.5 + 0.6);
  // Cache prices absent: priced as input.
  assert.equal(costOf(tokens(0, 0, 500_000, 500_000), { input: 2, output: 8 }), 2);
  assert.ok(ConfigSchema.safeParse({ prices: { m: { input: 1, output: 2, cacheRead: 0.1 } } }).success);
  assert.equal(ConfigSchema.safeParse({ prices: { m: { input: -1, output: 2 } } }).success, false);
  assert.equal(ConfigSchema.safeParse({ prices: { m: { input: 1 } } }).success, false);
});

const claudeLine = (o: {
  id?: string;
  req?: string;
  out: number;
  side?: boolean;
  model?: string;
  type?: string;
}): string =>
  JSON.stringify({
    type: o.type ?? 'assistant',
    isSidechain: o.side ?? false,
    requestId: o.req ?? 'req_1',
    uuid: `u-${Math.random()}`,
    timestamp: '2026-11-29T10:00:00.000Z',
    message: {
      id: o.id ?? 'msg_1',
      model: o.model ?? 'claude-sonnet-4-5-20250929',
      usage: { input_tokens: 10, output_tokens: o.out, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
    },
  });

test('Claude transcript: one call per message id + request id with its largest counts; sidechains, synthetic and bad lines dropped', () => {
  const deltas = parseClaudeTranscript([
    claudeLine({ out: 1 }),
    claudeLine({ out: 5 }),
    claudeLine({ out: 3 }),
    claudeLine({ id: 'msg_1', req: 'req_2', out: 2 }),
    claudeLine({ id: 'msg_9', out: 50, side: true }),
    claudeLine({ id: 'msg_8', out: 50, model: '<synthetic>' }),
    claudeLine({ id: 'msg_7', out: 50, type: 'user' }),
    '{"type":"assistant", broken',
    '',
  ]);
  assert.deepEqual(
    deltas.map((d) => [d.key, d.model, d.input, d.output, d.cacheRead, d.cacheWrite]),
    [
      ['msg_1:req_1', 'claude-sonnet-4-5-20250929', 10, 5, 100, 7],
      ['msg_1:req_2', 'claude-sonnet-4-5-20250929', 10, 2, 100, 7],
    ],
  );
  assert.equal(deltas[0]!.ts, Date.parse('2026-11-29T10:00:00.000Z'));
});

const codex = (type: string, payload: unknown) => JSON.stringify({ timestamp: '2026-11-29T10:00:00Z', type, payload });
const tokenCount = (input: number, cached: number, output: number, total: number) =>
  codex('event_msg', {
    type: 'token_count',
    info: {
      total_token_usage: { total_tokens: total },
      last_token_usage: {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        reasoning_output_tokens: 3,
      },
    },
    rate_limits: {
      primary: { used_percent: total / 10, window_minutes: 300, resets_in_seconds: 60 },
      secondary: { used_percent: 2, window_minutes: 10080, resets_at: 1_800_000_000 },
      credits: null,
    },
  });

test('Codex rollout: last_token_usage per turn, repeated totals and info-less events skipped, cached input split out, quota windows', () => {
  assert.equal(codexRolloutCwd(codex('session_meta', { id: 'x', cwd: '/w/t' })), '/w/t');
  assert.equal(codexRolloutCwd(codex('turn_context', { cwd: '/w/t' })), undefined);
  const first = parseCodexRollout(
    [
      codex('session_meta', { cwd: '/w/t' }),
      codex('turn_context', { model: 'gpt-5-codex' }),
      codex('event_msg', { type: 'token_count', info: null }),
      tokenCount(100, 40, 20, 120),
      // The same totals again: only the rate limits changed.
      tokenCount(100, 40, 20, 120),
    ],
    NEW_CODEX_CURSOR,
    'f@0',
  );
  assert.deepEqual(
    first.deltas.map((d) => [d.key, d.model, d.input, d.cacheRead, d.output, d.reasoning]),
    [['f@0:3', 'gpt-5-codex', 60, 40, 20, 3]],
  );
  // The plan's quota windows, the latest of the batch.
  assert.deepEqual(first.limits, [
    { window: 'primary', usedPercent: 12, windowMinutes: 300, resetsAt: Date.parse('2026-11-29T10:01:00Z') },
    { window: 'secondary', usedPercent: 2, windowMinutes: 10080, resetsAt: 1_800_000_000_000 },
  ]);
  assert.equal(
    quotaLine(first.limits.map((l) => ({ ...l, worker: 'w01', agent: 'codex' }))),
    'quota: w01 (codex) primary 12% of 300 min, secondary 2% of 10080 min',
  );
  // The next batch: the cursor carries the model and the last total.
  const second = parseCodexRollout([tokenCount(100, 40, 20, 120), tokenCount(50, 0, 5, 175)], first.cursor, 'f@900');
  assert.deepEqual(
    second.deltas.map((d) => [d.key, d.model, d.input, d.output]),
    [['f@900:1', 'gpt-5-codex', 50, 5]],
  );
});

const row = (o: Partial<UsageRow>): UsageRow => ({
  session: 's',
  worker: 'w01',
  agent: 'claude',
  model: 'm',
  ...tokens(10, 5),
  costUsd: 0.5,
  bucket: 'api',
  source: 'session-files',
  approximate: false,
  ts: 0,
  ...o,
});

test('summary: per worker, agent, model and bucket; an unpriced call makes the cost unknown, never $0', () => {
  const s = summarizeUsage(
    [
      row({}),
      row({ worker: 'w02', agent: 'codex', model: 'x', costUsd: null, bucket: 'subscription' }),
      row({ worker: 'lead', costUsd: 0.25 }),
    ].map(rowGroup),
  );
  assert.equal(s.totals.total, 45);
  assert.equal(s.workers.w01!.costUsd, 0.5);
  assert.equal(formatCost(s.workers.w02!), 'unknown');
  assert.equal(formatCost(s.buckets.api), '$0.7500');
  assert.equal(formatCost(s.totals), '>= $0.7500 (some models unpriced)');
  assert.equal(s.agents.codex!.calls, 1);
  assert.match(usageLine(s), /^usage: 45 tokens .*API \$0\.7500, subscription would cost unknown$/);
  assert.equal(usageLine(summarizeUsage([])), 'usage: none recorded yet');
});

test('bucket: an API-key variable in the environment means API billing, else the subscription', () => {
  assert.equal(usageBucket(['ANTHROPIC_API_KEY'], { ANTHROPIC_API_KEY: 'sk-x' }), 'api');
  assert.equal(usageBucket(['ANTHROPIC_API_KEY'], { ANTHROPIC_API_KEY: ' ' }), 'subscription');
  assert.equal(usageBucket(['OPENAI_API_KEY'], {}), 'subscription');
  assert.equal(usageBucket(undefined, { OPENAI_API_KEY: 'k' }), 'subscription');
});
