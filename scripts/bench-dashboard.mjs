#!/usr/bin/env node
// Dashboard bench (build first: npx tsc -p tsconfig.json). Seeds a state database with one session of
// 32 workers, serves the dashboard on 127.0.0.1, and measures:
//  1. GET /api/sessions/:id requests per second and p50/p99 latency, from a keep-alive load generator
//     in a worker thread (its own event loop), for BENCH_SECONDS (default 5) after a 1 s warm-up;
//  2. event-to-page latency: an event row appended to SQLite until the page in headless chromium
//     shows it (skipped when /usr/bin/chromium is missing).
// Usage: node scripts/bench-dashboard.mjs [--json]. Everything is bounded in time and cleaned up.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openStore } from '../dist/src/adapters/state/store.js';
import { staticReader } from '../dist/src/compose/dashboard-static.js';
import { createGit } from '../dist/src/adapters/git/git.js';
import { createTmux } from '../dist/src/adapters/tmux/tmux.js';
import { buildDashboard } from '../dist/src/dashboard/build-dashboard.js';
import { seedSession, seedWorker } from '../dist/test/helpers/dashboard-seed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 30);
const WORKERS = 32;
const TOKEN = 'bench-token-0123456789abcdef';
const json = process.argv.includes('--json');

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (n) => Math.round(n * 100) / 100;

const dir = mkdtempSync(join(tmpdir(), 'crewmux-bench-dash-'));
const store = openStore(join(dir, 'state.db'));
const sid = 'sbench';
seedSession(store, { id: sid, goal: 'bench goal' });
for (let i = 1; i <= WORKERS; i++) {
  seedWorker(store, sid, i, { state: i % 3 === 0 ? 'done' : 'running' });
  store.updateWorker(sid, `w${String(i).padStart(2, '0')}`, {
    notes: ['started', 'halfway there', 'tests written'],
    radar: { integration: i % 5 ? [] : ['src/a.ts'], workers: {}, key: 'k' },
    summary: `summary ${i}`,
  });
}
for (let i = 0; i < 200; i++) store.addEvent(sid, null, 'bench.seed', `seed event ${i}`);
const build = (detailCache) =>
  buildDashboard({
    store,
    stats: store.stats(),
    git: createGit(),
    tmuxFor: (s) => createTmux({ socket: s ?? undefined }),
    token: TOKEN,
    pollMs: 100,
    detailCache,
    readStatic: staticReader(),
    version: 'bench',
  });
const app = build(true);
await app.listen({ host: '127.0.0.1', port: 0 });
const port = app.server.address().port;
const uncached = build(false);
await uncached.listen({ host: '127.0.0.1', port: 0 });
const results = { workers: WORKERS, connections: CONNECTIONS, seconds: SECONDS, node: process.version };

// 1. Throughput and latency of the session detail, from another thread.
const loadSource = `
const { parentPort, workerData: d } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: d.connections });
const get = () => new Promise((resolve, reject) => {
  const t0 = performance.now();
  http.get({ host: '127.0.0.1', port: d.port, path: d.path, agent }, (res) => {
    res.resume();
    res.on('end', () => res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error('HTTP ' + res.statusCode)));
  }).on('error', reject);
});
(async () => {
  const warmEnd = Date.now() + 1000;
  const end = warmEnd + d.seconds * 1000;
  const lat = [];
  let errors = 0;
  await Promise.all(Array.from({ length: d.connections }, async () => {
    while (Date.now() < end) {
      try { const ms = await get(); if (Date.now() > warmEnd) lat.push(ms); } catch { errors++; }
    }
  }));
  agent.destroy();
  parentPort.postMessage({ lat, errors });
})();`;
const runLoad = (port) =>
  new Promise((resolve, reject) => {
    const w = new Worker(loadSource, {
      eval: true,
      workerData: { port, path: `/api/sessions/${sid}?token=${TOKEN}`, connections: CONNECTIONS, seconds: SECONDS },
    });
    const killer = setTimeout(
      () => {
        void w.terminate();
        reject(new Error('load generator overran'));
      },
      (SECONDS + 30) * 1000,
    );
    w.once('message', (m) => {
      clearTimeout(killer);
      void w.terminate();
      resolve(m);
    });
    w.once('error', reject);
  });
const bytes = (await app.inject({ url: `/api/sessions/${sid}?token=${TOKEN}`, headers: { host: `127.0.0.1:${port}` } }))
  .body.length;
const summarize = (load) => {
  const lat = load.lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    errors: load.errors,
    rps: round(lat.length / SECONDS),
    p50Ms: round(pct(lat, 50)),
    p99Ms: round(pct(lat, 99)),
    responseBytes: bytes,
  };
};
// Idle session (what a page polling a quiet run costs) and every request recomputed (a busy run).
results.detail = summarize(await runLoad(port));
results.detailUncached = summarize(await runLoad(uncached.server.address().port));
await uncached.close();

// 2. Event row -> visible in the page.
if (existsSync('/usr/bin/chromium')) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/?token=${TOKEN}#/s/${sid}`);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-worker="w32"]').waitFor({ timeout: 15_000 });
    // The page stamps when each marker appears (wall clock), so CDP round trips do not count.
    await page.evaluate(() => {
      window.__seen = {};
      new MutationObserver(() => {
        for (const li of document.querySelectorAll('#events li')) {
          const m = /bench-mark-(\d+)/.exec(li.textContent);
          if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = performance.timeOrigin + performance.now();
        }
      }).observe(document.getElementById('events'), { childList: true });
    });
    const lags = [];
    for (let i = 0; i < EVENTS; i++) {
      const t0 = performance.timeOrigin + performance.now();
      store.addEvent(sid, null, 'bench.mark', `bench-mark-${i}`);
      await page.waitForFunction((k) => k in window.__seen, String(i), { timeout: 10_000, polling: 20 });
      lags.push((await page.evaluate((k) => window.__seen[k], String(i))) - t0);
      await new Promise((r) => setTimeout(r, 37 + (i % 5) * 13)); // spread over the poll phase
    }
    lags.sort((a, b) => a - b);
    results.eventToPage = {
      events: lags.length,
      pollMs: 100,
      p50Ms: round(pct(lags, 50)),
      p99Ms: round(pct(lags, 99)),
      maxMs: round(lags[lags.length - 1]),
    };
  } finally {
    await browser.close();
  }
} else {
  results.eventToPage = 'skipped: /usr/bin/chromium is missing';
}

await app.close();
store.close();
rmSync(dir, { recursive: true, force: true });
if (json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(
    `GET /api/sessions/:id with ${WORKERS} workers, ${CONNECTIONS} keep-alive connections, ${SECONDS} s: ` +
      `${results.detail.rps} req/s, p50 ${results.detail.p50Ms} ms, p99 ${results.detail.p99Ms} ms, ${results.detail.errors} errors (${results.detail.responseBytes} bytes each)`,
  );
  console.log(
    `  same, recomputed on every request (no cache, as when the run writes constantly): ${results.detailUncached.rps} req/s, ` +
      `p50 ${results.detailUncached.p50Ms} ms, p99 ${results.detailUncached.p99Ms} ms, ${results.detailUncached.errors} errors`,
  );
  console.log(
    typeof results.eventToPage === 'string'
      ? `event -> page: ${results.eventToPage}`
      : `event -> page (SSE poll ${results.eventToPage.pollMs} ms): p50 ${results.eventToPage.p50Ms} ms, p99 ${results.eventToPage.p99Ms} ms over ${results.eventToPage.events} events`,
  );
}
