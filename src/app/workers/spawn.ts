/**
 * spawn_worker: all-or-nothing start of a worker (after claude-squad's Instance.Start): branch and
 * worktree from the integration head, prompt file outside the worktree, pane, row; on failure each
 * step is undone in reverse order and both errors are kept.
 */
import { askHookArgv } from '../questions/ask-hook-path.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { workerBranch, workerId as workerIdOf } from '../../core/session/naming.js';
import { perspectiveInfo, PERSPECTIVES, type Perspective } from '../../core/workers/perspectives.js';
import { buildWorkerPrompt } from '../../core/workers/prompts.js';
import { isActive } from '../../core/workers/state.js';
import { ToolError } from '../../core/errors.js';
import { z } from 'zod';
import type { PaneInfo } from '../ports/tmux.js';
import { openNodeView } from '../nodes/node-view.js';
import { prepareNodeWorkerWorktree } from '../nodes/node-bootstrap.js';
import { ensureDir, readIfExists, removeFile, writeFileAtomic } from '../../adapters/system/files.js';
import type { WorkerRow } from '../../core/session/rows.js';
import type { PassCriterion } from '../../core/review/verdict.js';
import { prepareLaunch } from '../agents/launch.js';
import {
  exitStatusFile,
  openParkedPane,
  recordingExit,
  type PaneRef,
  type PaneSpec,
  type ParkedPane,
} from './panes.js';
import {
  chooseNode,
  chooseRuntime,
  isNodeRuntime,
  localRuntime,
  LOCAL_RUNTIME,
  nodeOf,
  nodeSpecOf,
  recordRuntime,
  runtimeByName,
  runtimeNameOf,
} from './worker-runtimes.js';
import { changeWorkerState } from './state-change.js';
import { workerDir, type Runtime } from '../runtime.js';
import { sessionFence } from '../session/data-fence.js';
import { adoptPooledWorktree, prepareWorkerWorktree, workerWorktreeEnv } from '../worktrees/session-worktrees.js';
import { portLockDir } from '../worktrees/prepare.js';
import { admitWorker } from './admission.js';
import { placeOnNode, type NodePlacement } from '../nodes/placement.js';
import { nodeEntries } from '../../core/nodes/node-config.js';
import { scopedCommand } from '../../core/workers/memory.js';
import { assertWithinBudget } from '../usage/budget.js';
import { deliverySignals } from './signals.js';

/** A placement on a node (app/nodes/placement.ts) with its hold on the node's room. */
export type PlacedOnNode = Extract<NodePlacement, { node: string }>;

export interface SpawnInput {
  task: string;
  perspective?: string;
  agent?: string;
  fileScope?: string[];
  passCriteria?: string;
  extraContext?: string;
  /** Structured pass_criteria (stored for the claim check and the review gate); `passCriteria` is their prompt text. */
  criteria?: PassCriterion[];
  /** Called with the worker's row before its agent starts (a review is asked of it before it can answer). */
  beforeLaunch?: (w: WorkerRow) => void;
  /** Commit or branch the worker starts from (default: the integration head); cross_review uses the author's branch. */
  startPoint?: string;
  /** Where its agent runs: `local` or a name under config `runtimes` (default config `workerRuntime`, else local). */
  runtime?: string;
  /** The SSH node its agent runs on (a name under the global config's `nodes`); the runtime named after it. */
  node?: string;
}

export interface SpawnResult {
  worker: WorkerRow;
  /** Optional prompt blocks (skills, memory) that were included. */
  included: string[];
  /** Why the worker was queued instead of started (the machine's memory did not admit it); unset: started. */
  queued?: string;
  /** Set when automatic placement put it on a node (this machine did not admit it): the node and why. */
  placed?: { node: string; why: string };
}

/** Extra prompt blocks for a worker (skills, memory); injected by the supervisor. */
export type PromptExtras = (
  input: SpawnInput & { perspective: Perspective },
) => Promise<{ title: string; text: string }[]>;

/**
 * Where a worker's agent starts: given its pane (command and environment) and its pane log, opens the pane, starts
 * the agent in it and returns it. The default splits the lead's window (`openWorkerPane`); `crewmux manual` starts
 * its one worker in the session's first pane instead.
 */
export type OpenWorkerPane = (rt: Runtime, pane: PaneSpec, logFile: string) => Promise<PaneRef>;

