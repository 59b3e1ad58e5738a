/**
 * The SSH-node WorkerRuntime (docs/architecture.md "Worker nodes: workers"), named after its node: the lead host's
 * side of a worker whose agent runs on another machine. It keeps one channel to the node (`crewmux node serve
 * --stdio` over ssh, reopened when it ended), pushes the worker's base to the node's bare repository and fetches
 * its branch back (code-transfer.ts), and gives the agent a way back to the MCP server: a loopback port on the
 * node relayed to the lead's loopback port over the shared ssh connection (one per node and session).
 */
import { createHash } from 'node:crypto';
import {
  HelloResultSchema,
  NODE_PROTOCOL,
  NodeInfoSchema,
  type NodeInfo,
  nodeWorkerId,
  RepoEnsureResultSchema,
  WorkerOutputResultSchema,
  WorkerRunningResultSchema,
  WorkerSnapshotResultSchema,
  WorkerStartResultSchema,
  WorkerStopResultSchema,
  WORKER_STATUS_NOTE,
  WorkerStatusNoteSchema,
  hostLocalEnvName,
  type WorkerStatus,
} from '../../core/nodes/protocol.js';
import type { NodeSpec } from '../../core/nodes/node-config.js';
import {
  UsageReadResultSchema,
  WorkerPrepareResultSchema,
  type UsageReadParams,
  type UsageReadResult,
  type WorkerPrepareParams,
  type WorkerPrepareResult,
} from '../../core/nodes/bootstrap-protocol.js';
import {
  type NodeWorktree,
  type WorkerRemoveParams,
  type WorkerRemoveResult,
  WorkerRemoveResultSchema,
  WorktreesListResultSchema,
} from '../../core/nodes/gc-protocol.js';
import {
  CloneCheckResultSchema,
  type CloneCheckResult,
  type CloneReceiveResult,
} from '../../core/nodes/clone-protocol.js';
import { NodeLinkError } from '../../core/nodes/ssh-failure.js';
import { formatTarget } from '../../core/nodes/target.js';
import { nodeBaseRef } from '../../core/nodes/worker-refs.js';
import { nodeAttachRemote, nodeWorkerSession } from '../../core/nodes/view.js';
import type { NodeChannel, NodeConnector } from '../ports/nodes.js';
import type { GitTransfer } from '../ports/git-transfer.js';
import type { RuntimeCapabilities, WorkerHandle, WorkerRuntime } from '../ports/worker-runtime.js';
import { fetchWorkerRefs, pushWorkerBase, type CodeTransferDeps, type WorkerRemote } from './code-transfer.js';
import { nodeLinkUserError, versionError } from './manage.js';

/** What a node runtime is built from; compose/runtime-factory.ts wires the real ones. */
export interface NodeRuntimeDeps {
  /** The node's name in config `nodes` (the runtime's name). */
  name: string;
  spec: NodeSpec;
  connector: NodeConnector;
  /**
   * A loopback port on the node relayed to `to` on this host (a loopback port, or a Unix socket's path): the port
   * `nodePort` when given and not 0, else one the node picks (Ssh.forwardRemote).
   */
  forwardRemote(spec: NodeSpec, to: number | string, nodePort?: number): Promise<number>;
  /** Cancels such a forward (Ssh.cancelForward); resolves false when ssh refused. */
  cancelForward?(spec: NodeSpec, to: number | string, nodePort?: number): Promise<boolean>;
  /** The pid of the shared ssh connection's master, undefined when none runs (Ssh.masterPid). */
  masterPid?(spec: NodeSpec): Promise<number | undefined>;
  /**
   * What the node's relay leads to: the MCP server's Unix socket when it listens on one (no other user can stand in
   * for it while the supervisor is down), else its loopback port. Default: the port of the first start's mcpUrl.
   */
  mcpTarget?(): number | string;
  /** Where this session's relay on the node is recorded, so a resumed supervisor keeps the port its agents know. */
  relayRecord?: { load(): NodeRelay | undefined; save(r: NodeRelay): void };
  /** Waits `ms` milliseconds (between tries at making a lost relay again; default a timer). */
  sleep?(ms: number): Promise<void>;
  /** GIT_SSH_COMMAND for the transfers (the channel's ssh with its control socket). */
  gitSshCommand: string;
  transfer: GitTransfer;
  /** This crewmux's version: the node must run the same. */
  version: string;
  /** The session's event log. */
  emit: CodeTransferDeps['emit'];
  sid: string;
  /** The lead host's repository. */
  repoRoot: string;
  /** Lets the MCP server accept requests relayed from the node's port (its Host header names that port). */
  allowMcpHost?(hostPort: string): void;
  /** The ssh argv (program first) running `remote` on the node with a terminal, on the shared connection. */
  ttyArgv?(spec: NodeSpec, remote: readonly string[]): string[];
  /**
   * Sends `root/folder` as a tar stream to `remote` run on the node (its `crewmux node clone-receive`), on the shared
   * connection (adapters/nodes/clone-folders.ts sendFolder); unset: folders cannot be sent.
   */
  sendFolder?(
    spec: NodeSpec,
    o: { root: string; folder: string; remote: readonly string[] },
  ): Promise<{ bytes: number; answer: CloneReceiveResult }>;
}

