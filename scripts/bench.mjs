#!/usr/bin/env node
// `npm run bench`: runs one real session (tmux on a private socket, git, SQLite, MCP over HTTP) whose
// lead is scripts/bench/bench-lead.mjs, and prints crewmux's figures beside the raw cost of the same
// operations measured in the same run. Targets are printed with the figures; missing one is reported,
// not hidden. Bounded: the run has --timeout 600.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createGit } from '../dist/src/adapters/git/git.js';
import { benchBootstrap } from './bench/bootstrap.mjs';
import { benchUsage } from './bench/usage-bench.mjs';
import { benchApiLead } from './bench/api-lead-bench.mjs';
import { benchNodeSpawn, nodeBenchSkipReason } from './bench/node-spawn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'crewmux-bench-'));
const socket = `crewmux-bench-${process.pid}`;
const identity = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@crewmux.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@crewmux.invalid',
};
const env = {
  ...process.env,
  ...identity,
  CREWMUX_DATA_DIR: join(dir, 'data'),
  CREWMUX_CONFIG_DIR: join(dir, 'cfg'),
  CREWMUX_RUNTIME_DIR: join(dir, 'run'),
  CREWMUX_TMUX_SOCKET: socket,
  CREWMUX_TMUX_CONFIG: '/dev/null',
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8' }).trim();

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (ms) => `${ms.toFixed(1)} ms`;
const verdict = (ok) => (ok ? 'target met' : 'TARGET MISSED');

/** A repository with a README, shared.txt and `files` more files of about 2.5 KB in 40 folders. */
function makeRepo(name, files = 0) {
  const repo = join(dir, name);
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  for (let i = 0; i < files; i++) {
    const folder = join(repo, 'src', `m${i % 40}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.ts`), `// file ${i}\n${'export const x = 1;\n'.repeat(125)}`);
  }
  writeFileSync(join(repo, 'shared.txt'), 'line 1\nline 2\nline 3\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');
  return repo;
}

/** Prints spawn_worker's figures from a bench session beside the raw cost, and where its time goes. */
function printSpawn(label, b, target) {
  const spawnRun = b.spawn.map((s) => s.runningMs);
  const spawnCall = b.spawn.map((s) => s.callMs);
  const rawP50 = pct(b.raw, 50);
  console.log(`spawn_worker -> worker process running, ${label} (n=8)`);
  console.log(
    `  p50 ${f(pct(spawnRun, 50))}  p95 ${f(pct(spawnRun, 95))}   (spawn_worker call returns: p50 ${f(pct(spawnCall, 50))})`,
  );
  console.log(
    `  raw git worktree add + tmux split-window of the same agent, until it runs: p50 ${f(rawP50)}  p95 ${f(pct(b.raw, 95))}`,
  );
  const ratio = pct(spawnRun, 50) / rawP50;
  console.log(`  ratio p50 ${ratio.toFixed(2)}x  (target <= ${target}x: ${verdict(ratio <= target)})`);
  // Where the time goes: the cumulative marks spawn_worker records in its worker.spawned event.
  const db = new Database(join(dir, 'data', 'state.db'), { readonly: true });
  const marks = db
    .prepare("SELECT data FROM events WHERE type = 'worker.spawned' AND session_id = ? ORDER BY id LIMIT 8")
    .all(b.sessionId)
    .map((r) => JSON.parse(r.data));
  db.close();
  const pooled = marks.filter((m) => m.pooled).length;
  const parked = marks.filter((m) => m.parkedPane).length;
  console.log(
    `  worktrees taken from the warm pool: ${pooled} of ${marks.length}; agents started in a parked pane: ${parked}`,
  );
  marks.splice(0, marks.length, ...marks.map((m) => m.ms ?? {}));
  // Milliseconds since spawn_worker began at the end of each step (app/workers/spawn.ts), in the order they end:
  // head, listing and extras run alongside each other, so each has its own mark.
  const p50Of = (k) =>
    pct(
      marks.map((m) => m[k] ?? 0),
      50,
    );
  const steps = [...new Set(marks.flatMap((m) => Object.keys(m)))].sort((a, b) => p50Of(a) - p50Of(b));
  if (steps.length)
    console.log(
      `  inside spawn_worker, ms since the call began, p50: ${steps.map((k) => `${k} ${p50Of(k).toFixed(1)}`).join(', ')}`,
    );
  if (b.poolWaits?.length)
    console.log(
      `  the lead waited for the pool to be idle before each spawn and raw step (no refill running): p50 ${f(pct(b.poolWaits, 50))}  max ${f(Math.max(...b.poolWaits))}`,
    );
  return pct(spawnRun, 50);
}

