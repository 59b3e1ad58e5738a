#!/usr/bin/env node
// Start-to-ready time and RSS of each pinned agent CLI's TUI in a tmux pane, launched with crewmux's
// registry entries against the fake model server (offline). Build first (`npm run build`).
// Usage: node scripts/bench-agents.mjs [agent...] [--runs N]     Prints one line per agent and a table.
// "ui" = launch until the agent's ready marker first shows; "turn" = launch until a trivial first
// prompt was answered and the pane shows ready again; RSS = the pane's whole process tree after that.
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';

const root = new URL('../', import.meta.url).pathname;
const d = (p) => import(join(root, 'dist', p));
const { createTmux } = await d('src/adapters/tmux/tmux.js');
const { which } = await d('src/adapters/process/which.js');
const { processTree } = await d('src/adapters/process/process-tree.js');
const { findAgent } = await d('src/core/agents/registry.js');
const { detectStatus } = await d('src/core/workers/status-detect.js');
const { createFakeModelServer } = await d('test/fakes/fake-model-server.js');
const { createStandInMcp } = await d('test/fakes/stand-in-mcp.js');
const { seedUserHome } = await d('test/helpers/agent-homes.js');
const { startAgentTui } = await d('test/helpers/agent-tui.js');

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const names = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs');
const agents = names.length ? names : ['claude', 'codex', 'gemini', 'qwen', 'opencode'];
const PATH = [join(root, 'node_modules', '.bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
const tmux = createTmux({ socket: `crewmux-bench-${process.pid}`, configFile: '/dev/null' });

const rssKb = (pid) =>
  processTree(pid).reduce((sum, p) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return sum;
    }
  }, 0);

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fake = createFakeModelServer();
await fake.listen();
const results = [];
try {
  for (const name of agents) {
    const profile = findAgent(name);
    const binary = profile?.binaries.map((b) => which(b, PATH)).find(Boolean);
    if (!binary) {
      console.log(`${name}: not installed, skipped`);
      continue;
    }
    for (let run = 0; run < runs; run++) {
      const tmp = mkdtempSync(join(tmpdir(), 'crewmux-bench-'));
      mkdirSync(join(root, 'test-artifacts'), { recursive: true });
      const stateRoot = mkdtempSync(join(root, 'test-artifacts', 'bench-'));
      const ws = join(tmp, 'ws');
      const home = join(tmp, 'home');
      mkdirSync(ws);
      mkdirSync(home);
      execFileSync('git', ['init', '-q'], { cwd: ws });
      const token = randomBytes(8).toString('hex');
      const mcp = createStandInMcp({ token });
      await mcp.listen();
      let tui;
      try {
        const before = fake.requests.length;
        const t0 = performance.now();
        tui = await startAgentTui({
          tmux,
          session: `b-${name}-${run}`,
          profile,
          binary,
          role: 'worker',
          prompt: 'Say OK.',
          cwd: ws,
          stateDir: join(stateRoot, 'state'),
          home,
          userEnv: seedUserHome(name, home, fake.url),
          mcpUrl: mcp.url,
          mcpToken: token,
          path: PATH,
        });
        await until(
          'the ready marker',
          async () => detectStatus(profile.markers, await tui.capture()) === 'ready',
          120_000,
        );
        const ui = performance.now() - t0;
        await until(
          'the first answer',
          async () =>
            fake.requests.slice(before).some((r) => r.decision.kind === 'text' && r.decision.text === 'OK') &&
            detectStatus(profile.markers, await tui.capture()) === 'ready',
          120_000,
        );
        const turn = performance.now() - t0;
        const pid = await tui.pid();
        const rss = pid ? rssKb(pid) : 0;
        const row = {
          agent: name,
          run: run + 1,
          uiMs: Math.round(ui),
          turnMs: Math.round(turn),
          rssMb: Math.round(rss / 1024),
          processes: pid ? processTree(pid).length : 0,
        };
        results.push(row);
        console.log(
          `${name} run ${row.run}: ui ${row.uiMs} ms, first turn ${row.turnMs} ms, RSS ${row.rssMb} MB in ${row.processes} processes`,
        );
      } catch (e) {
        console.log(`${name} run ${run + 1}: FAILED ${e.message}`);
      } finally {
        await tui?.stop();
        await mcp.close();
        rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
        rmSync(stateRoot, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
      }
    }
  }
} finally {
  await tmux.killServer();
  await fake.close();
}
console.log('\nagent     ui ms  turn ms  RSS MB  procs');
for (const r of results)
  console.log(
    `${r.agent.padEnd(9)} ${String(r.uiMs).padStart(5)}  ${String(r.turnMs).padStart(7)}  ${String(r.rssMb).padStart(6)}  ${String(r.processes).padStart(5)}`,
  );
