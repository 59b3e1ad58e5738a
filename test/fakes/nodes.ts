/**
 * Fakes of the node ports (src/app/ports/nodes.ts): a NodeConnector whose nodes are a table by host (each
 * answers `hello` as configured, or fails the way an ssh link fails), recording opens, closes and
 * disconnects; and a NodesConfigStore in memory. Stateful, no ssh.
 */
import type { NodeChannel, NodeConnector, NodesConfigStore } from '../../src/app/ports/nodes.js';
import type { NodesConfig, NodeSpec } from '../../src/core/nodes/node-config.js';
import type { HelloResult } from '../../src/core/nodes/protocol.js';
import { NodeLinkError, type NodeLinkFailure } from '../../src/core/nodes/ssh-failure.js';

/** How a fake host behaves: its hello, or the failure of every call. */
export type FakeHost = { hello: HelloResult } | { failure: NodeLinkFailure };

export interface FakeNodeConnector extends NodeConnector {
  hosts: Map<string, FakeHost>;
  /** Hosts in the order they were opened, closed and disconnected. */
  opened: string[];
  closed: string[];
  disconnected: string[];
}

/** A connector over `hosts` (by NodeSpec.host); an unknown host is unreachable (ssh exit 255). */
export function createFakeNodeConnector(hosts: Record<string, FakeHost> = {}): FakeNodeConnector {
  const c: FakeNodeConnector = {
    hosts: new Map(Object.entries(hosts)),
    opened: [],
    closed: [],
    disconnected: [],
    async open(spec: NodeSpec): Promise<NodeChannel> {
      c.opened.push(spec.host);
      const host = c.hosts.get(spec.host) ?? {
        failure: { kind: 'exited', exitCode: 255, stderr: `ssh: Could not resolve hostname ${spec.host}` },
      };
      let end: (f: NodeLinkFailure) => void = () => undefined;
      const closed = new Promise<NodeLinkFailure>((r) => (end = r));
      return {
        async call(method) {
          if ('failure' in host) throw new NodeLinkError(host.failure);
          if (method === 'hello') return host.hello;
          throw new NodeLinkError({ kind: 'remote', code: -32601, message: `unknown method "${method}"` });
        },
        onNotification: () => undefined,
        closed,
        async close() {
          c.closed.push(spec.host);
          end({ kind: 'exited', exitCode: 0, stderr: '' });
        },
      };
    },
    async disconnect(spec) {
      c.disconnected.push(spec.host);
    },
  };
  return c;
}

/** A NodesConfigStore in memory; `writes` counts write() calls. */
export function createMemoryNodesConfig(initial?: NodesConfig): NodesConfigStore & { writes: number } {
  let nodes = initial;
  const store = {
    writes: 0,
    read: () => nodes,
    write(next: NodesConfig) {
      store.writes++;
      nodes = Object.keys(next).length ? next : undefined;
    },
  };
  return store;
}
