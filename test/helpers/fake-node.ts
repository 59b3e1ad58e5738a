/**
 * A stateful fake of one SSH node's runtime (src/app/nodes/node-runtime.ts NodeRuntime), typed against the interface so
 * a new method fails to compile until the fake has it; and a fake runtime (helpers/fake-runtime.ts) whose config names
 * such nodes. The node is reachable while `up`; each worker it started has an agent whose `status` answer the test sets
 * (or marks 'unreachable'); it records what it was asked (starts, status and info questions, stops, fetches, removals,
 * watches, worktree bootstraps) and hands the test's `push` to the listeners the runtime's `onStatus` registered; its
 * workers' usage files are the test's `usageFiles` (state-dir paths and `node-usage/<source>/` mirror paths), served
 * from the offsets asked as the node would, and their OpenCode step rows the test's `usageSteps`, served from the update
 * time asked. No ssh, no channel.
 */
import type { NodeRuntime, NodeWorkerPrepare, NodeWorkerStart } from '../../src/app/nodes/node-runtime.js';
import type { UsageReadResult, WorkerPrepareResult } from '../../src/core/nodes/bootstrap-protocol.js';
import type { RuntimeCapabilities, WorkerHandle } from '../../src/app/ports/worker-runtime.js';
import type { NodeWorktree, WorkerRemoveParams, WorkerRemoveResult } from '../../src/core/nodes/gc-protocol.js';
import type { NodeInfo, WorkerStatus } from '../../src/core/nodes/protocol.js';
import type { Config } from '../../src/core/session/config-schema.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from './fake-runtime.js';

/** A worker's agent on the fake node: its `status` answer, or a node that cannot be asked about it. */
export type FakeNodeAgent = WorkerStatus | 'unreachable';

type RemoveAsked = Omit<WorkerRemoveParams, 'repoId'> & { repoId?: string };

export interface FakeNodeOptions {
  /** The session id prefixing the handles it gives (`<sid>/<worker>`; default `s1fake00`, the fake runtime's). */
  sid?: string;
  /** The `info` answer (free memory, agents); undefined: `info` fails like a node that does not answer. */
  info?: NodeInfo;
  /** Whether `viewArgv` builds an ssh argv like the ssh adapter would (default: it cannot make a view). */
  views?: boolean;
  /** The `removeWorker` answer (default: removed, with the branches the lead host holds). */
  remove?: (p: RemoveAsked) => WorkerRemoveResult;
  /**
   * The `prepareOnNode` answer (default: every sent file written, CREWMUX_PORT 24000 + 10 per prepared worker, the
   * slug sent, setup ok with its commands counted).
   */
  prepare?: (p: NodeWorkerPrepare) => WorkerPrepareResult;
}

/** The fake node: what the test sets and reads; `runtime` is what crewmux sees. */
export interface FakeNode {
  readonly name: string;
  runtime: NodeRuntime;
  /** Reachable: false makes every call fail like a cut link (`status`, `stop`, `fetchBack`, `removeWorker`, `info`). */
  up: boolean;
  /** The `info` answer; undefined: it fails. */
  info: NodeInfo | undefined;
  /** Agents by worker id (set running on start). */
  agents: Map<string, FakeNodeAgent>;
  /** The worker worktrees `listWorktrees` answers. */
  worktrees: NodeWorktree[];
  /** How many times `status` (asked) and `info` (infoAsked) were called. */
  asked: number;
  infoAsked: number;
  /** Worker ids started, handle ids stopped, worker ids fetched back, removal requests, handle ids watched. */
  started: string[];
  /** What `startOnNode` was asked, in order. */
  starts: NodeWorkerStart[];
  /** What `prepareOnNode` was asked, in order. */
  prepared: NodeWorkerPrepare[];
  /** Usage files in each worker's state dir on the node (worker id -> path relative to it -> text); `readUsage` serves them. */
  usageFiles: Map<string, Record<string, string>>;
  /** OpenCode (or Kilo Code) step-finish rows of each worker's sessions on the node (worker id -> rows). */
  usageSteps: Map<string, NonNullable<UsageReadResult['workers'][0]['steps']>>;
  stopped: string[];
  fetched: string[];
  removed: RemoveAsked[];
  watched: string[];
  closed: boolean;
  /** Pushes a `worker.status` change to the runtime's onStatus listeners (as the node's notification would). */
  push(id: string, st: WorkerStatus): void;
}