/** The default: the local tmux runtime (a split of the lead's window), with the session's listing when known. */
const localPane =
  (listing?: Promise<PaneInfo[]>): OpenWorkerPane =>
  async (rt, pane, logFile) => {
    // The local runtime names nothing after the worker (its pane id is the handle).
    const h = await localRuntime(rt).start({ workerId: '', ...pane, logFile }, listing);
    return { paneId: h.id, windowId: h.windowId ?? '' };
  };
const splitPane: OpenWorkerPane = localPane();

/**
 * A pool worktree's parked pane (pool-panes.ts), moved into place with the worker's command: no pane is created. When
 * that fails (its shell died since the pool checked), the parked pane goes and a new pane opens as without the pool.
 */
const parkedPane =
  (parked: ParkedPane, listing?: Promise<PaneInfo[]>): OpenWorkerPane =>
  async (rt, pane, logFile) => {
    try {
      return await openParkedPane(rt.tmux, rt.tmuxSession, parked, pane, logFile, listing, rt.paneGate);
    } catch (err) {
      rt.events.emit(
        'pool.failed',
        `worktree pool: could not start the agent in parked pane ${parked.paneId} (${(err as Error).message}); opening a new pane`,
        null,
        { what: 'parked pane' },
      );
      await rt.tmux.killPane(parked.paneId).catch(() => undefined);
      return localPane(listing)(rt, pane, logFile);
    }
  };

export const MAX_TASK_BYTES = 256 * 1024;
const token = () => randomBytes(24).toString('hex');
/** A fresh per-turn nonce: 12 random hex characters. */
export const newNonce = () => randomBytes(6).toString('hex');

/** A node's `maxWorkers`, when set, caps the session's active workers there: a ToolError when it is reached. */
function assertNodeCapacity(rt: Runtime, node: string): void {
  const max = nodeSpecOf(rt, node)?.maxWorkers;
  if (max === undefined) return;
  const there = rt.store.listWorkers(rt.sid).filter((w) => isActive(w.state) && nodeOf(rt, w) === node).length;
  if (there >= max)
    throw new ToolError(
      `Error: node ${node} already runs ${there} of this session's workers (its maxWorkers is ${max}). Spawn without node to run it here, name another node, or wait for one with wait_for_worker.`,
    );
}

/** The agent for a worker; `elsewhere`: it runs on a node, which has its own install (not checked here). */
function chooseAgent(rt: Runtime, requested?: string, elsewhere = false): string {
  const allowed = rt.options.agents;
  const name = requested ?? allowed[0];
  if (!name)
    throw new ToolError('Error: no worker agent is configured for this session. Start the run with --agents NAME.');
  const a = rt.agents.get(name);
  if (!a || !allowed.includes(name))
    throw new ToolError(
      `Error: unknown agent "${name}". Agents available to workers in this session: ${allowed.join(', ')}. Call spawn_worker again with one of them, or omit agent.`,
    );
  if (a.profile.unsupported)
    throw new ToolError(
      `Error: agent "${name}" is not supported as a worker: ${a.profile.unsupported}. Use another agent.`,
    );
  if (!a.binary && !elsewhere)
    throw new ToolError(
      `Error: agent "${name}" is not installed on this machine. Use one of: ${allowed.filter((n) => rt.agents.get(n)?.binary).join(', ')}.`,
    );
  return name;
}

/**
 * Starts worker `w`'s agent on its worktree with its prompt file: in a new pane (`openPane`, default a split of the
 * lead's window), or on the runtime its runtime.json names (worker-runtimes.ts; `openPane` is then not used).
 * `onStarted` learns how to undo the start first (for rollback). Typed prompts are delivered and confirmed before it
 * returns; on a runtime that cannot type text, an agent that needs them is refused before it starts.
 */
