/**
 * What the supervisor holds while a session runs: the adapters, the session's ids and directories, the
 * agent table and the event log. Use cases (spawn, turns, kill, goal) take a Runtime.
 */
import type { Store } from './ports/store.js';
import type { SessionRow, RunOptions, VerifyRow, WorkerRow } from '../core/session/rows.js';
import type { PaneGate, Tmux } from './ports/tmux.js';
import type { Git } from './ports/git.js';
import type { ProcessRunner } from './ports/process-runner.js';
import type { Config } from '../core/session/config-schema.js';
import type { Clock } from '../core/clock.js';
import type { AgentTable } from './agents/agent-table.js';
import type { EventLog } from './session/events.js';
import type { Paths } from './session/paths.js';
import type { ConfiguredVerify } from './session/repo-config.js';
import { ToolError } from '../core/errors.js';
import type { TextCompleter } from './llm/summarize.js';
import type { Memory } from './llm/memory.js';
import type { WorktreeFiles } from './ports/worktree-files.js';
import type { CloneFolders } from './ports/clone-folders.js';
import type { WorktreePool } from './workers/pool.js';
import type { UsageCollector } from './usage/collect.js';
import type { MachineMemory } from './ports/machine-memory.js';
import type { BudgetStops, BudgetTracker } from './usage/budget.js';
import type { GateRoundRow, ReviewRow } from './ports/review.js';
import type { WorkerRuntime } from './ports/worker-runtime.js';
import type { NodeSpec } from '../core/nodes/node-config.js';
import type { NodeHold } from '../core/nodes/placement.js';
import type { NodeRuntime } from './nodes/node-runtime.js';

