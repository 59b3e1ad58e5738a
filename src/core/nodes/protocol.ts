/**
 * The node channel's wire contract: JSON-RPC 2.0, one object per line, over the stdin and stdout of
 * `crewmux node serve --stdio` (started by the lead host through ssh). Requests carry an `id`; the node's
 * events are notifications (`method`, no `id`). The error codes and request shape are the shim's
 * (core/external/shim-protocol.ts). `hello` comes first and pins both versions: the lead refuses a node
 * whose crewmux version differs (E_NODE_VERSION). Pure.
 */
import { z } from 'zod';

/** Bumped when an op changes shape; a node answering another protocol is refused like another version. */
export const NODE_PROTOCOL = 1;

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
  return `crewmux-node-${uid}`;
}
