/**
 * A stateful fake of one SSH node's runtime (src/app/nodes/node-runtime.ts NodeRuntime), typed against the interface so
 * a new method fails to compile until the fake has it; and a fake runtime (helpers/fake-runtime.ts) whose config names
 * such nodes. The node is reachable while `up`; each worker it started has an agent whose `status` answer the test sets
 * (or marks 'unreachable'); it records what it was asked (starts, status and info questions, stops, fetches, removals,
 * watches, worktree bootstraps, folders sent to its clone cache) and hands the test's `push` to the listeners the runtime's `onStatus` registered; its
 * workers' usage files are the test's `usageFiles` (state-dir paths and `node-usage/<source>/` mirror paths), served
 * from the offsets asked as the node would, and their OpenCode step rows the test's `usageSteps`, served from the update
 * time asked. No ssh, no channel.
 * Also a scripted node connector (`createScriptedConnector`) for tests of the real NodeRuntime over fake channels.
 */
import type { NodeRuntime, NodeWorkerPrepare, NodeWorkerStart } from '../../src/app/nodes/node-runtime.js';
import type { UsageReadResult, WorkerPrepareResult } from '../../src/core/nodes/bootstrap-protocol.js';
import type { RuntimeCapabilities, WorkerHandle } from '../../src/app/ports/worker-runtime.js';
import type { NodeWorktree, WorkerRemoveParams, WorkerRemoveResult } from '../../src/core/nodes/gc-protocol.js';
import { NODE_PROTOCOL, type NodeInfo, type WorkerStatus } from '../../src/core/nodes/protocol.js';
import type { NodeChannel, NodeConnector } from '../../src/app/ports/nodes.js';
import type { NodeLinkFailure } from '../../src/core/nodes/ssh-failure.js';
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
  /**
   * The teardown outcome of a removed worktree from the commands kept with it at prepare (default: each ran, log
   * `teardown.log`); only asked when the worker was prepared with teardown commands.
   */
  teardown?: (commands: string[], id: string) => WorkerRemoveResult['teardown'];
  /** The node's platform-arch for `cloneCheck` (default `linux-x64`). */
  platformArch?: string;
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
  /** The teardown commands the node keeps with each prepared worktree (worker id -> commands), as the real node does. */
  teardowns: Map<string, string[]>;
  /** The teardown commands run, by worker id, in order (a removal runs the ones kept with the worktree, once). */
  tornDown: { id: string; commands: string[] }[];
  watched: string[];
  closed: boolean;
  /** The node's cache of worktree.clone folders (`<folder>@<fingerprint>`): `sendClone` adds to it. */
  cloneCache: Set<string>;
  /** What `sendClone` was asked, in order; `sendFails` makes it reject. */
  cloneSends: { folder: string; fingerprint: string; maxBytes: number }[];
  sendFails?: string;
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
      node.teardowns.set(p.workerId, p.bootstrap.teardown);
      if (o.prepare) return o.prepare(p);
      const commands = p.bootstrap.setup.commands;
      return {
        worktree: `/home/${name}/.local/share/crewmux/node/worktrees/${sid}/${p.workerId}`,
        phases: (['include', 'clone', 'env', 'setup'] as const).map((ph) => ({ name: ph, ms: 0, how: 'fake' })),
        env: { CREWMUX_PORT: String(24000 + 10 * (node.prepared.length - 1)), CREWMUX_WORKTREE_SLUG: p.bootstrap.slug },
        included: p.bootstrap.include.map((f) => f.path),
        ...(p.bootstrap.clone
          ? {
              clone: p.bootstrap.clone.map((c) => ({
                folder: c.folder,
                method: c.link ? ('link' as const) : ('copy' as const),
                why: c.link ? 'worktree.link asks for a symlink' : 'fake copy',
              })),
            }
          : {}),
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
    async cloneCheck(folders) {
      if (!node.up) throw noRoute();
      return {
        platformArch: o.platformArch ?? 'linux-x64',
        cached: folders.map((f) => `${f.folder}@${f.fingerprint}`).filter((k) => node.cloneCache.has(k)),
      };
    },
    async sendClone(c) {
      if (!node.up) throw noRoute();
      node.cloneSends.push(c);
      if (node.sendFails) throw new Error(node.sendFails);
      node.cloneCache.add(`${c.folder}@${c.fingerprint}`);
      return { bytes: 1000 + node.cloneSends.length, cached: false };
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
      const r = o.remove ? o.remove(p) : { removed: true, branches: Object.keys(p.heads), bytes: 10 };
      const wid = p.id.split('/')[1] ?? p.id;
      const commands = node.teardowns.get(wid);
      if (!r.removed || p.dryRun || !commands?.length) return r;
      node.teardowns.delete(wid);
      node.tornDown.push({ id: wid, commands });
      return { ...r, teardown: o.teardown ? o.teardown(commands, wid) : { ran: commands.length, log: 'teardown.log' } };
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
    cloneCache: new Set(),
    cloneSends: [],
    usageSteps: new Map(),
    stopped: [],
    fetched: [],
    removed: [],
    teardowns: new Map(),
    tornDown: [],
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

/** The NodeRuntime deps every scripted-connector test shares: node `gpu1` of session `s1`, no transfer, no events. */
export const SCRIPTED_NODE = {
  name: 'gpu1',
  spec: { host: 'gpu1.lan' },
  gitSshCommand: 'ssh',
  transfer: {} as never,
  version: '1.0.0',
  emit: () => undefined,
  sid: 's1',
  repoRoot: '/repo',
};

/** One channel a scripted connector opened: the calls it got, notifications to push on it, a cut like a lost link. */
export interface ScriptedChannel {
  calls: [string, unknown][];
  push(method: string, params: unknown): void;
  cut(): void;
}

/**
 * A node connector (app/ports/nodes.ts) whose channels answer `hello` as a node `gpu1` running one worker and every
 * other call with `answer(method, params)` (a throw is the node's error); `channels` are the ones opened so far, in
 * order, for the test to read and drive. No ssh, no node process: a real NodeRuntime runs on top of it.
 */
export function createScriptedConnector(answer: (method: string, params: unknown) => unknown): {
  connector: NodeConnector;
  channels: ScriptedChannel[];
} {
  const channels: ScriptedChannel[] = [];
  const connector: NodeConnector = {
    async open() {
      const calls: [string, unknown][] = [];
      const listeners: ((m: string, p: unknown) => void)[] = [];
      let end: (f: NodeLinkFailure) => void = () => undefined;
      const closed = new Promise<NodeLinkFailure>((r) => (end = r));
      channels.push({
        calls,
        push: (m, p) => listeners.forEach((fn) => fn(m, p)),
        cut: () => end({ kind: 'exited', exitCode: 255, stderr: 'Connection reset' }),
      });
      const channel: NodeChannel = {
        async call(method, params) {
          calls.push([method, params]);
          if (method === 'hello')
            return {
              version: '1.0.0',
              protocol: NODE_PROTOCOL,
              dataDir: '/home/n/.local/share/crewmux',
              hostname: 'gpu1',
              platform: 'linux',
              workersRunning: 1,
              agents: [],
            };
          return answer(method, params);
        },
        onNotification: (fn) => listeners.push(fn),
        closed,
        async close() {
          end({ kind: 'exited', exitCode: 0, stderr: '' });
        },
      };
      return channel;
    },
    async disconnect() {},
  };
  return { connector, channels };
}
