/**
 * The node channel's wire contract: JSON-RPC 2.0, one object per line, over the stdin and stdout of
 * `crewmux node serve --stdio` (started by the lead host through ssh). Requests carry an `id`; the node's
 * events are notifications (`method`, no `id`). The error codes and request shape are the shim's
 * (core/external/shim-protocol.ts). `hello` comes first and pins both versions: the lead refuses a node
 * whose crewmux version differs (E_NODE_VERSION). Pure.
 */
import { z } from 'zod';
import { NODE_TMUX_SOCKET_PREFIX } from './view.js';
import { PaneReadingSchema } from './pane-reading.js';

/**
 * Bumped when an op changes shape; a node answering another protocol is refused like another version. 2:
 * `worker.prepare` carries the teardown commands and whether the user's checkout uses `.env.local`; `worker.remove`
 * runs the teardown and answers its outcome.
 */
export const NODE_PROTOCOL = 2;

/** One agent CLI as the node sees it (`crewmux detect` on the node). */
export const NodeAgentSchema = z.object({
  name: z.string(),
  found: z.boolean(),
  version: z.string().optional(),
});

/** What changes from call to call: free memory, workers running, agents. */
export const NodeInfoSchema = z.object({
  /** Bytes available for new processes (MemAvailable); absent when the node cannot tell. */
  freeMemoryBytes: z.number().nonnegative().optional(),
  totalMemoryBytes: z.number().nonnegative().optional(),
  /** crewmux worker sessions running on the node's own tmux server. */
  workersRunning: z.number().int().nonnegative(),
  agents: z.array(NodeAgentSchema),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

/** `hello`'s params: the lead's version and protocol, and the agents worth probing (default all). */
export const HelloParamsSchema = z.object({
  version: z.string(),
  protocol: z.number().int(),
  agents: z.array(z.string()).optional(),
});
export type HelloParams = z.infer<typeof HelloParamsSchema>;

/** `hello`'s answer: who the node is, then its info. */
export const HelloResultSchema = NodeInfoSchema.extend({
  version: z.string(),
  protocol: z.number().int(),
  /** The node user's crewmux data dir (worktrees and mirrors live under it). */
  dataDir: z.string(),
  hostname: z.string(),
  platform: z.string(),
});
export type HelloResult = z.infer<typeof HelloResultSchema>;

/** `info`'s params: the agents worth probing (default all). */
export const InfoParamsSchema = z.object({ agents: z.array(z.string()).optional() });

/** A reply line: `result` or `error` for the request of the same `id`. */
export const RpcReplySchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});

/** A notification line from the node: an event (`method`) with its params, no `id`. */
export const RpcNotificationSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.unknown().optional(),
});

/** The tmux socket (`tmux -L`) of a node user's crewmux workers: one server per user, apart from theirs. */
export function nodeTmuxSocket(uid: number): string {
  return `${NODE_TMUX_SOCKET_PREFIX}${uid}`;
}

// ---------------------------------------------------------------------------------------------------------
// Worker ops (docs/architecture.md "Worker nodes: workers"): the lead host asks the node to keep a bare
// repository, make a worker's worktree from the base the lead pushed there, run its agent in a tmux session of
// the node user's private server, and answer for it. A worker is named `<sid>/<worker>` on the wire.

const SID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const WID = /^w[0-9]{1,6}$/;

/** `<sid>/<worker>`: how the node names a worker (its handle on the lead host). */
export const NodeWorkerIdSchema = z
  .string()
  .max(80)
  .refine((id) => {
    const [sid, wid, ...rest] = id.split('/');
    return rest.length === 0 && SID.test(sid ?? '') && WID.test(wid ?? '');
  }, 'expected <session id>/<worker id>');

/** The node's name for worker `workerId` of session `sid` (`NodeWorkerIdSchema`). */
export function nodeWorkerId(sid: string, workerId: string): string {
  return `${sid}/${workerId}`;
}

/** `repo.ensure`: a bare repository for the lead host's repository `repoId` (a hash), created when missing. */
export const RepoEnsureParamsSchema = z.object({ repoId: z.string().regex(/^[0-9a-f]{16,64}$/) });
export const RepoEnsureResultSchema = z.object({ path: z.string() });

/** `worker.start`: the worktree from `baseRef` on `branch`, the prompt, and the agent in a tmux session. */
export const WorkerStartParamsSchema = z.object({
  id: NodeWorkerIdSchema,
  repoId: RepoEnsureParamsSchema.shape.repoId,
  /** The worker's branch (`crewmux/<sid>/<worker>-<perspective>`), created (or reset) at `baseRef`. */
  branch: z.string().regex(/^crewmux\/[a-z0-9-]+\/w[0-9]+-[a-z0-9-]+$/),
  /** The base ref the lead pushed (`refs/heads/crewmux/<sid>/base-<worker>`). */
  baseRef: z.string().regex(/^refs\/heads\/crewmux\/[a-z0-9-]+\/base-w[0-9]+$/),
  /** A built-in agent's name; the node resolves its binary on its own PATH. */
  agent: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  /** The prompt text (written to a 0600 file on the node). */
  prompt: z.string().max(1024 * 1024),
  /** The worker's MCP endpoint as seen from the node (a loopback port relayed to the lead's MCP server). */
  mcpUrl: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/),
  mcpToken: z.string().min(16).max(256),
  /** The agent's environment from the lead host (provider keys): written to a 0600 file, never on a command line. */
  env: z.record(z.string(), z.string()),
  toolTimeoutS: z.number().int().positive().optional(),
  /** The done.flag path the prompt names (the lead host's): replaced in the prompt by the node's own. */
  leadDoneFile: z.string().optional(),
  /** The worktree worker.prepare just made and bootstrapped is used as it is (default: made again at baseRef). */
  keepWorktree: z.boolean().optional(),
});
export type WorkerStartParams = z.infer<typeof WorkerStartParamsSchema>;
export const WorkerStartResultSchema = z.object({ id: z.string(), worktree: z.string() });

