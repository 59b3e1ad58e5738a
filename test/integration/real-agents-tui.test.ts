/**
 * The five pinned real agent CLIs, each in its TUI inside tmux on a private socket, launched with
 * crewmux's registry entries against the scripted fake model server and a stand-in crewmux MCP server.
 * For each CLI: the worker launch runs with no dialog, writes a file with the CLI's own file tool and
 * calls worker_done; the lead launch walks spawn_worker … mark_goal_done (reacting to a refusal).
 * A CLI that is not installed is skipped with a message. CREWMUX_RECORD_PANES=1 re-records
 * test/fixtures/panes/<agent>/<state>.txt (or CREWMUX_PANES_DIR/<agent>/<state>.txt). CREWMUX_AGENTS=claude,codex
 * limits the CLIs; CREWMUX_AGENT_BIN_DIR puts other binaries first on PATH (the canary's latest releases).
 * All five CLIs live in this one file so that they run strictly one at a time (2 shared cores).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { exec } from '../../src/adapters/process/exec.js';
import { which } from '../../src/adapters/process/which.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { secureTestBase } from '../helpers/env.js';
import { detectStatus } from '../../src/core/workers/status-detect.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { createStandInMcp } from '../fakes/stand-in-mcp.js';
import { agentPath, seedUserHome } from '../helpers/agent-homes.js';
import { startAgentTui, type AgentTui } from '../helpers/agent-tui.js';
import { waitFor } from '../helpers/wait.js';
import { ASK_TWEAKS } from '../helpers/ask-tweaks.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
// CREWMUX_PANES_DIR records somewhere else (scripts/canary.mjs records the latest releases into a temp dir).
const fixturesDir = process.env.CREWMUX_PANES_DIR ?? join(repoRoot, 'test', 'fixtures', 'panes');
const PATH = agentPath(repoRoot, ['/usr/local/bin', '/usr/bin', '/bin'].join(delimiter));
const RECORD = process.env.CREWMUX_RECORD_PANES === '1';
const ONLY = process.env.CREWMUX_AGENTS?.split(',');
const AGENTS = ['claude', 'codex', 'gemini', 'qwen', 'opencode'].filter((a) => !ONLY || ONLY.includes(a));
const RUN_MS = Number(process.env.CREWMUX_RUN_MS ?? 150_000);

const tmux = createTmux({ socket: `crewmux-test-${process.pid}`, configFile: '/dev/null' });
let fake: FakeModelServer;
let seq = 0;

before(async () => {
  fake = createFakeModelServer();
  await fake.listen();
});
after(async () => {
  await tmux.killServer();
  await fake.close();
});

function record(agent: string, state: string, text: string): void {
  if (!RECORD) return;
  mkdirSync(join(fixturesDir, agent), { recursive: true });
  writeFileSync(join(fixturesDir, agent, `${state}.txt`), text.replace(/\s+$/, '') + '\n');
}

/** Resolves when two captures `ms` apart are equal (the TUI settled). */
async function settled(tui: AgentTui, ms = 1500): Promise<string> {
  let prev = '';
  return waitFor(
    'a settled pane',
    async () => {
      const now = await tui.capture();
      const same = now === prev && now.trim() !== '';
      prev = now;
      return same ? now : undefined;
    },
    30_000,
    ms,
  );
}

// Gemini CLI and Qwen Code ignore a system settings file below a group/world-writable directory such
// as /tmp, so agent state lives under the repo's (ignored) test-artifacts/, like crewmux's own dirs.
const stateBase = secureTestBase();

/** Asserts every key of `was` is in `now` with the same value (recursively). */
function assertSubset(was: unknown, now: unknown, where: string): void {
  if (was && typeof was === 'object' && !Array.isArray(was)) {
    assert.ok(now && typeof now === 'object', `${where} is still an object`);
    for (const [k, v] of Object.entries(was)) assertSubset(v, (now as Record<string, unknown>)[k], `${where}.${k}`);
  } else {
    assert.deepEqual(now, was, `${where} kept its value`);
  }
}

/** Every file under `dir` with its lines (the user's own config, before a run). */
function snapshot(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out.set(
        p,
        readFileSync(p, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
    }
  }
  return out;
}