export async function launchWorkerAgent(
  rt: Runtime,
  w: WorkerRow,
  onStarted: (undo: () => Promise<unknown>) => void = () => undefined,
  openPane: OpenWorkerPane = splitPane,
  opts: { nodePrepared?: boolean } = {},
): Promise<void> {
  const runtimeName = runtimeNameOf(rt, w);
  const onNode = runtimeName === LOCAL_RUNTIME ? undefined : runtimeByName(rt, runtimeName);
  if (onNode && isNodeRuntime(onNode)) {
    // Its branch as the lead host has it: a restart continues from its work (its node copy may be gone).
    const baseCommit = await rt.git.revParse(rt.repoRoot, w.branch).catch(() => w.base_commit);
    // spawn_worker bootstrapped its worktree on the node before writing the prompt; a restart makes it again there.
    let prepared = opts.nodePrepared ?? false;
    if (!prepared) {
      const p = await prepareNodeWorkerWorktree(rt, w, onNode, baseCommit);
      if (p && !p.setup.ok)
        throw new Error(
          `its worktree setup on node ${onNode.node} failed ("${p.setup.failed?.command}"): ${p.setup.tail}`,
        );
      prepared = Boolean(p);
    }
    // Built on the node from its own agent install; the prompt and environment travel over the channel.
    const h = await onNode.startOnNode({
      workerId: w.id,
      agent: w.agent,
      branch: w.branch,
      baseCommit,
      prompt: readIfExists(w.prompt_file) ?? '',
      mcpUrl: rt.mcpUrl,
      mcpToken: w.token,
      // CREWMUX_PORT and CREWMUX_WORKTREE_SLUG as the node reserved them.
      env: { ...rt.baseEnv, ...workerWorktreeEnv(rt, w.id) },
      toolTimeoutS: rt.options.toolWaitS,
      doneFile: w.done_file,
      ...(prepared ? { keepWorktree: true } : {}),
    });
    onStarted(() => onNode.stop(h));
    recordRuntime(rt, w.id, runtimeName, h.id);
    // Its pane here is a live view of the agent on the node (typing in it reaches the agent).
    await openNodeView(rt, w, onNode, h);
    rt.hooks.workerStarted(rt.store.getWorker(rt.sid, w.id)!);
    return;
  }
  const agent = rt.agents.get(w.agent);
  if (!agent?.binary) throw new ToolError(`Error: agent "${w.agent}" is not installed on this machine.`);
  const stateDir = workerDir(rt, w.id);
  const launch = await prepareLaunch({
    profile: agent.profile,
    binary: agent.binary,
    // CREWMUX_PORT and CREWMUX_WORKTREE_SLUG of its worktree (recorded at spawn, so a restart gets the same).
    baseEnv: { ...rt.baseEnv, ...workerWorktreeEnv(rt, w.id) },
    git: rt.git,
    doneFile: w.done_file,
    // An agent whose workers speak ACP runs under crewmux's ACP pane process (README#acp-workers).
    ...(agent.profile.acp?.workers
      ? { acpArgs: agent.profile.acp.args, ...(agent.profile.acp.usage ? { acpUsage: true } : {}) }
      : {}),
    ctx: {
      role: 'worker',
      sessionId: rt.sid,
      workerId: w.id,
      cwd: w.worktree,
      mcpUrl: rt.mcpUrl,
      mcpToken: w.token,
      promptFile: w.prompt_file,
      stateDir,
      toolTimeoutS: rt.options.toolWaitS,
      userHome: rt.userHome,
      env: rt.baseEnv,
      askHook: askHookArgv(),
    },
  });
  if (readIfExists(w.log_file) === undefined) writeFileAtomic(w.log_file, '');
  // In its own systemd scope with a memory limit, or with a raised OOM score (README#admission-by-memory).
  const scope = rt.machine?.scope;
  const pane = scope ? { ...launch.pane, command: scopedCommand(launch.pane.command, scope) } : launch.pane;
  if (runtimeName !== LOCAL_RUNTIME) {
    const runtime = runtimeByName(rt, runtimeName);
    if (launch.prompt === 'type' && !(await runtime.capabilities()).sendText)
      throw new ToolError(
        `Error: agent "${w.agent}" takes its prompt typed, and runtime "${runtimeName}" cannot type text (its script exited 2 for send-text). Use another agent or runtime.`,
      );
    // Its exit status is saved beside its log as a pane's is, where the runtime shares this file system.
    const h = await runtime.start({
      workerId: w.id,
      cwd: pane.cwd,
      command: recordingExit(pane.command, exitStatusFile(w.log_file)),
      env: pane.env,
      logFile: w.log_file,
    });
    onStarted(() => runtime.stop(h));
    recordRuntime(rt, w.id, runtimeName, h.id);
    rt.hooks.workerStarted(rt.store.getWorker(rt.sid, w.id)!);
    if (launch.prompt === 'type')
      await runtime.sendText(h, readIfExists(w.prompt_file) ?? '', {
        readyMarkers: agent.profile.markers.ready,
        busyMarkers: agent.profile.markers.busy,
        tmpDir: stateDir,
      });
    return;
  }
  const ref = await openPane(rt, pane, w.log_file);
  onStarted(() => rt.tmux.killPane(ref.paneId));
  rt.store.updateWorker(rt.sid, w.id, { pane_id: ref.paneId, window_id: ref.windowId });
  rt.hooks.workerStarted(rt.store.getWorker(rt.sid, w.id)!);
  if (launch.prompt === 'type') {
    await localRuntime(rt).sendText({ id: ref.paneId }, readIfExists(w.prompt_file) ?? '', {
      readyMarkers: agent.profile.markers.ready,
      busyMarkers: agent.profile.markers.busy,
      signals: deliverySignals(rt, w),
      tmpDir: stateDir,
    });
  }
}

