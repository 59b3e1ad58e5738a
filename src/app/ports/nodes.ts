/**
 * The ports of worker nodes (issue 20): the channel to a node's `crewmux node serve --stdio` over ssh
 * (adapters/nodes/node-channel.ts), and the `nodes` key of the global config.json
 * (adapters/nodes/nodes-config-file.ts). Failures reject with core/nodes/ssh-failure.ts's NodeLinkError.
 */
import type { NodesConfig, NodeSpec } from '../../core/nodes/node-config.js';
import type { NodeLinkFailure } from '../../core/nodes/ssh-failure.js';

/** An open conversation with one node. */
export interface NodeChannel {
  /** Calls `method`; rejects with NodeLinkError (timeout after `timeoutMs`, default 30 000; the node's error; the link's end). */
  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  /** Registers a listener for the node's notifications (its events). */
  onNotification(fn: (method: string, params: unknown) => void): void;
  /** Resolves when the channel has ended, with why (`exited` with exit code 0 after close()). */
  readonly closed: Promise<NodeLinkFailure>;
  /** Ends the conversation (stdin closed, then the ssh process stopped); resolves once it has ended. */
  close(): Promise<void>;
}

export interface NodeConnector {
  /** Starts `crewmux node serve --stdio` on the node over ssh; never rejects (a failed start shows in calls). */
  open(spec: NodeSpec): Promise<NodeChannel>;
  /** Ends the node's shared ssh connection (`ssh -O exit`), if one is up; never rejects. */
  disconnect(spec: NodeSpec): Promise<void>;
}

/** The `nodes` key of the global config.json; the rest of the file is kept as it is. */
export interface NodesConfigStore {
  /** The validated `nodes` (undefined when unset); throws E_CONFIG_* when the file is invalid. */
  read(): NodesConfig | undefined;
  /** Replaces `nodes` (an empty object removes the key), validating the whole file first; written 0600. */
  write(nodes: NodesConfig): void;
}
