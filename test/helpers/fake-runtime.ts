/**
 * A session Runtime (app/runtime.ts) wired with the fakes, for unit tests of use cases: fake tmux with
 * the session's `lead` window (remain-on-exit on, the lead in %0) and `supervisor` window, fake git with
 * the integration branch checked out in its worktree, the fake process runner, the real store on an
 * in-memory database with a running session row, a scripted worker agent, config defaults, a temp
 * session dir and a controllable clock. Setup calls are cleared from the fakes' `calls`.
 *
 * The fakes are linked as the real systems are: a pane's process is a live pid in the runner, killTree
 * of it ends the pane, and a pane that ends removes its pid.
 */
import { budgetStops } from '../../src/app/usage/budget-stops.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../src/app/runtime.js';
import type { AgentTable } from '../../src/app/agents/agent-table.js';
import type { SqliteStore } from '../../src/adapters/state/store.js';
import type { RunOptions } from '../../src/core/session/rows.js';
import { ConfigSchema, type Config } from '../../src/core/session/config-schema.js';
import { customAgentProfile, type AgentProfile } from '../../src/core/agents/profile.js';
import { scriptedLead, scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import { integrationBranch, tmuxSessionName } from '../../src/core/session/naming.js';
import { createEventLog } from '../../src/app/session/events.js';
import { resolvePaths } from '../../src/app/session/paths.js';
import { runRequest } from '../../src/app/session/start-run.js';
import { createFakeGate, createFakeTmux, type FakeGate, type FakeTmux } from '../fakes/tmux.js';
import { createFakeGit, type FakeGit } from '../fakes/git.js';
import { createFakeRunner, type FakeRunner } from '../fakes/process-runner.js';
import { createMemoryStore } from '../fakes/store.js';
import type { Clock } from '../../src/core/clock.js';

/** A clock the test moves: `now()` is a number that changes only by `advance` or `set`. */
export interface TestClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** `sleep(ms)` moves time forward by `ms` and returns at once, so waits in use cases never block a test. */
export function createTestClock(start = 1_700_000_000_000): TestClock {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** An agent that takes its prompt typed into the pane (delivery tests): ready marker `typed agent ready`. */
export const TYPED_AGENT = 'typed-agent';

export interface FakeRuntimeOptions {
  /** Run options over the defaults of `crewmux run` (4 workers, no time limits, stuck after 600 s). */
  options?: Partial<RunOptions>;
  /** Config over the defaults (an empty config.json). */
  config?: Config;
  /** Fields of the Runtime to replace after it is built (e.g. hooks). */
  runtime?: Partial<Runtime>;
  /** Session id (default `s1fake00`). */
  sid?: string;
  /** Clock start in ms. */
  start?: number;
  /** The session's lead agent (default the scripted lead), launched from a binary path that is never run. */
  lead?: AgentProfile;
}

export interface FakeRuntime {
  rt: Runtime;
  tmux: FakeTmux;
  git: FakeGit;
  runner: FakeRunner;
  gate: FakeGate;
  store: SqliteStore;
  clock: TestClock;
  /** The temp directory holding the session dir, worktrees and repo path. */
  dir: string;
  leadPane: string;
  leadWindow: string;
  /** Worker ids passed to the hooks, in order. */
  started: string[];
  stopped: string[];
  /** Every event type emitted so far, oldest first. */
  eventTypes(): string[];
  /** Closes the store and removes the temp directory. */
  cleanup(): void;
}

export async function createFakeRuntime(o: FakeRuntimeOptions = {}): Promise<FakeRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-fake-'));
  const sid = o.sid ?? 's1fake00';
  const clock = createTestClock(o.start);
  const config = ConfigSchema.parse(o.config ?? {});
  const defaults = runRequest(config, { goal: 'a test goal', attach: false });
  const options: RunOptions = {
    maxWorkers: defaults.maxWorkers,
    workerTimeoutS: defaults.workerTimeoutS,
    timeoutS: defaults.timeoutS,
    stuckAfterS: defaults.stuckAfterS,
    toolWaitS: defaults.toolWaitS,
    agents: [scriptedWorker.name, TYPED_AGENT],
    keepSession: false,
    requireSignedSkills: false,
    attach: false,
    env: {},
    ...o.options,
  };
  const repoRoot = join(dir, 'repo');
  const worktreesDir = join(dir, 'worktrees');
  const integrationWorktree = join(worktreesDir, 'integration');
  const sessionDir = join(dir, 'sessions', sid);
  const tmuxSession = tmuxSessionName(sid);
  const branch = integrationBranch(sid);

  const tmux = createFakeTmux({ socket: 'crewmux-fake' });
  const git = createFakeGit({ root: repoRoot });
  const runner = createFakeRunner();
  const gate = createFakeGate();
  tmux.onProcessStart = (p) => runner.spawnProcess(undefined, p.pid);
  tmux.onProcessEnd = (p) => runner.exitProcess(p.pid);
  runner.onKill = (pid) => {
    const p = tmux.paneByPid(pid);
    if (p && !p.dead) tmux.exitPane(p.paneId, null, 15);
  };

  await git.addWorktree(repoRoot, integrationWorktree, branch, 'main');
  const lead = await tmux.newSession(tmuxSession, 'lead', { cwd: integrationWorktree, command: 'lead agent' });
  await tmux.setWindowOption(lead.windowId, 'remain-on-exit', 'on');
  await tmux.newWindow(tmuxSession, 'supervisor', { cwd: integrationWorktree, command: 'crewmux supervise' });
  tmux.setScreen(lead.paneId, 'lead agent ready\n');
  tmux.clearCalls();
  git.clearCalls();

  const store = createMemoryStore(clock.now);
  store.createSession({
    id: sid,
    goal: 'a test goal',
    status: 'running',
    lead_agent: (o.lead ?? scriptedLead).name,
    repo_root: repoRoot,
    base_commit: git.resolve('main')!,
    integration_branch: branch,
    integration_worktree: integrationWorktree,
    session_dir: sessionDir,
    tmux_socket: 'crewmux-fake',
    tmux_session: tmuxSession,
    mcp_port: 4555,
    lead_token: 'lead-token',
    lead_pane: lead.paneId,
    options,
    supervisor_pid: process.pid,
  });

  const agents: AgentTable = new Map([
    // The session's lead, so launchLead (start, resume) finds it.
    [scriptedLead.name, { profile: scriptedLead, binary: process.execPath }],
    ...(o.lead ? [[o.lead.name, { profile: o.lead, binary: `/usr/bin/${o.lead.name}` }] as const] : []),
    [scriptedWorker.name, { profile: scriptedWorker, binary: process.execPath }],
    [
      TYPED_AGENT,
      {
        profile: customAgentProfile(TYPED_AGENT, {
          command: 'typed-agent',
          prompt: 'type',
          ready: ['typed agent ready'],
        }),
        binary: '/usr/bin/typed-agent',
      },
    ],
  ]);
  const started: string[] = [];
  const stopped: string[] = [];
  const rt: Runtime = {
    sid,
    store,
    tmux,
    git,
    runner,
    paneGate: gate,
    paths: resolvePaths(
      {
        CREWMUX_DATA_DIR: join(dir, 'data'),
        CREWMUX_CONFIG_DIR: join(dir, 'config'),
        CREWMUX_RUNTIME_DIR: join(dir, 'run'),
      },
      dir,
      1000,
    ),
    config,
    agents,
    events: createEventLog(store, sid, clock.now),
    options,
    mcpUrl: 'http://127.0.0.1:4555/mcp',
    tmuxSession,
    repoRoot,
    sessionDir,
    worktreesDir,
    integrationWorktree,
    integrationBranch: branch,
    baseEnv: { PATH: '/usr/bin:/bin' },
    userHome: join(dir, 'home'),
    now: clock.now,
    clock,
    hooks: {
      workerStarted: (w) => started.push(w.id),
      workerStopped: (id) => stopped.push(id),
      sessionEnding: () => undefined,
    },
    budgetStops,
    completing: new Map(),
    stopping: new Set(),
    verifyRuns: new Map(),
    ...o.runtime,
  };
  return {
    rt,
    tmux,
    git,
    runner,
    gate,
    store,
    clock,
    dir,
    leadPane: lead.paneId,
    leadWindow: lead.windowId,
    started,
    stopped,
    eventTypes: () => store.eventsAfter(sid, 0, 100_000).map((e) => e.type),
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