/** One bench session on `repo` (its lead is scripts/bench/bench-lead.mjs); the lead's figures and the wall time. */
function benchSession(repo, name, onlySpawn) {
  const out = join(dir, `bench-out-${name}.json`);
  const agent = (script, e) => ({
    command: node,
    args: [join(root, 'scripts', 'bench', script)],
    prompt: 'file',
    env: e,
  });
  mkdirSync(join(repo, '.crewmux'));
  writeFileSync(
    join(repo, '.crewmux', 'config.json'),
    JSON.stringify({
      agents: {
        'bench-lead': agent('bench-lead.mjs', {
          BENCH_OUT: out,
          BENCH_TMUX_SOCKET: socket,
          BENCH_REPO: repo,
          BENCH_DIR: dir,
          BENCH_ONLY_SPAWN: onlySpawn ? '1' : '',
        }),
        // The idle agent is a shell line, so "process running" is measured without node's start-up cost.
        'bench-idle': {
          command: '/bin/sh',
          args: ['-c', 'date +%s%3N > "$(dirname "$CREWMUX_PROMPT_FILE")/started-at.txt"; exec sleep 100000'],
          prompt: 'file',
        },
        'bench-flag': agent('bench-worker.mjs', { BENCH_MODE: 'flag' }),
        'bench-mcp': agent('bench-worker.mjs', { BENCH_MODE: 'mcp' }),
      },
      // The bench lead's verify runs this configured command (verify runs only configured ones).
      verify: ['git status --short'],
    }),
  );
  const started = Date.now();
  const r = spawnSync(
    node,
    [
      join(root, 'bin', 'crewmux.js'),
      'run',
      '--goal',
      'benchmark',
      '--lead',
      'bench-lead',
      '--agents',
      'bench-idle,bench-flag,bench-mcp,scripted-worker',
      '--max-workers',
      '40',
      '--no-attach',
      '--wait',
      // The bench wrote this repo's config itself.
      '--trust-repo-config',
      '--timeout',
      '600',
    ],
    { cwd: repo, env, encoding: 'utf8' },
  );
  if (r.status !== 0) {
    console.error(
      r.stdout
        .split('\n')
        .filter((l) => !l.includes('worker.'))
        .slice(-40)
        .join('\n'),
      r.stderr,
    );
    throw new Error(`the bench session failed (exit ${r.status})`);
  }
  return { b: JSON.parse(readFileSync(out, 'utf8')), started };
}

// `node scripts/bench.mjs --spawn`: only the spawn figures (toy repo and 2,000-file repo), about a minute.
const onlySpawn = process.argv.includes('--spawn');

/**
 * CLI start-up, a hyperfine-style loop: whole processes, `crewmux --help` and `crewmux status` (of the latest session
 * in the data dir) interleaved with a bare `node -e 0`, `n` runs each after two warm-up rounds. Command modules load
 * lazily (src/cli/commands/index.ts), `--help` is precomputed and `status` skips yargs (src/cli/fast-args.ts). On a
 * loaded machine compare the ratios to `node -e 0`, not the absolute times.
 */