/** A fake node named `name` (host `<name>.lan`), up, with no workers. */
export function createFakeNode(name: string, o: FakeNodeOptions = {}): FakeNode {
  const sid = o.sid ?? 's1fake00';
  const listeners: ((id: string, st: WorkerStatus) => void)[] = [];
  const noRoute = () => new Error(`node ${name}: ssh: connect to host ${name}.lan port 22: No route to host`);
  const workerOf = (h: WorkerHandle) => h.id.split('/')[1] ?? h.id;
  const agentOf = (h: WorkerHandle): WorkerStatus => {
    const a = node.agents.get(workerOf(h));
    if (!node.up || a === 'unreachable') throw noRoute();
    return a ?? { running: false };
  };
  const capabilities: RuntimeCapabilities = { sendText: true, readOutput: true };
  const runtime: NodeRuntime = {
    name,
    node: name,
    capabilities: async () => capabilities,
    start: () => Promise.reject(new Error(`node ${name}: startOnNode only`)),
    async prepareOnNode(p: NodeWorkerPrepare) {
      if (!node.up) throw noRoute();
      node.prepared.push(p);
      if (o.prepare) return o.prepare(p);
      const commands = p.bootstrap.setup.commands;
      return {
        worktree: `/home/${name}/.local/share/crewmux/node/worktrees/${sid}/${p.workerId}`,
        phases: (['include', 'clone', 'env', 'setup'] as const).map((ph) => ({ name: ph, ms: 0, how: 'fake' })),
        env: { CREWMUX_PORT: String(24000 + 10 * (node.prepared.length - 1)), CREWMUX_WORKTREE_SLUG: p.bootstrap.slug },
        included: p.bootstrap.include.map((f) => f.path),
        skipped: [],
        setup: { source: p.bootstrap.setup.source, ok: true, tail: commands.length ? `${commands.length} ran` : '' },
      };
    },
    async readUsage(p) {
      if (!node.up) throw noRoute();
      return {
        workers: p.workers.map((w) => {
          const files = node.usageFiles.get(w.id.split('/')[1] ?? '') ?? {};
          const chunks = Object.entries(files).flatMap(([path, text]) => {
            const bytes = Buffer.from(text);
            const from = w.offsets[path] ?? 0;
            const end = bytes.lastIndexOf(0x0a) + 1;
            return end > from ? [{ path, from, text: bytes.subarray(from, end).toString() }] : [];
          });
          const steps = (node.usageSteps.get(w.id.split('/')[1] ?? '') ?? []).filter(
            (r) => r.timeUpdated >= (w.steps ?? 0),
          );
          return { id: w.id, chunks, ...(steps.length ? { steps } : {}) };
        }),
      };
    },
    async startOnNode(s: NodeWorkerStart) {
      node.starts.push(s);
      node.started.push(s.workerId);
      node.agents.set(s.workerId, { running: true });
      return { id: `${sid}/${s.workerId}` };
    },
    async status(h) {
      node.asked++;
      return agentOf(h);
    },
    async isRunning(h) {
      return agentOf(h).running;
    },
    async stop(h) {
      if (!node.up) throw noRoute();
      node.stopped.push(h.id);
      return true;
    },
    sendText: () => Promise.resolve(),
    readOutput: () => Promise.resolve(''),
    async fetchBack(workerId) {
      if (!node.up) throw noRoute();
      node.fetched.push(workerId);
      return { refs: [] };
    },
    async listWorktrees() {
      if (!node.up) throw noRoute();
      return node.worktrees;
    },
    async removeWorker(p) {
      if (!node.up) throw noRoute();
      node.removed.push(p);
      return o.remove ? o.remove(p) : { removed: true, branches: Object.keys(p.heads), bytes: 10 };
    },
    async info() {
      node.infoAsked++;
      if (!node.up || !node.info) throw noRoute();
      return node.info;
    },
    viewArgv: (h) => (o.views ? ['ssh', '-t', `${name}.lan`, '--', `attach ${h.id}`] : undefined),
    onStatus: (fn) => void listeners.push(fn),
    watch: (h) => void node.watched.push(h.id),
    async close() {
      node.closed = true;
    },
  };
  const node: FakeNode = {
    name,
    runtime,
    up: true,
    info: o.info,
    agents: new Map(),
    worktrees: [],
    asked: 0,
    infoAsked: 0,
    started: [],
    starts: [],
    prepared: [],
    usageFiles: new Map(),
    usageSteps: new Map(),
    stopped: [],
    fetched: [],
    removed: [],
    watched: [],
    closed: false,
    push: (id, st) => listeners.forEach((fn) => fn(id, st)),
  };
  return node;
}

export interface FakeNodesRuntimeOptions extends Omit<FakeRuntimeOptions, 'config'> {
  /** The config `nodes` entries (default: each fake node at host `<name>.lan`); `lostAfter` and the like go here. */
  nodes?: Record<string, unknown>;
  /** Other config keys (`admission`, ...). */
  config?: Record<string, unknown>;
}

/** A fake runtime whose config names `fakes` as nodes and whose node runtimes are theirs. */
export async function createFakeNodesRuntime(
  fakes: FakeNode | FakeNode[],
  o: FakeNodesRuntimeOptions = {},
): Promise<FakeRuntime> {
  const list = Array.isArray(fakes) ? fakes : [fakes];
  const byName = new Map(list.map((n) => [n.name, n]));
  const nodes = o.nodes ?? Object.fromEntries(list.map((n) => [n.name, { host: `${n.name}.lan` }]));
  const { nodes: _n, config: extra, runtime, ...rest } = o;
  const config: Config = ConfigSchema.parse({ ...extra, nodes });
  return createFakeRuntime({
    ...rest,
    config,
    runtime: {
      ...runtime,
      newNodeRuntime: (name: string) => {
        const n = byName.get(name);
        if (!n) throw new Error(`no fake node ${name}`);
        return n.runtime;
      },
    },
  });
}
