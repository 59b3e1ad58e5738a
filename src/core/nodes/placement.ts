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
  /** Bytes of workers placed there that its free memory does not show yet (unreflectedBytes); default 0. */
  pendingBytes?: number;
}

/**
 * A worker placed on a node that the node's free memory may not show yet (its agent has not grown): the bytes it is
 * expected to take, the node's free memory the placement was decided on (undefined: the node could not tell, or its
 * memory shows the worker now: it counts no memory), and the worker once it has an id (a hold whose worker ended is
 * dropped by the caller).
 */
export interface NodeHold {
  bytes: number;
  freeAt?: number;
  worker?: string;
}

/**
 * Bytes placed on a node that its free memory `freeNow` does not show yet: the held placements' expected sizes,
 * minus how far the node's free memory has dropped since the oldest of them was decided (never below 0). Holds
 * decided without a memory figure, or a node that cannot tell its memory now, count nothing.
 */
export function unreflectedBytes(holds: readonly NodeHold[], freeNow: number | undefined): number {
  const counted = holds.filter((h) => h.freeAt !== undefined);
  if (freeNow === undefined || !counted.length) return 0;
  const placed = counted.reduce((a, h) => a + h.bytes, 0);
  const dropped = Math.max(0, counted[0]!.freeAt! - freeNow);
  return Math.max(0, placed - dropped);
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
 * installed there, and its free memory minus the reserve and what was placed there but does not show yet
 * (`pendingBytes`) covers the agent's expected size (a node that cannot tell its memory is taken at its word: it fits).
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
  const pending = i.pendingBytes ?? 0;
  const left = free - reserve - pending;
  if (left < i.needBytes) {
    const placed = pending > 0 ? `, ${mb(pending)} placed there and not showing in its free memory yet` : '';
    return {
      fits: false,
      reason: `${mb(free)} free minus the reserve ${mb(reserve)}${placed} leaves ${mb(Math.max(0, left))}; ${i.agent} needs ${mb(i.needBytes)}`,
    };
  }
  return { fits: true, freeBytes: left };
}