/**
 * This session's relay on a node: the node's loopback port its workers' agents were configured with, what it leads to
 * on this host (a loopback port or a Unix socket), and the pid of the ssh master that holds it (a forward dies with its
 * master: another master means it must be made again, on the same port).
 */
export interface NodeRelay {
  port: number;
  to: number | string;
  master?: number;
}

/** A worker to start on the node: built on the node from its own agent install. */
export interface NodeWorkerStart {
  workerId: string;
  agent: string;
  /** The worker's branch, created on the node at its base. */
  branch: string;
  /** The commit it starts from (pushed to the node first). */
  baseCommit: string;
  prompt: string;
  /** The lead's MCP URL (`http://127.0.0.1:PORT/mcp`): the node gets a relayed port to it. */
  mcpUrl: string;
  mcpToken: string;
  /** The agent's environment from this host; its host-specific variables are left out (the node has its own). */
  env: Record<string, string>;
  toolTimeoutS?: number;
  /** The done.flag path the prompt names (this host's); the node names its own instead. */
  doneFile?: string;
  /** The worktree prepareOnNode just made is used as it is (default: made again on the node at the base). */
  keepWorktree?: boolean;
}

/** A node worker's worktree to make and bootstrap on the node (node-bootstrap.ts), before its prompt is written. */
export interface NodeWorkerPrepare {
  workerId: string;
  branch: string;
  /** The commit it starts from (pushed to the node first). */
  baseCommit: string;
  /** What the node runs: the slug, the included files sent, the trusted setup commands and their timeout. */
  bootstrap: Omit<WorkerPrepareParams, 'id' | 'repoId' | 'branch' | 'baseRef'>;
}