function benchStartup(repo, n) {
  const runs = [
    ['node -e 0', ['-e', '0']],
    ['crewmux --help', [join(root, 'bin', 'crewmux.js'), '--help']],
    ['crewmux status', [join(root, 'bin', 'crewmux.js'), 'status']],
  ].map(([label, args]) => ({ label, args, xs: [] }));
  for (let i = 0; i < n + 2; i++)
    for (const r of runs) {
      const t = performance.now();
      const res = spawnSync(node, r.args, { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`${r.label} failed (exit ${res.status}): ${res.stderr}`);
      if (i >= 2) r.xs.push(performance.now() - t);
    }
  const bare = pct(runs[0].xs, 50);
  console.log(`CLI start-up (n=${n} each, interleaved):`);
  console.log(`  node -e 0: p50 ${f(bare)}  p95 ${f(pct(runs[0].xs, 95))}`);
  for (const r of runs.slice(1)) {
    const p50 = pct(r.xs, 50);
    console.log(
      `  ${r.label}: p50 ${f(p50)}  p95 ${f(pct(r.xs, 95))}  (${(p50 / bare).toFixed(2)}x node -e 0; target p50 < 200 ms: ${verdict(p50 < 200)})`,
    );
  }
}

/** Part 6 (scripts/bench/node-spawn.mjs): spawn on an SSH node, in the real-OpenSSH lab; needs root and ip netns. */
async function benchNodes() {
  const why = nodeBenchSkipReason();
  if (why) console.log(`node bench skipped: needs root and ip netns (${why})`);
  else await benchNodeSpawn();
}

// `node scripts/bench.mjs --nodes`: only the worker-node figures (a lab with one node, about a minute).
if (process.argv.includes('--nodes')) {
  try {
    await benchNodes();
  } finally {
    cleanUp();
  }
  process.exit(0);
}

// `node scripts/bench.mjs --startup`: only the start-up figures, with a seeded session for `status` (seconds).
if (process.argv.includes('--startup')) {
  try {
    const repo = makeRepo('repo');
    const { openStore } = await import('../dist/src/adapters/state/store.js');
    const { seedSession, seedWorker } = await import('../dist/test/helpers/dashboard-seed.js');
    mkdirSync(env.CREWMUX_DATA_DIR, { recursive: true, mode: 0o700 });
    const store = openStore(join(env.CREWMUX_DATA_DIR, 'state.db'));
    seedSession(store, { id: 'bench-startup', repo, goal: 'start-up bench' });
    for (let i = 1; i <= 8; i++) seedWorker(store, 'bench-startup', i, { state: i % 2 ? 'done' : 'running' });
    store.close();
    console.log(`crewmux start-up bench (${new Date().toISOString()}, ${process.platform}, node ${process.version})`);
    benchStartup(repo, Number(process.env.BENCH_STARTUP_RUNS) || 20);
  } finally {
    cleanUp();
  }
  process.exit(0);
}

try {
  // Part 1: a real session driven by the bench lead.
  const repo = makeRepo('repo');
  const { b, started } = benchSession(repo, 'toy', onlySpawn);
  console.log(
    `crewmux bench (${new Date().toISOString()}, ${process.platform}, node ${process.version}), session took ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  printSpawn('toy repo', b, 1.3);
  if (onlySpawn) {
    const bigOnly = benchSession(makeRepo('repo-2000', 2000), 'big', true).b;
    const p50 = printSpawn('2,000-file repo', bigOnly, 0.15);
    console.log(`  target p50 <= 100 ms: ${verdict(p50 <= 100)}`);
    cleanUp();
    process.exit(0);
  }
  for (const mode of ['flag', 'mcp']) {
    const xs = b[`done_${mode}`];
    console.log(
      `done detection via ${mode === 'flag' ? 'done.flag' : 'worker_done'} -> wait_for_worker returns (n=${xs.length}): p50 ${f(pct(xs, 50))}  p95 ${f(pct(xs, 95))}  (target p50 <= 50 ms: ${verdict(pct(xs, 50) <= 50)})`,
    );
  }
  console.log(
    `list_workers round trip, 16 live workers (n=${b.listWorkers.length}): p50 ${f(pct(b.listWorkers, 50))}  p95 ${f(pct(b.listWorkers, 95))}  (target p50 <= 5 ms: ${verdict(pct(b.listWorkers, 50) <= 5)})`,
  );
  console.log(
    `  the same with the pool idle again (n=${b.listWorkersIdle.length}): p50 ${f(pct(b.listWorkersIdle, 50))}  p95 ${f(pct(b.listWorkersIdle, 95))}`,
  );
  console.log(
    `32 concurrent scripted workers, spawn to all done: ${(b.wall32Ms / 1000).toFixed(2)} s; supervisor peak RSS ${(b.supervisorPeakRssKb / 1024).toFixed(0)} MB (target < 250 MB: ${verdict(b.supervisorPeakRssKb / 1024 < 250)})`,
  );
  console.log(`merge_worker (n=8): p50 ${f(pct(b.merges, 50))}  p95 ${f(pct(b.merges, 95))}`);
  if (b.endRefused) console.log(`note: mark_goal_done was refused: ${b.endRefused}`);

  // Part 1b: spawn on a 2,000-file repository (about 5 MB): the pool hands out ready worktrees, so spawn stays
  // near its toy-repo cost while the raw `git worktree add` grows with the repository.
  const big = makeRepo('repo-2000', 2000);
  const { b: bigB } = benchSession(big, 'big', true);
  const bigP50 = printSpawn('2,000-file repo', bigB, 0.15);
  console.log(`  target p50 <= 100 ms: ${verdict(bigP50 <= 100)}`);

  // Part 2: raw git merge and the conflict radar's git cost on 8 finished branches, in this process.
  const repo2 = makeRepo('repo2');
  for (let i = 0; i < 8; i++) {
    git(repo2, 'checkout', '-q', '-b', `w${i}`, 'main');
    writeFileSync(join(repo2, `f${i}.txt`), `worker ${i}\n`);
    if (i % 4 === 0) writeFileSync(join(repo2, 'shared.txt'), `line 1\nchanged by ${i}\nline 3\n`);
    git(repo2, 'add', '-A');
    git(repo2, 'commit', '-q', '-m', `w${i}`);
  }
  git(repo2, 'checkout', '-q', 'main');
  const g = createGit();
  const radarStart = performance.now();
  const perWorker = [];
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    await g.conflictFiles(repo2, 'main', `w${i}`);
    for (let j = i + 1; j < 8; j++) await g.conflictFiles(repo2, `w${i}`, `w${j}`);
    perWorker.push(performance.now() - t);
  }
  const radarTotal = performance.now() - radarStart;
  const rawMerge = [];
  for (let i = 0; i < 8; i++) {
    if (i % 4 === 0 && i > 0) continue; // would conflict with w0; skip as crewmux would refuse it
    const t = performance.now();
    spawnSync('git', ['merge', '--no-ff', '--no-edit', '-q', `w${i}`], { cwd: repo2, env });
    rawMerge.push(performance.now() - t);
  }
  console.log(
    `raw git merge --no-ff (n=${rawMerge.length}): p50 ${f(pct(rawMerge, 50))}   merge_worker / raw p50: ${(pct(b.merges, 50) / pct(rawMerge, 50)).toFixed(2)}x`,
  );
  console.log(
    `conflict radar, 8 finished workers (8 vs integration + 28 pairs, git merge-tree): total ${f(radarTotal)}, per worker p50 ${f(pct(perWorker, 50))}, per merge-tree ${f(radarTotal / 36)}`,
  );

  // Part 3: the worktree bootstrap phases on a fixture with a 20,000-file node_modules.
  await benchBootstrap(dir, env);

  // Part 4: CLI start-up (benchStartup above).
  benchStartup(repo, 10);
  // Part 3: what usage adds to list_workers, and one collection pass (scripts/bench/usage-bench.mjs).
  benchUsage(dir);
  // Part 4: what the API lead's loop adds to each tool round trip (scripts/bench/api-lead-bench.mjs).
  await benchApiLead(dir);
  // Part 6: worker nodes (scripts/bench/node-spawn.mjs), or the line saying why it was skipped.
  await benchNodes();
} finally {
  cleanUp();
}

function cleanUp() {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    /* none */
  }
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log('kept', dir);
}
