#!/usr/bin/env node
// The usage part of `npm run bench` (also runnable alone: `node scripts/bench/usage-bench.mjs` after a build):
// what usage adds to list_workers with 16 workers (the grouped usage query and the per-worker views, over
// 16 x 200 recorded calls in a real SQLite file), and one incremental collection pass over 16 Claude
// transcripts with 10 new calls each (off list_workers' path: the monitor runs it every 2 s). Figures only.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../dist/src/adapters/state/store.js';
import { createUsageFiles } from '../../dist/src/adapters/usage/usage-files.js';
import { workerUsage } from '../../dist/src/app/usage/views.js';
import { parseClaudeTranscript } from '../../dist/src/core/usage/claude-transcript.js';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (ms) => `${ms.toFixed(2)} ms`;

/** Prints the usage figures; `dir` is a scratch directory it may fill. */
export function benchUsage(dir) {
  const store = openStore(join(dir, 'usage-state.db'));
  const sid = 'sbench01';
  const workers = Array.from({ length: 16 }, (_, i) => `w${String(i + 1).padStart(2, '0')}`);
  const row = (worker, k) => ({
    key: `msg_${k}:req_${k}`,
    session: sid,
    worker,
    agent: 'claude',
    model: 'claude-sonnet-4-5',
    input: 1000,
    output: 100,
    cacheRead: 5000,
    cacheWrite: 0,
    reasoning: 0,
    costUsd: 0.0045,
    bucket: 'api',
    source: 'session-files',
    approximate: false,
    ts: Date.now(),
  });
  const usage = store.usage();
  for (const w of workers) usage.add(Array.from({ length: 200 }, (_, k) => row(w, k)));
  const views = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    workerUsage(store, sid);
    views.push(performance.now() - t);
  }
  console.log(
    `usage in list_workers, 16 workers x 200 calls (n=${views.length}): adds p50 ${f(pct(views, 50))}  p95 ${f(pct(views, 95))}  (target <= 2 ms)`,
  );
  // One collection pass: 16 transcripts, 10 new calls each since the last pass.
  const files = createUsageFiles();
  const paths = workers.map((w) => {
    const d = join(dir, 'claude', w, 'projects', 'p');
    mkdirSync(d, { recursive: true });
    return join(d, 's.jsonl');
  });
  const offsets = new Map();
  const passes = [];
  for (let pass = 0; pass < 20; pass++) {
    paths.forEach((p, i) => {
      let text = '';
      for (let k = 0; k < 10; k++) {
        const id = `msg_${pass}_${k}`;
        const usageJson = { input_tokens: 1000, output_tokens: 100, cache_read_input_tokens: 5000 };
        const message = {
          id,
          model: 'claude-sonnet-4-5',
          usage: usageJson,
          content: [{ type: 'text', text: 'x'.repeat(400) }],
        };
        text += JSON.stringify({ type: 'assistant', requestId: `req_${id}`, message }) + '\n';
      }
      appendFileSync(p, text);
      void i;
    });
    const t = performance.now();
    paths.forEach((p, i) => {
      const { lines, next } = files.readLines(p, offsets.get(p) ?? 0);
      const deltas = parseClaudeTranscript(lines);
      usage.add(deltas.map((d) => ({ ...row(workers[i], 0), ...d, key: d.key })));
      offsets.set(p, next);
    });
    passes.push(performance.now() - t);
  }
  console.log(
    `usage collection pass, 16 transcripts x 10 new calls (n=${passes.length}, monitor, every 2 s, not in list_workers): p50 ${f(pct(passes, 50))}  p95 ${f(pct(passes, 95))}`,
  );
  store.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-usage-bench-'));
  try {
    benchUsage(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