export interface NodeRuntime extends WorkerRuntime {
  readonly node: string;
  /** Pushes the base, makes the worktree on the node and starts the agent there; resolves with its handle. */
  startOnNode(s: NodeWorkerStart): Promise<WorkerHandle>;
  /**
   * Pushes the base and makes the worker's worktree on the node, bootstrapped there (included files written, ports
   * reserved, setup run); a failed setup is in the answer (`setup.ok` false, its tail), not a rejection.
   */
  prepareOnNode(p: NodeWorkerPrepare): Promise<WorkerPrepareResult>;
  /** The new complete lines of the workers' usage files on the node, past the offsets the lead has read. */
  readUsage(p: UsageReadParams): Promise<UsageReadResult>;
  /** The node's platform-arch and which of these folder fingerprints its cache holds (`clone.check`). */
  cloneCheck(folders: { folder: string; fingerprint: string }[]): Promise<CloneCheckResult>;
  /**
   * Sends the user's `folder` (of this host's repository) to the node's cache as `fingerprint`, at most `maxBytes`;
   * one send per folder and fingerprint at a time (a second caller waits for the first). Resolves with the bytes
   * sent; rejects with tar's, ssh's or the node's error.
   */
  sendClone(o: { folder: string; fingerprint: string; maxBytes: number }): Promise<{ bytes: number; cached: boolean }>;
  /**
   * Commits leftover work on the node (paths in `exclude` never), then fetches the worker's branches into the lead
   * host's repository (only `refs/heads/crewmux/<sid>/<worker>-*`). Resolves with the snapshot commit, if any.
   */
  fetchBack(workerId: string, message: string, exclude: string[]): Promise<{ commit?: string; refs: string[] }>;
  /** Whether the agent lives, with its done.flag as the node has it; rejects when the node cannot be asked. */
  status(h: WorkerHandle): Promise<{ running: boolean; doneFlag?: string }>;
  /** The worker worktrees the node keeps (any session of any lead repository), with their branches' heads. */
  listWorktrees(): Promise<NodeWorktree[]>;
  /**
   * Removes a finished worker's worktree, branches and state on the node (repoId defaults to this session's
   * repository); kept, with the reason, when the lead host lacks commits of its branches or work is uncommitted
   * there (unless force), or when its agent still runs.
   */
  removeWorker(
    p: Omit<WorkerRemoveParams, 'repoId'> & { repoId?: string },
    /** What the worktree's teardown on the node may take, beyond the removal itself (default 0). */
    teardownMs?: number,
  ): Promise<WorkerRemoveResult>;
  /** The node's status answer (free memory, workers running, `agents` probed); rejects when it cannot be asked. */
  info(agents: string[]): Promise<NodeInfo>;
  /**
   * The argv (program first) of a live view of the worker's agent: ssh with a terminal, attached to its tmux session
   * on the node (core/nodes/view.ts); undefined when this runtime cannot make one.
   */
  viewArgv(h: WorkerHandle): string[] | undefined;
  /**
   * Registers `fn` for the node's pushed changes of its watched workers (`worker.status`: done.flag written, agent
   * exited), called with the worker's handle id and its state as `status` answers it.
   */
  onStatus(fn: (id: string, st: WorkerStatus) => void): void;
  /** Asks the node to push worker `h`'s changes (on this channel and every new one); workers started here are. */
  watch(h: WorkerHandle): void;
  /** Ends the channel (the node's workers keep running). */
  close(): Promise<void>;
}

const CAPABILITIES: RuntimeCapabilities = { sendText: true, readOutput: true };

/** The id of the lead host's repository on a node (its bare repository's name). */
export function nodeRepoId(repoRoot: string): string {
  return createHash('sha256').update(repoRoot).digest('hex').slice(0, 16);
}

/** `ssh://[user@]host[:port]/path` for git. */
function sshUrl(spec: NodeSpec, path: string): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `ssh://${spec.user ? `${spec.user}@` : ''}${host}${spec.port ? `:${spec.port}` : ''}${path}`;
}

const portOf = (url: string) => Number(new URL(url).port);

