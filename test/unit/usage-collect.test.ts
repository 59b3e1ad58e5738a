/**
 * Usage collection (app/usage/collect.ts) on the fake runtime with real files: a Claude lead's transcript in
 * its crewmux-owned CLAUDE_CONFIG_DIR and a Codex rollout in CODEX_HOME, read from where the last pass
 * stopped, deduplicated across passes, priced, and shown by list_workers' view, status, the report, the
 * episode and /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { codex } from '../../src/core/agents/profiles/codex.js';
import { collectUsage } from '../../src/app/usage/collect.js';
import { createUsageFiles } from '../../src/adapters/usage/usage-files.js';
import { sessionUsage, workerUsage } from '../../src/app/usage/views.js';
import { sessionStatus } from '../../src/app/session/status.js';
import { renderUsage } from '../../src/cli/commands/usage.js';
import { buildReport } from '../../src/app/session/goal.js';
import { renderReport } from '../../src/core/session/report.js';
import { renderEpisode } from '../../src/core/llm/memory-text.js';
import { collectMetrics } from '../../src/app/observe/metrics.js';
import { renderPrometheus } from '../../src/core/observe/prometheus.js';
import { rolloutHead, rolloutLine, tokenCountLine } from '../helpers/codex-rollout.js';

const line = (id: string, out: number, model = 'claude-sonnet-4-5-20250929') =>
  JSON.stringify({
    type: 'assistant',
    requestId: `req_${id}`,
    message: { id, model, usage: { input_tokens: 1000, output_tokens: out, cache_read_input_tokens: 0 } },
  }) + '\n';

test('a Claude lead: its transcript is read incrementally, a partial line waits, a streamed copy grows its call once', async () => {
  const f = await createFakeRuntime({ lead: claude, start: Date.now() });
  try {
    f.rt.baseEnv.ANTHROPIC_API_KEY = 'sk-ant-test';
    const dir = join(f.rt.sessionDir, 'lead', 'claude-config', 'projects', '-repo');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'session.jsonl');
    writeFileSync(file, line('msg_1', 1) + line('msg_1', 40) + line('msg_2', 10, 'mystery-model').slice(0, 30));
    const files = createUsageFiles();
    assert.equal(collectUsage(f.rt, files), 1);
    assert.equal(collectUsage(f.rt, files), 0, 'nothing new: nothing added');
    // The rest of the partial line, then a later copy of msg_1 with a larger count.
    appendFileSync(file, line('msg_2', 10, 'mystery-model').slice(30) + line('msg_1', 60));
    assert.equal(collectUsage(f.rt, files), 2);
    const rows = f.store.usage().list(f.rt.sid);
    assert.deepEqual(
      rows.map((r) => [r.worker, r.agent, r.model, r.input, r.output, r.bucket, r.source, r.approximate]),
      [
        ['lead', 'claude', 'claude-sonnet-4-5-20250929', 1000, 60, 'api', 'session-files', false],
        ['lead', 'claude', 'mystery-model', 1000, 10, 'api', 'session-files', false],
      ],
    );
    assert.equal(rows[0]!.costUsd, (1000 * 3 + 60 * 15) / 1_000_000);
    assert.equal(rows[1]!.costUsd, null, 'an unknown model has no cost');
    const v = sessionUsage(f.store, f.rt.sid);
    assert.equal(v.totals.total, 2070);
    assert.equal(v.buckets.api.calls, 2);
    const text = renderUsage(v);
    assert.match(text, /^WORKER +AGENT +TOKENS .*\nlead +claude +2\.1k +2\.0k +70 +0 +0 +2 +>= \$0\.0039/m);
    assert.match(text, /^mystery-model +1\.0k +1\.0k +10 +0 +0 +1 +unknown$/m);
    assert.match(text, /^subscription \(would cost\) +0 +0 +0 +0 +0 +0 +\$0\.0000$/m);
    assert.equal(workerUsage(f.store, f.rt.sid).get('lead')!.cost, '>= $0.0039 (some models unpriced)');
    const status = sessionStatus(f.store, f.rt.sid);
    assert.match(status.usage.line, /^usage: 2\.1k tokens/);
    assert.equal(status.usage.lead!.tokens, 2070);
    const report = await buildReport(f.rt, 'done', 'test');
    assert.match(renderReport(report), /usage: 2\.1k tokens.*\n {2}lead: 2\.1k tokens/);
    const episode = renderEpisode({ report, lead: 'claude', startedAt: 0, endedAt: 0, failures: [] });
    assert.match(episode, /\n- usage: 2\.1k tokens \(in 2\.0k, out 70, cache 0\), API >= \$0\.0039/);
    const metrics = renderPrometheus(collectMetrics(f.store.stats(), f.store.usage()));
    assert.match(
      metrics,
      /crewmux_tokens_total\{session="s1fake00",worker="lead",agent="claude",model="mystery-model",kind="output"\} 10/,
    );
    assert.match(metrics, /crewmux_cost_usd_total\{bucket="api"\} 0\.0039/);
  } finally {
    f.cleanup();
  }
});

test('a Codex lead: the rollout whose cwd is its worktree is read, another session rollout is not; its quota shows', async () => {
  const f = await createFakeRuntime({ lead: codex, start: Date.now() });
  try {
    const home = join(f.dir, 'codex-home');
    f.rt.baseEnv.CODEX_HOME = home;
    const d = new Date();
    const day = join(
      home,
      'sessions',
      String(d.getFullYear()),
      String(d.getMonth() + 1).padStart(2, '0'),
      String(d.getDate()).padStart(2, '0'),
    );
    mkdirSync(day, { recursive: true });
    const turn = (input: number, total: number) =>
      tokenCountLine(input, total, { rate_limits: { primary: { used_percent: total / 10, window_minutes: 300 } } });
    writeFileSync(join(day, 'rollout-a.jsonl'), rolloutHead(f.rt.integrationWorktree) + turn(100, 107));
    writeFileSync(join(day, 'rollout-b.jsonl'), rolloutLine('session_meta', { cwd: '/elsewhere' }) + turn(999, 1006));
    const files = createUsageFiles();
    assert.equal(collectUsage(f.rt, files), 1);
    appendFileSync(join(day, 'rollout-a.jsonl'), turn(100, 107) + turn(200, 314));
    assert.equal(collectUsage(f.rt, files), 1);
    const rows = f.store.usage().list(f.rt.sid);
    assert.deepEqual(
      rows.map((r) => [r.worker, r.agent, r.model, r.input, r.output, r.bucket]),
      [
        ['lead', 'codex', 'gpt-5-codex', 100, 7, 'subscription'],
        ['lead', 'codex', 'gpt-5-codex', 200, 7, 'subscription'],
      ],
    );
    assert.equal(sessionStatus(f.store, f.rt.sid).usage.quota, 'quota: lead (codex) primary 31% of 300 min');
    assert.equal(sessionUsage(f.store, f.rt.sid).quota, 'quota: lead (codex) primary 31% of 300 min');
  } finally {
    f.cleanup();
  }
});