/**
 * spawn_worker, all-or-nothing: worktree and branch from the integration head (or `startPoint`), prompt file, row,
 * pane (`openPane`, default a split of the lead's window) and delivery; a failure before the pane rolls back in
 * reverse order, and every refusal or failure is a ToolError (empty or over-256 KB task, unknown perspective or agent,
 * a goal budget used up, --max-workers reached). A worker the machine's memory does not admit (admission.ts) is queued instead: its row only,
 * state `queued`, and `queued` says why; it starts when memory frees (startQueuedWorker). A worker in a pane of the
 * caller's choosing (`openPane`: crewmux manual's one worker) is never queued.
 */
export async function spawnWorker(
  rt: Runtime,
  input: SpawnInput,
  extras?: PromptExtras,
  openPane?: OpenWorkerPane,
): Promise<SpawnResult> {
  const t0 = performance.now();
  if (!input.task.trim())
    throw new ToolError('Error: the task is empty. Describe what the worker should do and call spawn_worker again.');
  if (Buffer.byteLength(input.task) > MAX_TASK_BYTES)
    throw new ToolError(
      `Error: the task is larger than ${MAX_TASK_BYTES / 1024} KB. Shorten it, or put the material in a file in the repository and name it in the task.`,
    );
  const perspective = (input.perspective ?? 'implementer') as Perspective;
  if (!PERSPECTIVES.includes(perspective))
    throw new ToolError(
      `Error: unknown perspective "${input.perspective}". Choose one of: ${PERSPECTIVES.join(', ')} (list_perspectives describes them).`,
    );
  if (input.node !== undefined && input.runtime !== undefined && input.node !== input.runtime)
    throw new ToolError(
      `Error: runtime "${input.runtime}" and node "${input.node}" disagree. Give one of them: node for an SSH node, runtime for a configured runtime.`,
    );
  const requested = openPane ? LOCAL_RUNTIME : input.node !== undefined ? chooseNode(rt, input.node) : undefined;
  // Automatic placement: only where the lead named no place and the config names no runtime.
  const automatic =
    !openPane && input.node === undefined && input.runtime === undefined && rt.config.workerRuntime === undefined;
  const nodesHere = Boolean(rt.newNodeRuntime && nodeEntries(rt.config.nodes).length);
  // An agent not installed here may still run on a node that has it (placement asks the nodes which they have).
  const agentName = chooseAgent(
    rt,
    input.agent,
    Boolean(requested && requested !== LOCAL_RUNTIME) || (automatic && nodesHere),
  );
  assertWithinBudget(rt);
  const active = rt.store.listWorkers(rt.sid).filter((w) => isActive(w.state));
  if (active.length >= rt.options.maxWorkers) {
    throw new ToolError(
      `Error: ${active.length} workers are already running or queued (the limit is --max-workers ${rt.options.maxWorkers}). Wait for one with wait_for_worker or stop one with kill_worker, then spawn again.`,
    );
  }
  const runtime = requested ?? chooseRuntime(rt, input.runtime);
  if (runtime !== LOCAL_RUNTIME) assertNodeCapacity(rt, runtime);
  const spawn = { ...input, perspective, agent: agentName };
  if (runtime === LOCAL_RUNTIME && !openPane && !rt.agents.get(agentName)?.binary) {
    // Not installed here (chooseAgent let it through for the nodes): a node that has it, or a refusal saying why.
    const placed = await placeOnNode(rt, agentName, `${agentName} is not installed on this machine`);
    if (placed?.node !== undefined) return startPlaced(rt, spawn, placed, extras, undefined, t0);
    throw new ToolError(
      `Error: agent "${agentName}" is not installed on this machine, and no node took it: ${placed?.why ?? 'no node is configured'}. Use one of: ${rt.options.agents.filter((n) => rt.agents.get(n)?.binary).join(', ')}; or install it here or on a node (crewmux node list shows each node's agents).`,
    );
  }
  // This machine's memory admits local agents only: another runtime's agent runs elsewhere.
  const admission = openPane || runtime !== LOCAL_RUNTIME ? undefined : await admitWorker(rt, agentName);
  if (admission && !admission.admit) {
    const placed = automatic
      ? await placeOnNode(rt, agentName, `this machine did not admit it (${admission.reason})`)
      : undefined;
    if (placed?.node !== undefined) return startPlaced(rt, spawn, placed, extras, undefined, t0);
    return queueWorker(rt, spawn, placed ? `${admission.reason}; ${placed.why}` : admission.reason);
  }
  try {
    return await startWorker(rt, { ...input, perspective, agent: agentName, runtime }, extras, openPane, undefined, t0);
  } finally {
    admission?.release();
  }
}

