#!/usr/bin/env node
// Lead agent for the node bench (scripts/bench/node-spawn.mjs), run by crewmux in the SSH lab's lead namespace (as
// root, so it reads the node user's files through the shared filesystem). Alternates a local and a node spawn of the
// built-in scripted worker holding its turn open; "running" is the mtime of the file its task writes first, in its
// worktree (here, or on the node). Each node worker is then finished the way an agent finishes, its done.flag
// written on the node (owned by the node user), and wait_for_worker's return is timed from that write. Bytes moved
// per node spawn: both directions of the node's veth link (everything: ssh, RPC, git pack) and the growth of the git
// objects stored in the node's data dir (the pack). Writes the figures as JSON to $BENCH_OUT, then closes the goal.
import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCrewmux } from '../../dist/src/demo/mcp-client.js';

const c = await connectCrewmux(process.env.CREWMUX_MCP_URL, process.env.CREWMUX_MCP_TOKEN, 'bench-node-lead');
const sid = process.env.CREWMUX_SESSION_ID;
const repo = process.env.BENCH_REPO;
const nodeData = process.env.BENCH_NODE_DATA;
const n = Number(process.env.BENCH_RUNS) || 5;
const idOf = (t) => {
  const m = /worker (w\d+)/.exec(t);
  if (!m) throw new Error(`spawn_worker failed: ${t}`);
  return m[1];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const task = 'Bench.\n```file:bench-started.txt\nrunning\n```\n```hold\n```\n';

/** Resolves with the mtime (ms) of `file` once it exists (written by the scripted worker when it runs). */
async function mtimeOnceWritten(file, timeoutMs = 120_000) {
  const t = Date.now();
  for (;;) {
    try {
      return statSync(file).mtimeMs;
    } catch {
      if (Date.now() - t > timeoutMs) throw new Error(`${file} was not written within ${timeoutMs} ms`);
      await sleep(5);
    }
  }
}

/** The local worktree of worker `id` (git worktree list: its branch is crewmux/<sid>/<id>-*). */
function localWorktree(id) {
  const blocks = execFileSync('git', ['-C', repo, 'worktree', 'list', '--porcelain'], { encoding: 'utf8' }).split(
    '\n\n',
  );
  const b = blocks.find((x) => x.includes(`branch refs/heads/crewmux/${sid}/${id}-`));
  if (!b) throw new Error(`no worktree for ${id}`);
  return /^worktree (.+)$/m.exec(b)[1];
}

/** Bytes through the lead end of the node's veth link, both directions (this process runs in the lead namespace). */
function linkBytes() {
  const [l] = JSON.parse(
    execFileSync(process.env.BENCH_IP ?? 'ip', ['-s', '-j', 'link', 'show', 'dev', process.env.BENCH_LEAD_IF], {
      encoding: 'utf8',
    }),
  );
  return l.stats64.rx.bytes + l.stats64.tx.bytes;
}

/**
 * The git data stored in the node's data dir (its bare repositories; worktrees left out): pack files (`.pack`, as
 * received: index-pack keeps the pack git sent) and loose objects (a push of fewer than 100 objects is unpacked).
 * Indexes (.idx, .rev) are built on the node and not counted.
 */
function nodeObjectBytes(dir = nodeData, inObjects = false) {
  let total = 0;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (dir === nodeData && e.name === 'worktrees') continue;
      total += nodeObjectBytes(p, inObjects || e.name === 'objects');
    } else if (inObjects && e.isFile() && (e.name.endsWith('.pack') || /\/objects\/[0-9a-f]{2}$/.test(dir)))
      total += statSync(p).size;
  }
  return total;
}

const stop = async (id) => {
  await c.call('kill_worker', { worker_id: id });
  await c.call('discard_worker', { worker_id: id, reason: 'bench' });
};

// The worktree pool fills after the lead starts: give it the time a real lead's first turn takes.
await sleep(3000);
const out = { local: [], node: [], event: [], linkBytes: [], packBytes: [] };
for (let i = 0; i < n; i++) {
  // Local.
  let t0 = Date.now();
  const local = idOf((await c.call('spawn_worker', { task, agent: 'scripted-worker' })).text);
  out.local.push((await mtimeOnceWritten(join(localWorktree(local), 'bench-started.txt'))) - t0);
  await stop(local);
  await sleep(500);

  // On the node.
  const link0 = linkBytes();
  const objects0 = nodeObjectBytes();
  t0 = Date.now();
  const remote = idOf((await c.call('spawn_worker', { task, agent: 'scripted-worker', node: 'n0' })).text);
  const worktree = join(nodeData, 'worktrees', sid, remote);
  out.node.push((await mtimeOnceWritten(join(worktree, 'bench-started.txt'))) - t0);
  out.linkBytes.push(linkBytes() - link0);
  out.packBytes.push(nodeObjectBytes() - objects0);

  // Done on the node -> the lead sees it finished. The scripted worker prints "holding" once its turn is open.
  const state = join(nodeData, 'sessions', sid, remote);
  for (let k = 0; !/holding/.test(readFileSync(join(state, 'pane.log'), 'utf8')); k++) {
    if (k > 6000) throw new Error(`${remote} never held its turn`);
    await sleep(10);
  }
  const nonce = /(?:<nonce> is|with nonce) ([0-9a-f]{12})/.exec(readFileSync(join(state, 'prompt.md'), 'utf8'))[1];
  const flag = join(worktree, '.crewmux', 'done.flag');
  const owner = statSync(worktree);
  writeFileSync(`${flag}.tmp`, JSON.stringify({ nonce, status: 'done', summary: 'bench' }));
  chownSync(`${flag}.tmp`, owner.uid, owner.gid);
  const done = Date.now();
  renameSync(`${flag}.tmp`, flag);
  for (;;) {
    const r = await c.call('wait_for_worker', { worker_id: remote });
    if (!/Still running/.test(r.text)) break;
  }
  out.event.push(Date.now() - done);
  await c.call('discard_worker', { worker_id: remote, reason: 'bench' });
  await sleep(500);
}
await c.call('verify', { commands: ['git status --short'] });
const end = await c.call('mark_goal_done', { summary: 'node bench finished' });
out.endRefused = end.isError ? end.text : null;
writeFileSync(process.env.BENCH_OUT, JSON.stringify(out));
setInterval(() => {}, 1 << 30);