/** `worker.running`, `worker.stop`: the worker named by `id`. */
export const WorkerRefParamsSchema = z.object({ id: NodeWorkerIdSchema });
/**
 * `worker.running`'s answer: whether its agent lives, and its done.flag as it is on the node (the completion a
 * worker wrote while the link was down is read when it is back).
 */
export const WorkerRunningResultSchema = z.object({
  running: z.boolean(),
  doneFlag: z
    .string()
    .max(64 * 1024)
    .optional(),
  /** What the node read on the agent's screen (core/nodes/pane-reading.ts), while it runs. */
  pane: PaneReadingSchema.optional(),
  /**
   * Bytes the agent has printed so far (its pane log's size on the node): the lead's stuck check counts a change as
   * activity, as it counts a local worker's pane log growing.
   */
  output: z.number().int().nonnegative().optional(),
});
export const WorkerStopResultSchema = z.object({ wasRunning: z.boolean() });

/**
 * `worker.watch`: the node pushes a `worker.status` notification for each of these workers at once (its state now:
 * how the lead catches up after a reconnect) and again whenever its done.flag appears or changes or its agent exits.
 * worker.start watches its worker by itself; the watch lasts as long as the channel (a new one is asked again).
 */
export const WorkerWatchParamsSchema = z.object({ ids: z.array(NodeWorkerIdSchema).max(1000) });
export const WorkerWatchResultSchema = z.object({ watching: z.number().int().nonnegative() });

/** The notification a watched worker's change is pushed as. */
export const WORKER_STATUS_NOTE = 'worker.status';
/** `worker.status`'s params: the worker and its state, as worker.running answers it. */
export const WorkerStatusNoteSchema = WorkerRunningResultSchema.extend({ id: NodeWorkerIdSchema });
export type WorkerStatus = z.infer<typeof WorkerRunningResultSchema>;

/**
 * `relay.poke`: connect once to the node's loopback `port` and close. A lead host whose ssh connection died while the
 * link was cut asks this before making its relay on that port again: the node's sshd may still hold the port for
 * the dead connection, and a connection to it makes that sshd write to the lead host, learn it is gone, and let go.
 */
export const RelayPokeParamsSchema = z.object({ port: z.number().int().min(1).max(65535) });
export const RelayPokeResultSchema = z.object({ reached: z.boolean() });

/** `worker.send`: text typed (pasted, then confirmed) into the agent, as app/workers/deliver.ts does locally. */
export const WorkerSendParamsSchema = z.object({
  id: NodeWorkerIdSchema,
  text: z.string().max(1024 * 1024),
  readyMarkers: z.array(z.string()).optional(),
  busyMarkers: z.array(z.string()).optional(),
  readyTimeoutMs: z.number().int().positive().optional(),
});

/** `worker.output`: the last `lines` lines of the agent's screen. */
export const WorkerOutputParamsSchema = z.object({ id: NodeWorkerIdSchema, lines: z.number().int().min(1).max(5000) });
export const WorkerOutputResultSchema = z.object({ text: z.string().optional() });

/** `worker.snapshot`: commits leftover work on the worker's branch (paths in `exclude` never). */
export const WorkerSnapshotParamsSchema = z.object({
  id: NodeWorkerIdSchema,
  message: z.string().max(500),
  exclude: z.array(z.string()).max(50),
});
/** The snapshot commit (null: nothing was left) and the branch's head after it. */
export const WorkerSnapshotResultSchema = z.object({ commit: z.string().nullable(), head: z.string() });

/**
 * The variables of the lead host's environment that describe that host (paths, its user, its locale) rather
 * than the agent's providers: never sent to a node, which has its own.
 */
export function hostLocalEnvName(name: string): boolean {
  return (
    /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TZ|LANG|LANGUAGE|COLORTERM)$/.test(name) ||
    /^(LC_|XDG_)/.test(name) ||
    /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GIT_CONFIG_GLOBAL)$/.test(name)
  );
}

/** Op `op`'s params checked against `schema` (missing params are `{}`); throws "OP: invalid params: ..." otherwise. */
export function parseOpParams<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } },
  params: unknown,
  op: string,
): T {
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw new Error(`${op}: invalid params: ${r.error.message}`);
  return r.data;
}