/**
 * Starts a worker where placement put it (node `placed.node`): its hold on the node's room is bound to the worker once
 * started (so the next placements count it until the node's memory shows it), released if the start failed.
 */
async function startPlaced(
  rt: Runtime,
  spawn: QueuedSpawn,
  placed: PlacedOnNode,
  extras?: PromptExtras,
  queued?: WorkerRow,
  t0?: number,
): Promise<SpawnResult> {
  let r: SpawnResult;
  try {
    r = await startWorker(rt, { ...spawn, runtime: placed.node }, extras, undefined, queued, t0, placed.why);
  } catch (e) {
    placed.hold.release();
    throw e;
  }
  placed.hold.bind(r.worker.id);
  return { ...r, placed: { node: placed.node, why: placed.why } };
}

/** What a queued worker keeps of its spawn_worker call (queued.json in its state dir), to start it later. */
const QueuedSpawnSchema = z.object({
  task: z.string(),
  perspective: z.enum(PERSPECTIVES),
  agent: z.string(),
  fileScope: z.array(z.string()).optional(),
  passCriteria: z.string().optional(),
  extraContext: z.string().optional(),
  startPoint: z.string().optional(),
  runtime: z.string().optional(),
  node: z.string().optional(),
});
type QueuedSpawn = z.infer<typeof QueuedSpawnSchema>;

const queuedFile = (rt: Runtime, id: string) => join(workerDir(rt, id), 'queued.json');

/** Records worker `spawn` as queued for memory: its row (no worktree, branch or pane yet) and its spawn input. */
function queueWorker(rt: Runtime, spawn: QueuedSpawn, reason: string): SpawnResult {
  const num = rt.store.reserveWorkerNumber(rt.sid);
  const id = workerIdOf(num);
  const stateDir = workerDir(rt, id);
  const worktree = join(rt.worktreesDir, `${id}-${spawn.perspective}`);
  writeFileAtomic(queuedFile(rt, id), JSON.stringify(spawn));
  rt.store.createWorker({
    session_id: rt.sid,
    id,
    num,
    agent: spawn.agent,
    perspective: spawn.perspective,
    task: spawn.task,
    state: 'queued',
    branch: workerBranch(rt.sid, num, spawn.perspective),
    worktree,
    pane_id: null,
    window_id: null,
    token: token(),
    nonce: newNonce(),
    prompt_file: join(stateDir, 'prompt.md'),
    log_file: join(stateDir, 'pane.log'),
    done_file: join(worktree, '.crewmux', 'done.flag'),
    pid: null,
    // Set when it starts, from the integration head of that moment.
    base_commit: '',
  });
  rt.store.updateWorker(rt.sid, id, { summary: `queued for memory: ${reason}` });
  rt.events.emit('worker.queued', `${id} queued for memory: ${reason}`, id, {
    agent: spawn.agent,
    perspective: spawn.perspective,
    reason,
  });
  return { worker: rt.store.getWorker(rt.sid, id)!, included: [], queued: reason };
}