export interface Runtime {
  sid: string;
  store: Store;
  tmux: Tmux;
  /** The start gate of agent panes; default the named pipe (workers/panes.ts FIFO_GATE). */
  paneGate?: PaneGate;
  git: Git;
  /** Every child process (verify commands, stopping agents) goes through here. */
  runner: ProcessRunner;
  paths: Paths;
  config: Config;
  /**
   * The verify commands configured when the session started (from the user's checkout, trusted), used when the
   * lead passes none; unset: config.verify only. Never re-read from the integration worktree.
   */
  configuredVerify?: ConfiguredVerify;
  agents: AgentTable;
  events: EventLog;
  options: RunOptions;
  /** Set once the MCP server listens. */
  mcpUrl: string;
  tmuxSession: string;
  repoRoot: string;
  sessionDir: string;
  worktreesDir: string;
  integrationWorktree: string;
  integrationBranch: string;
  /** Environment forwarded into agent panes (also what agent launch entries read, e.g. API keys). */
  baseEnv: Record<string, string>;
  /** The user's HOME, from which some agents' crewmux-owned config dirs are seeded. */
  userHome: string;
  now(): number;
  /** Time for waits and deadlines (the system clock outside tests). */
  clock: Clock;
  /** Set by the monitor; lets use cases react without importing it. */
  hooks: { workerStarted(w: WorkerRow): void; workerStopped(workerId: string): void; sessionEnding(): void };
  /** Turn completions in progress, by worker id (one at a time per worker). */
  completing: Map<string, Promise<WorkerRow | undefined>>;
  /** Workers crewmux is stopping right now; the monitor leaves them alone (their exit is not a crash). */
  stopping: Set<string>;
  /** Finished verify results up to this id are not reused by verify (set by clear_tool_results). */
  verifyForgotten?: number;
  /** Verify runs in progress, by verify id. */
  verifyRuns: Map<number, Promise<VerifyRow>>;
  /** The model router for summaries (compaction, recap, report); undefined outside a supervisor. */
  router?: TextCompleter;
  /** Project and global memory; undefined outside a supervisor. */
  memory?: Memory;
  /**
   * True once the lead holding MCP token `token` has listed crewmux's tools (tools/list); set by the supervisor
   * from its MCP server. Unset: never known (the lead's prompt is then typed after the bounded wait).
   */
  leadToolsListed?: (token: string) => boolean;
  /** The file work of worktree bootstraps (app/worktrees/); unset: worktrees are not bootstrapped (unit tests). */
  worktreeFiles?: WorktreeFiles;
  /** Fingerprints of the user's `worktree.clone` folders, for sending them to nodes (app/nodes/node-clone.ts). */
  cloneFolders?: CloneFolders;
  /** conductor.json's `scripts.setup` from the trusted snapshot (used when `worktree.setup` is unset). */
  conductorSetup?: string;
  /** The integration worktree's bootstrap, started once per supervisor (app/worktrees/session-worktrees.ts). */
  integrationPrepared?: Promise<{ env: Record<string, string>; ok: boolean; tail: string } | undefined>;
  /** Ready worktrees at the integration head (worktree.pool); spawn_worker takes one when it can. */
  pool?: WorktreePool;
  /** Reads the agents' usage files into the usage table; undefined outside a supervisor. */
  usage?: UsageCollector;
  /** The machine's memory for admission and peak RSS (app/workers/admission.ts); unset: every worker is admitted. */
  machine?: MachineMemory;
  /** Expected bytes of admitted workers whose rows do not count yet (admission.ts), by hold. */
  memoryHeld?: Map<object, number>;
  /** The pass starting queued workers, while one runs (one at a time). */
  queueRun?: Promise<void>;
  /**
   * Workers placed on each node (app/nodes/placement.ts) that its free memory may not show yet, by node name: held
   * from the placement until the node's free memory drops by them or the worker ends.
   */
  nodeHolds?: Map<string, NodeHold[]>;
  /** When the memory queue may next ask the nodes for room for its head (ms, rt.now()); unset: at once. */
  queueNodesAt?: number;
  /** When the monitor last sampled the workers' RSS (ms). */
  peaksSampledAt?: number;
  /** The budgets' warnings and excesses fired so far (app/usage/budget.ts); created on the first check. */
  budget?: BudgetTracker;
  /** What a budget excess does (app/usage/budget-stops.ts); set by the composition root, the check cannot import it. */
  budgetStops: BudgetStops;
  /** Reviews waiting for a verdict (app/review/verdicts.ts), by review id; created on first use. */
  reviewRuns?: Map<number, Promise<ReviewRow>>;
  /** The review gate round in progress (app/review/gate.ts). */
  gateRun?: { round: number; run: Promise<GateRoundRow> };
  /** The session's worker runtimes other than local, by name (app/workers/worker-runtimes.ts); created on first use. */
  workerRuntimes?: Map<string, WorkerRuntime>;
  /** Builds the runtime of a configured SSH node (app/nodes/node-runtime.ts); unset: no node can run workers. */
  newNodeRuntime?: (name: string, spec: NodeSpec) => NodeRuntime;
  /** Lets the MCP server accept a relayed loopback port's Host header (a node's forward); set by the supervisor. */
  allowMcpHost?: (hostPort: string) => void;
  /**
   * The MCP server's Unix socket (0600, in crewmux's 0700 runtime dir), where nodes' relays lead; set by the
   * supervisor when it listens there.
   */
  mcpSocket?: string;
  /** Set by the first endSession call before any step of the ending runs; later calls await it. Never rejects. */
  ending?: Promise<void>;
}

/** The session row of `rt`; throws a plain (internal) Error when the row has vanished from the store. */
export function session(rt: Runtime): SessionRow {
  const s = rt.store.getSession(rt.sid);
  if (!s) throw new Error(`session ${rt.sid} vanished from the store`);
  return s;
}

/** The worker row, or a ToolError the lead can act on. */
export function getWorkerOrFail(rt: Runtime, workerId: string): WorkerRow {
  const w = rt.store.getWorker(rt.sid, workerId);
  if (!w) {
    const known = rt.store.listWorkers(rt.sid).map((x) => x.id);
    throw new ToolError(
      `Error: unknown worker id "${workerId}". Known workers: ${known.length ? known.join(', ') : 'none yet'}. Call list_workers to see them.`,
    );
  }
  return w;
}

// Defined with the other paths, which `crewmux status` loads without this module.
export { workerDir } from './session/paths.js';
