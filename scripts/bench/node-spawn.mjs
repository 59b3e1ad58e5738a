// Bench (issue 20): spawn on a worker node beside a local spawn, event latency node -> lead, and bytes moved per node
// spawn, on the 2,000-file repository of `npm run bench`, in the real-OpenSSH lab of the e2e tests
// (test/helpers/netns-ssh.ts: network namespaces, sshd, a Unix user per node) with one node. The built crewmux runs a
// session in the lab's lead namespace whose lead is scripts/bench/node-spawn-lead.mjs; everything the lab started is
// stopped by PID and removed by `lab.close()`. Needs root and `ip netns`; `nodeBenchSkipReason()` says why not.
// Build first; run alone with `node scripts/bench.mjs --nodes` (BENCH_NODE_RUNS: spawns of each kind, default 5).
// BENCH_NODE_CLONE=1 adds a git-ignored node_modules of 1,000 files (about 2 MB) listed in `worktree.clone`, and prints
// the bytes its clone moved to the node at the first node spawn and later (a cache hit: 0); off by default, since
// the clone then counts in every spawn above.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createSshLab, sshLabSkipReason } from '../../dist/test/helpers/netns-ssh.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => `${x.toFixed(0)} ms`;
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

/** Why the node bench cannot run here (the lab's reason), or undefined. */
export function nodeBenchSkipReason() {
  return sshLabSkipReason();
}

/** The 2,000-file repository of scripts/bench.mjs (about 5 MB), with a verify command for the bench lead. */
function makeRepo(repo, env) {
  const git = (...a) => execFileSync('git', a, { cwd: repo, env, encoding: 'utf8' });
  mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  for (let i = 0; i < 2000; i++) {
    const folder = join(repo, 'src', `m${i % 40}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.ts`), `// file ${i}\n${'export const x = 1;\n'.repeat(125)}`);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
}