/** Creates the runtime of node `d.name`; nothing connects until an operation is called. */
export function createNodeRuntime(d: NodeRuntimeDeps): NodeRuntime {
  let open: Promise<NodeChannel> | undefined;
  let ended = false;
  /** Handle ids whose changes the node pushes; asked again on each new channel (the catch-up after a drop). */
  const watched = new Set<string>();
  const statusListeners: ((id: string, st: WorkerStatus) => void)[] = [];
  let repo: Promise<string> | undefined;
  /** The relay on the node (one per node and session: every worker of the node shares it). */
  let relay: Promise<NodeRelay> | undefined;
  const where = `node ${d.name} (${formatTarget(d.spec)})`;

  const connect = async (): Promise<NodeChannel> => {
    const channel = await d.connector.open(d.spec);
    try {
      const hello = HelloResultSchema.parse(
        await channel.call('hello', { version: d.version, protocol: NODE_PROTOCOL, agents: [] }, 60_000),
      );
      const bad = versionError(d.name, d.spec, hello, d.version);
      if (bad) throw bad;
    } catch (e) {
      await channel.close();
      throw e instanceof NodeLinkError ? nodeLinkUserError(d.name, d.spec, e.failure) : e;
    }
    ended = false;
    void channel.closed.then(() => {
      ended = true;
    });
    channel.onNotification((method, params) => {
      if (method !== WORKER_STATUS_NOTE) return;
      const note = WorkerStatusNoteSchema.safeParse(params);
      if (!note.success) return;
      const { id, ...st } = note.data;
      for (const fn of statusListeners) fn(id, st);
    });
    // A new channel (a reconnect) watches again: the node announces each worker's state, queued completions first.
    if (watched.size) await channel.call('worker.watch', { ids: [...watched] }).catch(() => undefined);
    // ...and its relay is checked: a cut longer than ssh's keepalive, or a crash here, took the master and it with it.
    const known = relay ? await relay.catch(() => undefined) : d.relayRecord?.load();
    if (known) await restoreRelay(known, channel);
    return channel;
  };

  /**
   * Makes relay `r` work again when its master is gone (the agents were configured with its port: asked for that port
   * again, leading to what the MCP server is now); allows its Host header here. Never throws: a failure is the
   * `node.relay_failed` event (the workers then report through their done files).
   */
  const restoreRelay = async (r: NodeRelay, c: NodeChannel): Promise<void> => {
    const to = relayTarget() || r.to;
    try {
      const master = await d.masterPid?.(d.spec);
      if (master === undefined || master !== r.master || to !== r.to) {
        // A live master may still hold it, leading to where the MCP server was: cancelled first.
        if (master !== undefined && to !== r.to) await d.cancelForward?.(d.spec, r.to, r.port);
        await forwardAgain(r.port, to, c);
        r.to = to;
        r.master = await d.masterPid?.(d.spec);
        d.relayRecord?.save(r);
        d.emit(
          'node.relay_restored',
          `node ${d.name}: the port 127.0.0.1:${r.port} relaying its workers' MCP calls here was made again`,
          null,
          { node: d.name, port: r.port },
        );
      }
      relay = Promise.resolve(r);
    } catch (e) {
      d.emit(
        'node.relay_failed',
        `node ${d.name}: the port 127.0.0.1:${r.port} relaying its workers' MCP calls could not be made again (${(e as Error).message}); its workers report through their done files`,
        null,
        { node: d.name, port: r.port, error: (e as Error).message },
      );
    }
    d.allowMcpHost?.(`127.0.0.1:${r.port}`);
  };

  /** The open channel, reopened when the last one ended (a dropped link, a node restart). */
  const channel = async (): Promise<NodeChannel> => {
    if (open && !ended) {
      const c = await open.catch(() => undefined);
      if (c && !ended) return c;
    }
    ended = false;
    open = connect();
    open.catch(() => {
      open = undefined;
    });
    return open;
  };

  const call = async (method: string, params: unknown, timeoutMs?: number): Promise<unknown> => {
    const c = await channel();
    try {
      return await c.call(method, params, timeoutMs);
    } catch (e) {
      if (e instanceof NodeLinkError && e.failure.kind === 'remote')
        throw new Error(`${where} refused ${method}: ${e.failure.message}`);
      throw e instanceof NodeLinkError ? nodeLinkUserError(d.name, d.spec, e.failure) : e;
    }
  };

  const bareRepo = () => {
    repo ??= call('repo.ensure', { repoId: nodeRepoId(d.repoRoot) }).then((r) => RepoEnsureResultSchema.parse(r).path);
    repo.catch(() => {
      repo = undefined;
    });
    return repo;
  };

  const remote = async (workerId: string): Promise<WorkerRemote> => ({
    repo: d.repoRoot,
    url: sshUrl(d.spec, await bareRepo()),
    sid: d.sid,
    workerId,
    node: d.name,
    sshCommand: d.gitSshCommand,
  });

  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /**
   * Forwards node port `port` to `to` again. The node's sshd may still hold the port for the connection that died (it
   * learns of that only when it next writes to it; sshd has no keepalive by default): the node is asked to connect to
   * the port once (relay.poke), which makes that sshd write, fail and let go; then tried again, 5 times in about 5 s.
   */
  const forwardAgain = async (port: number, to: number | string, c: NodeChannel): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await d.forwardRemote(d.spec, to, port);
        return;
      } catch (e) {
        if (attempt >= 6) throw e;
        if (attempt === 1) await c.call('relay.poke', { port }, 10_000).catch(() => undefined);
        await sleep(300 * attempt);
      }
    }
  };

  /** What the relay leads to (d.mcpTarget), else the MCP port of the first start here. */
  let mcpPort = 0;
  const relayTarget = (): number | string => d.mcpTarget?.() ?? mcpPort;

  /** The relay on the node, made by the first worker start (one per node and session). */
  const ensureRelay = (): Promise<NodeRelay> => {
    relay ??= (async () => {
      const to = relayTarget();
      const port = await d.forwardRemote(d.spec, to);
      const r: NodeRelay = { port, to, master: await d.masterPid?.(d.spec) };
      d.relayRecord?.save(r);
      d.allowMcpHost?.(`127.0.0.1:${port}`);
      return r;
    })();
    relay.catch(() => {
      relay = undefined;
    });
    return relay;
  };

  const transferDeps: CodeTransferDeps = { transfer: d.transfer, emit: d.emit };
  /** Folder sends in flight, by folder and fingerprint: two workers spawned at once send it once. */
  const sending = new Map<string, Promise<{ bytes: number; cached: boolean }>>();

  return {
    name: d.name,
    node: d.name,
    capabilities: () => Promise.resolve(CAPABILITIES),
    start() {
      return Promise.reject(
        new Error(`${where}: a node worker is started with startOnNode (its agent is built there)`),
      );
    },
    async prepareOnNode(p) {
      const base = await pushWorkerBase(transferDeps, await remote(p.workerId), p.baseCommit);
      return WorkerPrepareResultSchema.parse(
        await call(
          'worker.prepare',
          {
            id: nodeWorkerId(d.sid, p.workerId),
            repoId: nodeRepoId(d.repoRoot),
            branch: p.branch,
            baseRef: base.ref,
            ...p.bootstrap,
          },
          // The setup's own timeout, and time to make the worktree and write the files.
          p.bootstrap.setupTimeoutS * 1000 * Math.max(1, p.bootstrap.setup.commands.length) + 120_000,
        ),
      );
    },
    async readUsage(p) {
      return UsageReadResultSchema.parse(await call('usage.read', p, 60_000));
    },
    async cloneCheck(folders) {
      return CloneCheckResultSchema.parse(
        await call('clone.check', { repoId: nodeRepoId(d.repoRoot), folders }, 60_000),
      );
    },
    sendClone(o) {
      const key = `${o.folder}@${o.fingerprint}`;
      const known = sending.get(key);
      // The first caller's send made it cached for this one.
      if (known) return known.then(() => ({ bytes: 0, cached: true }));
      const send = d.sendFolder;
      if (!send) return Promise.reject(new Error(`${where}: this session cannot send folders to nodes`));
      // `--flag=value`: a folder named `-x` stays a value.
      const remote = [
        d.spec.crewmuxPath ?? 'crewmux',
        ...['node', 'clone-receive', `--repo-id=${nodeRepoId(d.repoRoot)}`, `--folder=${o.folder}`],
        ...[`--fingerprint=${o.fingerprint}`, `--max-bytes=${o.maxBytes}`],
      ];
      const p = send(d.spec, { root: d.repoRoot, folder: o.folder, remote }).then((r) => ({
        bytes: r.bytes,
        cached: r.answer.cached,
      }));
      sending.set(key, p);
      void p.then(
        () => sending.delete(key),
        () => sending.delete(key),
      );
      return p;
    },
    async startOnNode(s) {
      const to = await remote(s.workerId);
      // A worktree prepareOnNode made is at its base already (pushed then): nothing to push again.
      const base = s.keepWorktree
        ? { ref: nodeBaseRef(d.sid, s.workerId) }
        : await pushWorkerBase(transferDeps, to, s.baseCommit);
      mcpPort = portOf(s.mcpUrl);
      // The channel first: a relay recorded by an earlier supervisor of this session is checked as it opens.
      await channel();
      const { port } = await ensureRelay();
      const env = Object.fromEntries(Object.entries(s.env).filter(([k]) => !hostLocalEnvName(k)));
      const r = WorkerStartResultSchema.parse(
        await call(
          'worker.start',
          {
            id: nodeWorkerId(d.sid, s.workerId),
            repoId: nodeRepoId(d.repoRoot),
            branch: s.branch,
            baseRef: base.ref,
            agent: s.agent,
            prompt: s.prompt,
            mcpUrl: `http://127.0.0.1:${port}/mcp`,
            mcpToken: s.mcpToken,
            env,
            ...(s.toolTimeoutS ? { toolTimeoutS: s.toolTimeoutS } : {}),
            ...(s.doneFile ? { leadDoneFile: s.doneFile } : {}),
            ...(s.keepWorktree ? { keepWorktree: true } : {}),
          },
          120_000,
        ),
      );
      watched.add(r.id);
      return { id: r.id };
    },
    async stop(h) {
      watched.delete(h.id);
      return WorkerStopResultSchema.parse(await call('worker.stop', { id: h.id })).wasRunning;
    },
    onStatus(fn) {
      statusListeners.push(fn);
    },
    watch(h) {
      if (watched.has(h.id)) return;
      watched.add(h.id);
      // An open channel is asked now; a closed one asks for every watched worker when it opens again.
      if (open && !ended) void call('worker.watch', { ids: [h.id] }).catch(() => undefined);
    },
    async isRunning(h) {
      return WorkerRunningResultSchema.parse(await call('worker.running', { id: h.id })).running;
    },
    async status(h) {
      return WorkerRunningResultSchema.parse(await call('worker.running', { id: h.id }));
    },
    async sendText(h, text, o) {
      const ready = o.readyTimeoutMs ?? 30_000;
      await call(
        'worker.send',
        {
          id: h.id,
          text,
          ...(o.readyMarkers ? { readyMarkers: o.readyMarkers } : {}),
          ...(o.busyMarkers ? { busyMarkers: o.busyMarkers } : {}),
          readyTimeoutMs: ready,
        },
        ready + 30_000,
      );
    },
    async readOutput(h, lines) {
      return WorkerOutputResultSchema.parse(await call('worker.output', { id: h.id, lines })).text;
    },
    async fetchBack(workerId, message, exclude) {
      const snap = WorkerSnapshotResultSchema.parse(
        await call('worker.snapshot', { id: nodeWorkerId(d.sid, workerId), message, exclude }, 120_000),
      );
      const back = await fetchWorkerRefs(transferDeps, await remote(workerId));
      return { ...(snap.commit ? { commit: snap.commit } : {}), refs: back.refs };
    },
    async listWorktrees() {
      return WorktreesListResultSchema.parse(await call('worktrees.list', {}, 60_000)).worktrees;
    },
    async removeWorker(p, teardownMs = 0) {
      return WorkerRemoveResultSchema.parse(
        await call('worker.remove', { ...p, repoId: p.repoId ?? nodeRepoId(d.repoRoot) }, 120_000 + teardownMs),
      );
    },
    async info(agents) {
      return NodeInfoSchema.parse(await call('info', { agents }, 30_000));
    },
    viewArgv(h) {
      const [sid, wid] = h.id.split('/');
      if (!d.ttyArgv || !sid || !wid) return undefined;
      return d.ttyArgv(d.spec, nodeAttachRemote(nodeWorkerSession(sid, wid)));
    },
    async close() {
      const c = open && !ended ? await open.catch(() => undefined) : undefined;
      open = undefined;
      await c?.close();
    },
  };
}
