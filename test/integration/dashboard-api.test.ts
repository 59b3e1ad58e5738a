/**
 * The dashboard's HTTP surface with inject() over a real SQLite file: the token, Host and Origin
 * guard, security headers, every JSON endpoint against its data, a real git diff, a real tmux pane
 * tail, the pane-log fallback, OpenAPI, and /metrics with MCP call stats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createToolStats } from '../../src/app/observe/tool-stats.js';
import { createRepo, createTestEnv, eventually, git, type TestEnv } from '../helpers/env.js';
import { seedSession, seedWorker } from '../helpers/dashboard-seed.js';
import { DASHBOARD_TOKEN, testDashboard } from '../helpers/test-dashboard.js';

const TOKEN = DASHBOARD_TOKEN;

const setup = (t: TestEnv) => testDashboard(t);

test('every request needs the token, a loopback Host and no foreign Origin; all answers carry security headers', async () => {
  const t = createTestEnv();
  const d = setup(t);
  try {
    seedSession(d.store, { id: 'sabc' });
    for (const url of [
      '/',
      '/app.js',
      '/style.css',
      '/healthz',
      '/api/sessions',
      '/api/sessions/sabc',
      '/api/docs',
      '/metrics',
      '/api/sessions/sabc/events',
      '/nope',
    ]) {
      const r = await d.app.inject({ url });
      assert.equal(r.statusCode, 401, `${url} without a token`);
      assert.doesNotMatch(r.body, /<html|<title>|sabc|function/);
      const wrong = await d.app.inject({ url: `${url}?token=${TOKEN}x` });
      assert.equal(wrong.statusCode, 401, `${url} with a wrong token`);
    }
    const ok = await d.app.inject({ url: `/healthz?token=${TOKEN}` });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { ok: true, sessions: 1 });
    assert.equal(
      (await d.app.inject({ url: '/healthz', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
      200,
    );
    const bad = [
      { host: 'evil.example:80' },
      { host: '127.0.0.1.evil.example' },
      { host: 'localhost:80', origin: 'http://evil.example' },
      { host: 'localhost:80', origin: 'null' },
      { host: 'localhost:80', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of bad)
      assert.equal(
        (await d.app.inject({ url: `/healthz?token=${TOKEN}`, headers })).statusCode,
        403,
        JSON.stringify(headers),
      );
    assert.equal(
      (
        await d.app.inject({
          url: `/healthz?token=${TOKEN}`,
          headers: { host: 'localhost:80', origin: 'http://localhost:80' },
        })
      ).statusCode,
      200,
    );
    for (const r of [
      ok,
      await d.app.inject({ url: '/healthz' }),
      await d.app.inject({ url: `/nope?token=${TOKEN}` }),
    ]) {
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'.*frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['x-frame-options'], 'DENY');
    }
    const page = await d.app.inject({ url: `/?token=${TOKEN}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`app\\.js\\?token=${TOKEN}`));
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('over a real socket, the Host must name the listening port', async () => {
  const t = createTestEnv();
  const d = setup(t);
  try {
    await d.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (d.app.server.address() as { port: number }).port;
    const ok = await fetch(`http://127.0.0.1:${port}/healthz?token=${TOKEN}`);
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`http://localhost:${port}/healthz?token=${TOKEN}`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 401);
    // A rebinding page reaches the socket with its own Host (another name, or another port).
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/healthz?token=${TOKEN}`, headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    assert.equal(await withHost(`127.0.0.1:${port}`), 200);
    assert.equal(await withHost(`127.0.0.1:${port + 1}`), 403);
    assert.equal(await withHost(`attacker.example:${port}`), 403);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('sessions, detail, workers, verify results, output fallback and diff; no secret leaves', async () => {
  const t = createTestEnv();
  const d = setup(t);
  try {
    const repo = createRepo(t);
    const base = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '-q', '-b', 'crewmux/sabc/w01-implementer');
    writeFileSync(join(repo, 'added.txt'), 'hello from w01\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'w01 work');
    git(repo, 'checkout', '-q', 'main');
    seedSession(d.store, { id: 'sabc', repo, baseCommit: base, goal: '<b>bold</b> goal' });
    const log = join(t.dir, 'pane.log');
    writeFileSync(log, 'first\r\n\u001b[31mred text\u001b[0m\r\nprogress 10%\rprogress 100%\n');
    seedWorker(d.store, 'sabc', 1, { base_commit: base, log_file: log });
    d.store.updateWorker('sabc', 'w01', {
      notes: ['halfway'],
      radar: { integration: ['a.ts'], workers: { w02: ['b.ts'] }, key: 'k' },
      summary: 'did it',
    });
    const v = d.store.startVerify('sabc', base, ['npm test']);
    d.store.finishVerify(v, 'passed', [
      { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 12, outputFile: '/x', tail: 'ok' },
    ]);
    const get = (url: string) => d.app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}token=${TOKEN}` });

    const list = (await get('/api/sessions')).json();
    assert.deepEqual(
      list.sessions.map((s: { id: string; workerCount: number }) => [s.id, s.workerCount]),
      [['sabc', 1]],
    );
    const detailRes = await get('/api/sessions/sabc');
    const detail = detailRes.json();
    assert.equal(detail.session.goal, '<b>bold</b> goal');
    assert.equal(detail.workers[0].summary, 'did it');
    assert.deepEqual(detail.workers[0].notes, ['halfway']);
    assert.deepEqual(detail.workers[0].radar, { integration: ['a.ts'], workers: { w02: ['b.ts'] } });
    assert.equal(detail.verifies[0].status, 'passed');
    assert.equal(detail.verifies[0].results[0].tail, 'ok');
    assert.equal(detail.report, null);
    for (const secret of ['lead-token-secret', 'worker-token-secret', 'nonce-1'])
      assert.ok(!detailRes.body.includes(secret), `${secret} leaked`);
    assert.equal((await get('/api/sessions/sabc/workers')).json().workers[0].id, 'w01');
    // The detail is memoized, but any write shows at once.
    d.store.updateWorker('sabc', 'w01', { state: 'done' });
    assert.equal((await get('/api/sessions/sabc')).json().workers[0].state, 'done');

    const out = (await get('/api/sessions/sabc/workers/w01/output?lines=3')).json();
    assert.equal(out.source, 'log');
    assert.equal(out.text, 'red text\nprogress 10%\nprogress 100%');
    const diff = (await get('/api/sessions/sabc/workers/w01/diff')).json();
    assert.match(diff.stat, /added\.txt/);
    assert.match(diff.patch, /\+hello from w01/);
    assert.equal(diff.truncated, false);

    assert.equal((await get('/api/sessions/nope')).statusCode, 404);
    assert.equal((await get('/api/sessions/sabc/workers/w09/output')).statusCode, 404);
    assert.equal((await get('/api/sessions/sabc/workers/..%2f/diff')).statusCode, 400);
    assert.equal((await get('/api/sessions/sabc/workers/w01/output?lines=0')).statusCode, 400);
    assert.equal((await get('/api/sessions/nope/events')).statusCode, 404);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test("a worker's output comes from its live tmux pane on the session's socket", async () => {
  const t = createTestEnv();
  const d = setup(t);
  try {
    t.tmux(
      'new-session',
      '-d',
      '-s',
      'crewmux-sabc',
      '-x',
      '120',
      '-y',
      '30',
      "printf '\\033[32mhello from the pane\\033[0m\\n'; sleep 60",
    );
    const pane = t.tmux('list-panes', '-t', '=crewmux-sabc', '-F', '#{pane_id}').trim();
    seedSession(d.store, { id: 'sabc', tmuxSocket: t.socket });
    seedWorker(d.store, 'sabc', 1, { pane_id: pane });
    const out = await eventually(
      'pane text',
      async () => {
        const o = (await d.app.inject({ url: `/api/sessions/sabc/workers/w01/output?token=${TOKEN}` })).json();
        return o.text.includes('hello from the pane') ? o : undefined;
      },
      5000,
    );
    assert.equal(out.source, 'pane');
    assert.doesNotMatch(out.text, /\u001b/);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('/api/docs is an OpenAPI document of every route; /metrics counts workers, spawns, verifies, MCP calls, tokens and cost; the session shows usage', async () => {
  const t = createTestEnv();
  const d = setup(t);
  try {
    seedSession(d.store, { id: 'sabc' });
    seedWorker(d.store, 'sabc', 1);
    seedWorker(d.store, 'sabc', 2, { state: 'merged' });
    d.store.addEvent('sabc', 'w01', 'worker.spawned', 'w01 spawned');
    d.store.addEvent('sabc', 'w02', 'worker.spawned', 'w02 spawned');
    d.store.addEvent('sabc', 'w02', 'worker.merged', 'w02 merged');
    d.store.startVerify('sabc', 'abc', ['true']);
    const stats = createToolStats(d.stats, 'sabc');
    stats.record('spawn_worker', 3, false);
    stats.record('spawn_worker', 700, true);
    stats.record('list_workers', 1, false);
    stats.close();
    const call = { session: 'sabc', agent: 'claude', model: 'claude-sonnet-4-5', cacheRead: 0, cacheWrite: 0 };
    const more = { reasoning: 0, source: 'session-files', approximate: false, ts: 1 } as const;
    d.store.usage().add([
      { ...call, ...more, key: 'a', worker: 'w01', input: 100, output: 10, costUsd: 0.25, bucket: 'api' },
      { ...call, ...more, key: 'b', worker: 'w01', input: 50, output: 5, costUsd: 0.5, bucket: 'api' },
      { ...call, ...more, key: 'c', worker: 'lead', input: 7, output: 1, costUsd: null, bucket: 'subscription' },
    ]);

    const doc = (await d.app.inject({ url: `/api/docs?token=${TOKEN}` })).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/healthz',
      '/api/sessions',
      '/api/sessions/{id}',
      '/api/sessions/{id}/workers',
      '/api/sessions/{id}/workers/{wid}/output',
      '/api/sessions/{id}/workers/{wid}/diff',
      '/api/sessions/{id}/events',
      '/metrics',
    ])
      assert.ok(doc.paths[p], `${p} documented`);
    assert.equal(doc.paths['/api/sessions/{id}'].get.responses[200].content['application/json'].schema.type, 'object');

    const detail = (await d.app.inject({ url: `/api/sessions/sabc?token=${TOKEN}` })).json();
    assert.deepEqual(detail.usage.workers.w01, { tokens: 165, costUsd: 0.75, cost: '$0.7500' });
    assert.deepEqual(detail.usage.workers.lead, { tokens: 8, costUsd: null, cost: 'unknown' });
    assert.deepEqual(detail.usage.total, { tokens: 173, costUsd: null, cost: '>= $0.7500 (some models unpriced)' });
    assert.match(detail.usage.line, /^usage: 173 tokens .*API \$0\.7500, subscription would cost unknown$/);
    const m = await d.app.inject({ url: `/metrics?token=${TOKEN}` });
    assert.match(String(m.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const line of [
      'crewmux_sessions{status="running"} 1',
      'crewmux_workers{state="running"} 1',
      'crewmux_workers{state="merged"} 1',
      'crewmux_worker_spawns_total{result="ok"} 2',
      'crewmux_merges_total{result="merged"} 1',
      'crewmux_verifies_total{status="running"} 1',
      'crewmux_mcp_calls_total{tool="spawn_worker",outcome="ok"} 1',
      'crewmux_mcp_calls_total{tool="spawn_worker",outcome="error"} 1',
      'crewmux_mcp_call_duration_seconds_bucket{tool="spawn_worker",le="0.005"} 1',
      'crewmux_mcp_call_duration_seconds_bucket{tool="spawn_worker",le="0.5"} 1',
      'crewmux_mcp_call_duration_seconds_bucket{tool="spawn_worker",le="1"} 2',
      'crewmux_mcp_call_duration_seconds_bucket{tool="spawn_worker",le="+Inf"} 2',
      'crewmux_mcp_call_duration_seconds_count{tool="list_workers"} 1',
      'crewmux_mcp_call_duration_seconds_sum{tool="spawn_worker"} 0.703',
      'crewmux_tokens_total{session="sabc",worker="w01",agent="claude",model="claude-sonnet-4-5",kind="input"} 150',
      'crewmux_tokens_total{session="sabc",worker="w01",agent="claude",model="claude-sonnet-4-5",kind="output"} 15',
      'crewmux_tokens_total{session="sabc",worker="lead",agent="claude",model="claude-sonnet-4-5",kind="input"} 7',
      'crewmux_cost_usd_total{bucket="api"} 0.75',
      'crewmux_cost_usd_total{bucket="subscription"} 0',
    ])
      assert.ok(m.body.split('\n').includes(line), `metrics has: ${line}\n${m.body}`);
  } finally {
    await d.close();
    t.cleanup();
  }
});