async function workspace(): Promise<{ root: string; ws: string; home: string; state: string; stateRoot: string }> {
  const root = mkdtempSync(join(tmpdir(), 'crewmux-agents-'));
  mkdirSync(stateBase, { recursive: true, mode: 0o755 });
  const stateRoot = mkdtempSync(join(stateBase, 'agent-state-'));
  const ws = join(root, 'ws');
  mkdirSync(ws);
  const home = join(root, 'home');
  mkdirSync(home);
  const git = (...a: string[]) => exec('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...a], { cwd: ws });
  await git('init', '-q');
  writeFileSync(join(ws, 'README.md'), '# test workspace\n');
  await git('add', '-A');
  await git('commit', '-qm', 'init');
  return { root, ws, home, state: join(stateRoot, 'state'), stateRoot };
}

function binaryOf(agent: string): string | undefined {
  const p = findAgent(agent);
  return p?.binaries.map((b) => which(b, PATH)).find(Boolean);
}

async function run(agent: string, role: 'lead' | 'worker', prompt: string, opts: { ask?: boolean } = {}) {
  const profile = findAgent(agent)!;
  const binary = binaryOf(agent)!;
  const w = await workspace();
  const token = randomBytes(16).toString('hex');
  const captures: { busy?: string } = {};
  // eslint-disable-next-line prefer-const -- assigned inside a callback declared before it
  let tui: AgentTui | undefined;
  const mcp = createStandInMcp({
    token,
    beforeWorkerDone: async () => {
      if (tui) captures.busy = await tui.capture();
    },
  });
  await mcp.listen();
  const userEnv = seedUserHome(agent, w.home, fake.url);
  const userFiles = snapshot(w.home);
  tui = await startAgentTui({
    tmux,
    session: `t${++seq}-${agent}-${role}`,
    profile,
    binary,
    role,
    prompt,
    cwd: w.ws,
    stateDir: w.state,
    home: w.home,
    userEnv,
    mcpUrl: mcp.url,
    mcpToken: token,
    path: PATH,
    tweak: opts.ask ? ASK_TWEAKS[agent] : undefined,
  });
  const cleanup = async () => {
    await tui.stop();
    await mcp.close();
    for (const d of [w.root, w.stateRoot]) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
  };
  /**
   * The user's config files keep every key and value they had. The CLIs themselves may reformat or add
   * keys (Qwen and OpenCode rewrite their JSON), so JSON is compared as a deep subset, other files by line.
   */
  const assertUserConfigKept = () => {
    for (const [path, lines] of userFiles) {
      const now = readFileSync(path, 'utf8');
      if (path.endsWith('.json')) assertSubset(JSON.parse(lines.join('\n')), JSON.parse(now), path);
      else for (const l of lines) assert.ok(now.includes(l), `${path} still has: ${l}`);
    }
  };
  return { profile, tui, mcp, w, captures, cleanup, assertUserConfigKept };
}

const workerPrompt = (agent: string) =>
  [
    '# You are crewmux worker w1 (implementer)',
    'You work in your own git worktree. When the task is finished, call the crewmux tool worker_done with status "done".',
    '',
    '## Task',
    `Create file hello-${agent}.txt containing hello from ${agent}`,
    '',
  ].join('\n');

const leadPrompt = [
  '# You are the lead of a crewmux session',
  'Session s1. You orchestrate; you do not write code yourself.',
  '',
  '## Goal',
  'Create file goal.txt containing the goal is met',
  '',
].join('\n');

for (const agent of AGENTS) {
  describe(`real ${agent} TUI`, { concurrency: 1 }, () => {
    const bin = binaryOf(agent);
    const skip = bin ? false : `${agent} is not installed (npm install in the repo installs the pinned CLIs)`;

    test(
      `${agent} worker: no dialog, writes the file with its own tool, calls worker_done`,
      { skip, timeout: RUN_MS + 30_000 },
      async () => {
        const r = await run(agent, 'worker', workerPrompt(agent));
        try {
          const done = await waitFor(
            'worker_done',
            () => r.mcp.calls.find((c) => c.tool === 'worker_done'),
            RUN_MS,
          ).catch(async (e: Error) => {
            throw new Error(
              `${e.message}\n--- pane ---\n${await r.tui.capture()}\n--- model decisions ---\n${JSON.stringify(fake.requests.slice(-6).map((x) => x.decision))}`,
            );
          });
          assert.equal(done.args.status, 'done');
          const file = join(r.w.ws, `hello-${agent}.txt`);
          assert.ok(existsSync(file), `${file} was written by the agent`);
          assert.equal(readFileSync(file, 'utf8').trim(), `hello from ${agent}`);
          const pane = await waitFor(
            'the final answer in the pane',
            async () => {
              const t = await settled(r.tui);
              return t.includes('DONE') ? t : undefined;
            },
            60_000,
          );
          record(agent, 'ready', pane);
          if (r.captures.busy) record(agent, 'busy', r.captures.busy);
          assert.equal(detectStatus(r.profile.markers, pane), 'ready', `ready detected in:\n${pane}`);
          r.assertUserConfigKept();
        } finally {
          await r.cleanup();
        }
      },
    );

    test(
      `${agent} lead: spawn_worker, wait, merge, verify, refused mark_goal_done, list_workers, mark_goal_done`,
      { skip, timeout: RUN_MS + 30_000 },
      async () => {
        const r = await run(agent, 'lead', leadPrompt);
        try {
          await waitFor(
            'an accepted mark_goal_done',
            () => r.mcp.calls.find((c) => c.tool === 'mark_goal_done' && !c.result.startsWith('Error:')),
            RUN_MS,
          ).catch(async (e: Error) => {
            throw new Error(
              `${e.message}\ncalls: ${r.mcp.calls.map((c) => c.tool).join(', ')}\n--- pane ---\n${await r.tui.capture()}`,
            );
          });
          const tools = r.mcp.calls.map((c) => c.tool);
          assert.deepEqual(tools, [
            'spawn_worker',
            'wait_for_worker',
            'wait_for_worker',
            'merge_worker',
            'verify',
            'mark_goal_done',
            'list_workers',
            'mark_goal_done',
          ]);
          assert.match(String(r.mcp.calls[0]!.args.task), /Create file goal\.txt/);
          r.assertUserConfigKept();
        } finally {
          await r.cleanup();
        }
      },
    );

    test(
      `${agent} asks before acting when auto-approval is removed (waiting fixture)`,
      { skip: skip || (!RECORD && 'records only with CREWMUX_RECORD_PANES=1'), timeout: RUN_MS },
      async () => {
        const r = await run(agent, 'worker', workerPrompt(agent), { ask: true });
        try {
          const pane = await waitFor(
            'a question in the pane',
            async () => {
              const t = await r.tui.capture();
              return detectStatus(r.profile.markers, t) === 'waiting' ? t : undefined;
            },
            90_000,
          ).catch(async (e: Error) => {
            throw new Error(`${e.message}\n--- pane ---\n${await r.tui.capture()}`);
          });
          record(agent, 'waiting', await settled(r.tui).catch(() => pane));
        } finally {
          await r.cleanup();
        }
      },
    );
  });
}