/** Runs the node bench (lab with one node) and prints its figures; `runs` spawns of each kind. */
export async function benchNodeSpawn(runs = Number(process.env.BENCH_NODE_RUNS) || 5) {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-bench-nodes-'));
  chmodSync(dir, 0o700);
  const lab = await createSshLab({ nodes: 1 });
  const socket = `crewmux-bench-nodes-${process.pid}`;
  const [n0] = lab.nodes;
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@crewmux.invalid',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@crewmux.invalid',
    CREWMUX_DATA_DIR: join(dir, 'data'),
    CREWMUX_CONFIG_DIR: join(dir, 'cfg'),
    CREWMUX_RUNTIME_DIR: join(dir, 'run'),
    CREWMUX_TMUX_SOCKET: socket,
    CREWMUX_TMUX_CONFIG: '/dev/null',
    CREWMUX_SSH_COMMAND: lab.sshCommand,
  };
  try {
    mkdirSync(env.CREWMUX_CONFIG_DIR, { mode: 0o700 });
    writeFileSync(
      join(env.CREWMUX_CONFIG_DIR, 'config.json'),
      JSON.stringify({ nodes: { n0: { host: n0.ip, user: n0.user } } }),
      { mode: 0o600 },
    );
    const repo = join(dir, 'repo-2000');
    makeRepo(repo, env);
    const clone = process.env.BENCH_NODE_CLONE === '1';
    if (clone) {
      writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
      for (let i = 0; i < 1000; i++) {
        const pkg = join(repo, 'node_modules', `pkg${i % 50}`);
        mkdirSync(pkg, { recursive: true });
        writeFileSync(join(pkg, `f${i}.js`), `// module ${i}\n${'module.exports.x = 1;\n'.repeat(100)}`);
      }
    }
    const out = join(dir, 'bench-out.json');
    mkdirSync(join(repo, '.crewmux'));
    writeFileSync(
      join(repo, '.crewmux', 'config.json'),
      JSON.stringify({
        agents: {
          'bench-node-lead': {
            command: process.execPath,
            args: [join(root, 'scripts', 'bench', 'node-spawn-lead.mjs')],
            prompt: 'file',
            env: {
              BENCH_OUT: out,
              BENCH_REPO: repo,
              BENCH_RUNS: String(runs),
              BENCH_NODE_DATA: join(n0.home, '.local', 'share', 'crewmux', 'node'),
              BENCH_LEAD_IF: n0.leadIf,
              BENCH_IP: ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip',
            },
          },
        },
        verify: ['git status --short'],
        ...(clone ? { worktree: { clone: ['node_modules'] } } : {}),
      }),
    );
    execFileSync('git', ['-C', repo, 'add', '.crewmux', ...(clone ? ['.gitignore'] : [])], { env });
    execFileSync('git', ['-C', repo, 'commit', '-q', '-m', 'bench config'], { env });
    const started = Date.now();
    const r = await lab.runInLead(
      [
        process.execPath,
        join(root, 'bin', 'crewmux.js'),
        'run',
        '--goal',
        'node benchmark',
        '--lead',
        'bench-node-lead',
        '--agents',
        'scripted-worker',
        '--no-attach',
        '--wait',
        '--trust-repo-config',
        '--timeout',
        '600',
      ],
      { env, cwd: repo, timeoutMs: 660_000 },
    );
    if (r.code !== 0) {
      console.error(r.stdout.split('\n').slice(-40).join('\n'), r.stderr);
      throw new Error(`the node bench session failed (exit ${r.code})`);
    }
    const b = JSON.parse(readFileSync(out, 'utf8'));
    const local = pct(b.local, 50);
    const onNode = pct(b.node, 50);
    console.log(
      `spawn on a worker node (real OpenSSH lab, one node), 2,000-file repo, session took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    console.log(
      `  spawn_worker -> worker running, local (n=${b.local.length}): p50 ${ms(local)}  [${b.local.map(ms).join(', ')}]`,
    );
    console.log(
      `  spawn_worker -> worker running, on the node (n=${b.node.length}): p50 ${ms(onNode)}  [${b.node.map(ms).join(', ')}]`,
    );
    console.log(`  ratio node / local p50: ${(onNode / local).toFixed(2)}x`);
    console.log(
      `  event latency, done.flag written on the node -> wait_for_worker returns on the lead host (n=${b.event.length}): p50 ${ms(pct(b.event, 50))}  [${b.event.map(ms).join(', ')}]`,
    );
    console.log(
      `  bytes moved per node spawn, git pack and loose objects stored on the node: first ${kb(b.packBytes[0])}, later p50 ${kb(pct(b.packBytes.slice(1), 50))}`,
    );
    console.log(
      `  bytes moved per node spawn, all traffic on the node's link (ssh, RPC, pack; both ways): first ${kb(b.linkBytes[0])}, later p50 ${kb(pct(b.linkBytes.slice(1), 50))}`,
    );
    if (clone) {
      // What each node spawn's bootstrap said (bootstrap.prepared): the bytes the node_modules clone moved.
      const db = new Database(join(env.CREWMUX_DATA_DIR, 'state.db'), { readonly: true });
      const sent = db
        .prepare(`SELECT data FROM events WHERE type = 'bootstrap.prepared' ORDER BY id`)
        .all()
        .map((e) => JSON.parse(e.data).nodeClone?.[0])
        .filter(Boolean);
      db.close();
      const bytes = sent.map((o) => o.bytesSent);
      console.log(
        `  worktree.clone node_modules (1,000 files, ${kb(sent[0]?.bytes ?? 0)}) to the node: first spawn sent ${kb(bytes[0] ?? 0)}, later p50 ${kb(pct(bytes.slice(1), 50) ?? 0)}  [${sent.map((o) => o.outcome).join(', ')}]`,
      );
    }
    if (b.endRefused) console.log(`  note: mark_goal_done was refused: ${b.endRefused}`);
  } finally {
    // The session's tmux server ran in the lead namespace (stopped by lab.close, by PID); then the bench's files.
    await lab.close();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log('kept', dir);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const why = nodeBenchSkipReason();
  if (why) console.log(`node bench skipped: needs root and ip netns (${why})`);
  else await benchNodeSpawn();
}
