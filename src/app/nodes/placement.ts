/**
 * Automatic placement (docs/architecture.md "Worker nodes: placement"): a spawn_worker that names neither a node nor
 * a runtime runs here when this machine's memory admits it (app/workers/admission.ts) and its agent is installed
 * here; otherwise on the first configured node, in config order, that has room for it (core/nodes/placement.ts: its
 * agents list, its maxWorkers, its status answer's free memory and installed agents). Nodes are asked one at a time,
 * each answer bounded by the channel's call timeout, and only when this machine said no. A worker placed on a node is
 * held against the node's room (rt.nodeHolds) until the node's free memory shows it or the worker ends, so quick
 * spawns do not all pick a node whose memory has not dropped yet; the memory queue asks the nodes too.
 */
import { isActive } from '../../core/workers/state.js';
import { nodeEntries } from '../../core/nodes/node-config.js';
import { configRefusal, nodeFits, unreflectedBytes, type NodeHold } from '../../core/nodes/placement.js';
import { DEFAULT_RESERVE, sizeBytes } from '../../core/workers/memory.js';
import type { Runtime } from '../runtime.js';
import { expectedFor } from '../workers/admission.js';
import { isNodeRuntime, nodeOf, runtimeByName } from '../workers/worker-runtimes.js';

/** A placement's hold on its node's room: `bind` it to the worker once started, `release` it if the start failed. */
export interface PlacementHold {
  bind(workerId: string): void;
  release(): void;
}

/** Where placement put a worker (and its hold on the node's room), or why no node took it. */
export type NodePlacement = { node: string; why: string; hold: PlacementHold } | { node?: undefined; why: string };

/**
 * Node `name`'s holds still pending: those of workers that ended are dropped (a hold without a worker yet is a start
 * in flight and stays).
 */
function liveHolds(rt: Runtime, name: string): NodeHold[] {
  const all = (rt.nodeHolds ??= new Map<string, NodeHold[]>());
  const live = (all.get(name) ?? []).filter((h) => {
    if (h.worker === undefined) return true;
    const w = rt.store.getWorker(rt.sid, h.worker);
    return w !== undefined && isActive(w.state);
  });
  all.set(name, live);
  return live;
}

/**
 * Picks a node for a worker of `agent` that does not run here (`notHere` says why, as the lead is told it: "this
 * machine did not admit it (...)"): the first configured node that fits, with the reason the lead is told (`why`) and
 * its hold on the node's room (counted by the next placements until the node's free memory shows it); else no node,
 * with each node's refusal; undefined when this session has no nodes. Never rejects: a node that cannot be asked
 * does not fit.
 */
export async function placeOnNode(rt: Runtime, agent: string, notHere: string): Promise<NodePlacement | undefined> {
  const nodes = rt.newNodeRuntime ? nodeEntries(rt.config.nodes) : [];
  if (!nodes.length) return undefined;
  const need = expectedFor(rt, agent);
  const reserve = rt.config.admission?.reserve ?? DEFAULT_RESERVE;
  const refusals: string[] = [];
  // The session's workers there, and the starts placed there that have no row yet.
  const countThere = (name: string) =>
    rt.store.listWorkers(rt.sid).filter((w) => isActive(w.state) && nodeOf(rt, w) === name).length +
    liveHolds(rt, name).filter((h) => h.worker === undefined).length;
  for (const [name, spec] of nodes) {
    // The cheap checks first: a node that cannot take the worker by its config is not asked.
    const refused = configRefusal(spec, agent, countThere(name));
    if (refused) {
      refusals.push(`${name}: ${refused}`);
      continue;
    }
    const runtime = runtimeByName(rt, name);
    let info;
    let error: string | undefined;
    try {
      info = isNodeRuntime(runtime) ? await runtime.info([agent]) : undefined;
    } catch (e) {
      error = (e as Error).message;
    }
    // From the answer on, nothing is awaited: the decision and its hold are one step, so two spawns at once both count.
    const holds = liveHolds(rt, name);
    const freeNow = info?.freeMemoryBytes;
    const pending = unreflectedBytes(holds, freeNow);
    // Everything placed there shows in its free memory now: those holds count no memory any more (a start in flight
    // still counts against maxWorkers until its row exists).
    if (pending === 0 && freeNow !== undefined) for (const h of holds) delete h.freeAt;
    const fit = nodeFits({
      spec,
      agent,
      activeThere: countThere(name),
      info,
      error,
      needBytes: need,
      reserveBytes: (total) => sizeBytes(reserve, total),
      pendingBytes: pending,
    });
    if (fit.fits) {
      const hold: NodeHold = { bytes: need, ...(freeNow !== undefined ? { freeAt: freeNow } : {}) };
      liveHolds(rt, name).push(hold);
      return {
        node: name,
        why: `${notHere}; node ${name} has room${fit.freeBytes !== undefined ? ` (${Math.round(fit.freeBytes / 2 ** 20)} MB free beyond its reserve)` : ''}`,
        hold: {
          bind: (id) => void (hold.worker = id),
          release: () => {
            const list = rt.nodeHolds?.get(name);
            if (list)
              rt.nodeHolds!.set(
                name,
                list.filter((h) => h !== hold),
              );
          },
        },
      };
    }
    refusals.push(`${name}: ${fit.reason}`);
  }
  return { why: `no node had room (${refusals.join('; ')})` };
}
