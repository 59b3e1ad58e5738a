/**
 * The node side's answers (`crewmux node serve --stdio`, run by the lead host through ssh): `hello` (who the
 * node is: version, protocol, data dir, then its info) and `info` (free memory, workers running, agents).
 * The lead decides what a differing version means; the node only reports its own.
 */
import {
  HelloParamsSchema,
  InfoParamsSchema,
  NODE_PROTOCOL,
  type HelloResult,
  type NodeInfo,
  parseOpParams,
} from '../../core/nodes/protocol.js';
import type { MemoryReader } from '../ports/machine-memory.js';

/** What the node side reads about its machine; compose/nodes.ts wires the real ones. */
export interface NodeServeDeps {
  version: string;
  /** The node user's crewmux data dir. */
  dataDir: string;
  hostname: string;
  platform: string;
  memory: MemoryReader;
  /** The agent CLIs installed on the node (`names`: only those; default every known one), with versions. */
  detectAgents(names: string[] | undefined): Promise<NodeInfo['agents']>;
  /** How many crewmux worker sessions run on the node's tmux server. */
  workersRunning(): Promise<number>;
}

async function info(deps: NodeServeDeps, agents: string[] | undefined): Promise<NodeInfo> {
  const [memory, workersRunning, found] = await Promise.all([
    deps.memory.read(),
    deps.workersRunning().catch(() => 0),
    deps.detectAgents(agents),
  ]);
  return {
    ...(memory ? { freeMemoryBytes: memory.availableBytes, totalMemoryBytes: memory.totalBytes } : {}),
    workersRunning,
    agents: found,
  };
}

/** The serve ops by name, for the stdio JSON-RPC server: `hello` and `info`. */
export function nodeServeMethods(deps: NodeServeDeps): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    async hello(params): Promise<HelloResult> {
      const p = parseOpParams(HelloParamsSchema, params, 'hello');
      return {
        version: deps.version,
        protocol: NODE_PROTOCOL,
        dataDir: deps.dataDir,
        hostname: deps.hostname,
        platform: deps.platform,
        ...(await info(deps, p.agents)),
      };
    },
    async info(params): Promise<NodeInfo> {
      return info(deps, parseOpParams(InfoParamsSchema, params, 'info').agents);
    },
  };
}
