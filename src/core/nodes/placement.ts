/**
 * Automatic placement (docs/architecture.md "Worker nodes: placement"): whether a configured node has room for one
 * more worker of an agent, from its config (`agents`, `maxWorkers`), the session's workers already there and the
 * node's own status answer (`info`: free memory, the agents installed there). Pure; app/nodes/placement.ts asks the
 * nodes and picks the first that fits.
 */
import type { NodeSpec } from './node-config.js';
import type { NodeInfo } from './protocol.js';
import { mb } from '../workers/memory.js';

export interface NodeFitInput {
  spec: NodeSpec;
  agent: string;
  /** The session's active workers on this node. */
  activeThere: number;
  /** The node's status answer; undefined when it did not answer (`error` says why). */
  info?: NodeInfo;
  error?: string;
  /** The agent's expected resident size in bytes. */
  needBytes: number;
  /** Bytes kept free on the node (config `admission.reserve`, resolved against the node's total memory). */
  reserveBytes(totalBytes: number): number;
}

export type NodeFit = { fits: true; freeBytes?: number } | { fits: false; reason: string };

/** Why the node's config refuses the worker (its `agents` list, its `maxWorkers`), before the node is asked; else undefined. */
export function configRefusal(spec: NodeSpec, agent: string, activeThere: number): string | undefined {
  if (spec.agents && !spec.agents.includes(agent))
    return `its agents list (${spec.agents.join(', ')}) does not include ${agent}`;
  if (spec.maxWorkers !== undefined && activeThere >= spec.maxWorkers)
    return `it runs ${activeThere} of this session's workers (maxWorkers ${spec.maxWorkers})`;
  return undefined;
}

/**
 * Whether the node takes the worker: its config does not refuse it (configRefusal), it answered, the agent is
 * installed there, and its free memory minus the reserve covers the agent's expected size (a node that cannot tell
 * its memory is taken at its word: it fits).
 */
export function nodeFits(i: NodeFitInput): NodeFit {
  const refused = configRefusal(i.spec, i.agent, i.activeThere);
  if (refused) return { fits: false, reason: refused };
  if (!i.info) return { fits: false, reason: `it did not answer (${i.error ?? 'no answer'})` };
  if (!i.info.agents.some((a) => a.name === i.agent && a.found))
    return { fits: false, reason: `${i.agent} is not installed there` };
  const free = i.info.freeMemoryBytes;
  if (free === undefined) return { fits: true };
  const reserve = i.reserveBytes(i.info.totalMemoryBytes ?? free);
  if (free - reserve < i.needBytes)
    return {
      fits: false,
      reason: `${mb(free)} free minus the reserve ${mb(reserve)} leaves ${mb(Math.max(0, free - reserve))}; ${i.agent} needs ${mb(i.needBytes)}`,
    };
  return { fits: true, freeBytes: free - reserve };
}