/**
 * Where queued worker `w` may run now that this machine still does not admit it (`localReason`): a node placement
 * chose (app/nodes/placement.ts), when its spawn left the place to crewmux (no node or runtime named, none
 * configured); else undefined. Never rejects.
 */
export async function placeQueuedWorker(
  rt: Runtime,
  w: WorkerRow,
  localReason: string,
): Promise<PlacedOnNode | undefined> {
  if (rt.config.workerRuntime !== undefined) return undefined;
  const text = readIfExists(queuedFile(rt, w.id));
  let spawn: QueuedSpawn | undefined;
  try {
    spawn = text === undefined ? undefined : QueuedSpawnSchema.parse(JSON.parse(text));
  } catch {
    return undefined; // startQueuedWorker says so when it comes to start it.
  }
  if (!spawn || spawn.runtime !== undefined || spawn.node !== undefined) return undefined;
  const placed = await placeOnNode(rt, w.agent, `this machine did not admit it (${localReason})`);
  return placed?.node !== undefined ? placed : undefined;
}

/**
 * Starts queued worker `w` (admission.ts decided it fits): the rest of spawn_worker from its kept input, here or on
 * the node placement chose (`placed`, placeQueuedWorker). A failure before its pane rolls back as a spawn does and
 * leaves the worker discarded with the reason; rejects with it.
 */
export async function startQueuedWorker(
  rt: Runtime,
  w: WorkerRow,
  extras?: PromptExtras,
  placed?: PlacedOnNode,
): Promise<SpawnResult> {
  const text = readIfExists(queuedFile(rt, w.id));
  const parsed = text === undefined ? undefined : QueuedSpawnSchema.safeParse(JSON.parse(text));
  if (!parsed?.success) {
    placed?.hold.release();
    changeWorkerState(rt, w, 'discarded', 'its queued spawn input is missing or unreadable', {
      summary: 'could not start from the queue: its spawn input is missing',
    });
    throw new ToolError(`Error: queued worker ${w.id} lost its spawn input; spawn it again.`);
  }
  removeFile(queuedFile(rt, w.id));
  if (placed) return startPlaced(rt, parsed.data, placed, extras, w);
  return startWorker(rt, parsed.data, extras, undefined, w);
}

