#!/usr/bin/env node
// Lead agent for `npm run bench`: measures crewmux from the lead's side of the MCP server and writes
// the figures as JSON to $BENCH_OUT, then closes the goal. Raw costs are measured in the same run.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { connectCrewmux } from '../../dist/src/demo/mcp-client.js';

const c = await connectCrewmux(process.env.CREWMUX_MCP_URL, process.env.CREWMUX_MCP_TOKEN, 'bench-lead');
const sessionDir = dirname(dirname(process.env.CREWMUX_PROMPT_FILE));
const out = {};
const tmux = (...a) =>
  execFileSync('tmux', ['-L', process.env.BENCH_TMUX_SOCKET, '-f', '/dev/null', ...a], { encoding: 'utf8' }).trim();
const idOf = (t) => /worker (w\d+)/.exec(t)[1];
const time = async (fn) => {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
};
// Throws until the file holds a whole line (the shell creates it before `date` writes).
const readNum = (id, f) => {
  const text = readFileSync(join(sessionDir, 'workers', id, f), 'utf8');
  if (!text.endsWith('\n')) throw new Error('not written yet');
  return Number(text);
};
const waitFile = async (id, f) => {
  for (;;) {
    try {
      return readNum(id, f);
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
};
// Per repository: the bench runs one session per repository in the same directory.
const tag = basename(process.env.BENCH_REPO);
const wt = (i) => join(process.env.BENCH_DIR, `raw-wt-${tag}-${i}`);

out.sessionId = process.env.CREWMUX_SESSION_ID;
// The worktree pool fills after the lead starts: give it the time a real lead's first turn takes.
await new Promise((r) => setTimeout(r, 3000));

/**
 * Waits until the session's worktree pool is idle: 2 entries (the default worktree.pool), each a `pool-<k>` worktree
 * still on its pool branch with its parked pane in the `crewmux-pool` window, and no `git worktree add` in flight (git keeps `.git/worktrees/<id>/locked` while it adds
 * one). Each spawn and each raw measurement starts from there, so neither competes with a refill's checkout (that
 * inflated the raw figure) and the raw `git worktree add` never meets the refill's: git 2.39 dies in that window
 * ("failed to read .git/worktrees/pool-3/commondir"), which crashed this lead. Gives up after 60 s.
 */
const gitDir = join(process.env.BENCH_REPO, '.git');
const poolIdle = () => {
  const read = (f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  let ids = [];
  try {
    ids = readdirSync(join(gitDir, 'worktrees'));
  } catch {
    /* none yet */
  }
  const sid = process.env.CREWMUX_SESSION_ID;
  const ready = ids.filter(
    (id) =>
      /^pool-\d+$/.test(id) && read(join(gitDir, 'worktrees', id, 'HEAD')) === `ref: refs/heads/crewmux/${sid}/${id}\n`,
  );
  const adding = ids.some((id) => read(join(gitDir, 'worktrees', id, 'locked')) !== '');
  if (ready.length < 2 || adding) return false;
  // Each ready entry also holds a parked pane (app/workers/pool-panes.ts), started after its worktree.
  const parked = tmux('list-panes', '-s', '-t', process.env.TMUX_PANE ?? '%0', '-F', '#{window_name} #{pane_dead}')
    .split('\n')
    .filter((l) => l === 'crewmux-pool 0').length;
  return parked >= 2;
};
out.poolWaits = [];
const waitPoolIdle = async () => {
  const t = performance.now();
  while (!poolIdle() && performance.now() - t < 60_000) await new Promise((r) => setTimeout(r, 20));
  out.poolWaits.push(performance.now() - t);
};

// 1. Spawn latency beside the raw cost of `git worktree add` + `tmux split-window`.
const spawn = [];
const raw = [];
const leadWindow = tmux('display-message', '-p', '-t', process.env.TMUX_PANE ?? '%0', '#{window_id}');
for (let i = 0; i < 8; i++) {
  await waitPoolIdle();
  const t0 = Date.now();
  const [ms, r] = await time(() => c.call('spawn_worker', { task: `idle ${i}`, agent: 'bench-idle' }));
  const id = idOf(r.text);
  spawn.push({ callMs: ms, runningMs: (await waitFile(id, 'started-at.txt')) - t0 });
  await c.call('kill_worker', { worker_id: id });
  await c.call('discard_worker', { worker_id: id, reason: 'bench' });
  // The same agent program as bench-idle, started by hand: worktree add + split-window, until it runs.
  const marker = join(process.env.BENCH_DIR, `raw-started-${tag}-${i}.txt`);
  await waitPoolIdle();
  const r0 = Date.now();
  execFileSync('git', [
    '-C',
    process.env.BENCH_REPO,
    'worktree',
    'add',
    '-q',
    '-b',
    `bench/raw-${tag}-${i}`,
    wt(i),
    'HEAD',
  ]);
  tmux('split-window', '-d', '-t', leadWindow, '-c', wt(i), `date +%s%3N > ${marker}; exec sleep 600`);
  // The shell creates the file before `date` writes to it: wait for a whole line.
  for (;;) {
    const text = (() => {
      try {
        return readFileSync(marker, 'utf8');
      } catch {
        return '';
      }
    })();
    if (text.endsWith('\n')) {
      raw.push(Number(text) - r0);
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  tmux('kill-pane', '-t', tmux('list-panes', '-t', leadWindow, '-F', '#{pane_id}').split('\n').at(-1));
  tmux('select-layout', '-t', leadWindow, 'tiled');
}
out.spawn = spawn;
out.raw = raw;
if (process.env.BENCH_ONLY_SPAWN) {
  await c.call('verify', { commands: ['git status --short'] });
  const end = await c.call('mark_goal_done', { summary: 'spawn bench finished' });
  out.endRefused = end.isError ? end.text : null;
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out));
  setInterval(() => {}, 1 << 30);
} else {
  // 2. Done detection: done.flag written, and worker_done called, to wait_for_worker returning.
  for (const mode of ['flag', 'mcp']) {
    const lat = [];
    for (let i = 0; i < 8; i++) {
      const id = idOf((await c.call('spawn_worker', { task: `${mode} ${i}`, agent: `bench-${mode}` })).text);
      await c.call('wait_for_worker', { worker_id: id });
      const returned = Date.now();
      lat.push(returned - readNum(id, 'done-at.txt'));
      await c.call('kill_worker', { worker_id: id });
      await c.call('discard_worker', { worker_id: id, reason: 'bench' });
    }
    out[`done_${mode}`] = lat;
  }

  // 3. list_workers round trip with 16 live workers.
  const live = [];
  for (let i = 0; i < 16; i++)
    live.push(idOf((await c.call('spawn_worker', { task: `live ${i}`, agent: 'bench-idle' })).text));
  const rt = [];
  for (let i = 0; i < 200; i++) rt.push((await time(() => c.call('list_workers')))[0]);
  out.listWorkers = rt;
  // The same once the pool has refilled after the 16 takes (its git and tmux work runs beside the first calls).
  await waitPoolIdle();
  const idle = [];
  for (let i = 0; i < 200; i++) idle.push((await time(() => c.call('list_workers')))[0]);
  out.listWorkersIdle = idle;
  for (const id of live) {
    await c.call('kill_worker', { worker_id: id });
    await c.call('discard_worker', { worker_id: id, reason: 'bench' });
  }

  // 4. 32 concurrent scripted workers from spawn to done; then merge 8 of them.
  const t32 = performance.now();
  const ids = [];
  for (let i = 0; i < 32; i++) {
    const task = `Write one file.\n\`\`\`file:bench/f${i}.txt\nbench ${i}\n\`\`\`\n`;
    ids.push(idOf((await c.call('spawn_worker', { task, agent: 'scripted-worker' })).text));
  }
  for (;;) {
    const r = await c.call('wait_for_worker', { worker_ids: ids, mode: 'all' });
    if (!/Still running/.test(r.text)) break;
  }
  out.wall32Ms = performance.now() - t32;
  const merges = [];
  for (const id of ids.slice(0, 8)) merges.push((await time(() => c.call('merge_worker', { worker_id: id })))[0]);
  out.merges = merges;
  for (const id of ids)
    if (!ids.slice(0, 8).includes(id)) await c.call('discard_worker', { worker_id: id, reason: 'bench' });
  const sup = readdirSync('/proc').find(
    (p) =>
      /^\d+$/.test(p) &&
      (() => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`supervise\0${process.env.CREWMUX_SESSION_ID}`);
        } catch {
          return false;
        }
      })(),
  );
  out.supervisorPeakRssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${sup}/status`, 'utf8'))[1]);
  out.supervisorRssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${sup}/status`, 'utf8'))[1]);
  await c.call('verify', { commands: ['git status --short'] });
  const end = await c.call('mark_goal_done', { summary: 'bench finished' });
  out.endRefused = end.isError ? end.text : null;
  writeFileSync(process.env.BENCH_OUT, JSON.stringify(out));
  setInterval(() => {}, 1 << 30);
}