/** The start proper: worktree, row (or the queued row moved to starting), bootstrap, prompt, pane, delivery. */
async function startWorker(
  rt: Runtime,
  spawn: QueuedSpawn,
  extras?: PromptExtras,
  openPane?: OpenWorkerPane,
  queued?: WorkerRow,
  t0 = performance.now(),
  placement?: string,
): Promise<SpawnResult> {
  const input: SpawnInput = spawn;
  const { perspective, agent: agentName } = spawn;
  const num = queued?.num ?? rt.store.reserveWorkerNumber(rt.sid);
  const id = workerIdOf(num);
  const branch = workerBranch(rt.sid, num, perspective);
  let worktree = join(rt.worktreesDir, `${id}-${perspective}`);
  const stateDir = workerDir(rt, id);
  const promptFile = join(stateDir, 'prompt.md');
  const logFile = join(stateDir, 'pane.log');
  const nonce = newNonce();
  const undo: { what: string; run: () => Promise<void> | void }[] = [];
  let setupFailed = false;

  // Where the time goes (worker.spawned's `ms`, printed by the bench): milliseconds since spawn_worker began, at the
  // end of each step; the steps that run alongside each other (head, listing, extras) each mark their own end.
  const marks: Record<string, number> = {};
  const mark = (name: string) => {
    marks[name] = Math.round((performance.now() - t0) * 10) / 10;
  };
  mark('checks');
  // Ends when spawn_worker does: the pool refills only then, so its checkout does not compete with this spawn. And only
  // in a later turn of the event loop, once the caller has answered: starting the pool's first process (`git branch
  // -D`) blocks this loop until the child has exec'd (25-110 ms on a busy machine), and run as a reaction to the spawn's
  // end it held back the lead's spawn_worker answer that long.
  let spawnEnded!: () => void;
  const ended = new Promise<void>((resolve) => (spawnEnded = resolve));
  try {
    // The steps that do not need the worktree run alongside the git steps: the session's panes are listed for the
    // pane's placement, and the prompt extras (skills, memory; synchronous work) are chosen while the pool's git
    // processes hand a worktree over (they run on another core). A listing or extras failure surfaces where it is
    // awaited, as before.
    const listing = openPane ? undefined : rt.tmux.listPanes(rt.tmuxSession);
    listing?.then(() => mark('listing')).catch(() => undefined);
    // The integration head is crewmux's own branch: read from its ref file, without a process (git.ts).
    const head = await rt.git.revParse(rt.repoRoot, input.startPoint ?? rt.integrationBranch);
    mark('revParse');
    // A ready worktree from the pool when one sits at this head (never for a start point of the lead's choosing).
    // A node worker's worktree here is the lead host's mirror of its branch (fetched back when its turn ends).
    const nodeRuntime = spawn.runtime && nodeSpecOf(rt, spawn.runtime) ? runtimeByName(rt, spawn.runtime) : undefined;
    const onNode = nodeRuntime && isNodeRuntime(nodeRuntime) ? nodeRuntime : undefined;
    const taking = input.startPoint || onNode ? undefined : rt.pool?.take(head, branch, ended);
    mark('handing');
    const extrasRead = extras ? extras({ ...input, perspective }) : Promise.resolve([]);
    mark('extrasCalled');
    extrasRead.then(() => mark('extrasReady')).catch(() => undefined);
    const pooled = await taking;
    if (pooled) worktree = pooled.path;
    else await rt.git.addWorktree(rt.repoRoot, worktree, branch, head);
    undo.push({
      what: 'remove worktree',
      run: async () => {
        await rt.git.removeWorktree(rt.repoRoot, worktree, true);
        await rt.git.deleteBranch(rt.repoRoot, branch, true);
      },
    });
    // A parked pane that does not become the worker's (a rollback, another runtime's agent) must not wait forever.
    const parked = pooled?.pane;
    const dropParked = async () => {
      if (parked && rt.store.getWorker(rt.sid, id)?.pane_id !== parked.paneId) await rt.tmux.killPane(parked.paneId);
    };
    if (parked) undo.push({ what: 'close the parked pane', run: dropParked });
    mark('worktree');
    const doneFile = join(worktree, '.crewmux', 'done.flag');
    ensureDir(join(worktree, '.crewmux'));
    ensureDir(stateDir);
    if (spawn.runtime) recordRuntime(rt, id, spawn.runtime);

    const blocks = await extrasRead;
    mark('extras');

    const workerToken = token();
    if (queued) {
      rt.store.updateWorker(rt.sid, id, {
        state: 'starting',
        worktree,
        done_file: doneFile,
        base_commit: head,
        nonce,
        summary: null,
        created_at: rt.now(),
      });
      undo.push({
        what: 'leave the queue',
        run: () => void changeWorkerState(rt, rt.store.getWorker(rt.sid, id)!, 'discarded', 'could not start'),
      });
    } else {
      rt.store.createWorker({
        session_id: rt.sid,
        id,
        num,
        agent: agentName,
        perspective,
        task: input.task,
        state: 'starting',
        branch,
        worktree,
        pane_id: null,
        window_id: null,
        token: workerToken,
        nonce,
        prompt_file: promptFile,
        log_file: logFile,
        done_file: doneFile,
        pid: null,
        base_commit: head,
      });
      undo.push({ what: 'delete worker row', run: () => rt.store.deleteWorker(rt.sid, id) });
    }
    if (input.criteria?.length) rt.store.review().setWorkerCriteria(rt.sid, id, input.criteria);
    input.beforeLaunch?.(rt.store.getWorker(rt.sid, id)!);
    mark('row');

    // The bootstrap (include, clone, env, setup) before the prompt: the prompt names the worktree's port and slug.
    if (readIfExists(logFile) === undefined) writeFileAtomic(logFile, '');
    // A pool worktree was bootstrapped ahead: nothing runs now. A node worker's runs on its node (its worktree
    // there is made now, at the same head; docs/architecture.md "Worker nodes: bootstrap and usage").
    const prepared = onNode
      ? await prepareNodeWorkerWorktree(rt, { id, branch, worktree }, onNode, head)
      : pooled?.prepared
        ? adoptPooledWorktree(rt, id, worktree, pooled.prepared)
        : await prepareWorkerWorktree(rt, id, worktree, logFile);
    if (prepared && !onNode)
      undo.push({
        what: 'release ports',
        run: () => rt.worktreeFiles?.releasePorts(portLockDir(rt.paths.runtimeDir), worktree),
      });
    mark('bootstrap');
    if (prepared && !prepared.setup.ok) {
      setupFailed = true;
      const f = prepared.setup.failed!;
      const why = f.timedOut ? `timed out after ${rt.config.worktree?.setupTimeout ?? 300} s` : `exited ${f.exitCode}`;
      changeWorkerState(rt, rt.store.getWorker(rt.sid, id)!, 'setup_failed', `setup command "${f.command}" ${why}`, {
        summary: `worktree setup failed: "${f.command}" ${why}\n${prepared.setup.tail}`,
      });
      throw new ToolError(
        `Error: worker ${id}'s worktree setup failed (${prepared.setup.source}): "${f.command}" ${why}; its agent was not started. ` +
          `Last lines of the setup output:\n${sessionFence(rt)(`${id} worktree setup output`, prepared.setup.tail)}\n` +
          `The worker is setup_failed: call discard_worker ${id}, and tell the user to fix "worktree.setup" in .crewmux/config.json (its worktree ${onNode ? `on node ${onNode.node}` : worktree} is kept for a look).`,
      );
    }

    const prompt = buildWorkerPrompt({
      workerId: id,
      branch,
      perspective: perspectiveInfo(perspective),
      task: input.task,
      fileScope: input.fileScope,
      passCriteria: input.passCriteria,
      extraContext: input.extraContext,
      optional: blocks,
      nonce,
      doneFile,
      worktreeEnv: prepared?.env,
    });
    writeFileAtomic(promptFile, prompt.text);

    await launchWorkerAgent(
      rt,
      rt.store.getWorker(rt.sid, id)!,
      (run) => undo.push({ what: 'stop the agent', run: async () => void (await run()) }),
      async (r, pane, log) => {
        mark('launch');
        return (openPane ?? (parked ? parkedPane(parked, listing) : localPane(listing)))(r, pane, log);
      },
      { nodePrepared: Boolean(onNode && prepared) },
    );
    mark('pane');
    await dropParked().catch(() => undefined);
    const where = placement ? ` on node ${spawn.runtime} (placed there: ${placement})` : '';
    rt.events.emit('worker.spawned', `${id} spawned: ${agentName} as ${perspective} on ${branch}${where}`, id, {
      agent: agentName,
      perspective,
      branch,
      worktree,
      included: prompt.included,
      pooled: Boolean(pooled),
      parkedPane: Boolean(parked) && rt.store.getWorker(rt.sid, id)?.pane_id === parked?.paneId,
      runtime: spawn.runtime ?? LOCAL_RUNTIME,
      ...(placement ? { placement } : {}),
      ms: marks,
    });
    const running = changeWorkerState(rt, rt.store.getWorker(rt.sid, id)!, 'running', 'prompt delivered');
    return { worker: running ?? rt.store.getWorker(rt.sid, id)!, included: prompt.included };
  } catch (err) {
    // A failed setup is the worker's state (setup_failed), kept for the lead, not rolled back.
    if (setupFailed) throw err;
    // A failure after the pane exists is the worker's state, not a rollback: the lead sees it.
    const row = rt.store.getWorker(rt.sid, id);
    if (row?.pane_id) {
      changeWorkerState(rt, row, 'failed', `could not start: ${(err as Error).message}`, {
        summary: `start failed: ${(err as Error).message}`,
      });
      throw new ToolError(
        `Error: worker ${id} started but its prompt was not delivered (${(err as Error).message}). It is marked failed; kill_worker ${id} and spawn again, or send_to_worker to retry.`,
      );
    }
    const undoErrors: string[] = [];
    for (const step of undo.reverse()) {
      try {
        await step.run();
      } catch (e) {
        undoErrors.push(`${step.what}: ${(e as Error).message}`);
      }
    }
    rt.events.emit('worker.spawn_failed', `${id} could not be started: ${(err as Error).message}`, null, {
      undoErrors,
    });
    throw new ToolError(
      `Error: could not start worker ${id}: ${(err as Error).message}${undoErrors.length ? ` (cleanup also failed: ${undoErrors.join('; ')})` : ''}. Fix the cause or try another agent.`,
    );
  } finally {
    setImmediate(spawnEnded);
  }
}
