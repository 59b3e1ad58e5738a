/**
 * Automatic placement (docs/architecture.md "Worker nodes: placement"): a spawn_worker that names neither a node nor
 * a runtime runs here when this machine's memory admits it (app/workers/admission.ts); otherwise on the first
 * configured node, in config order, that has room for it (core/nodes/placement.ts: its agents list, its
 * maxWorkers, its status answer's free memory and installed agents). Nodes are asked one at a time, each answer
 * bounded by the channel's call timeout, and only when this machine said no.
 */
import { isActive } from '../../core/workers/state.js';
import { nodeEntries } from '../../core/nodes/node-config.js';
import { configRefusal, nodeFits } from '../../core/nodes/placement.js';
import { DEFAULT_RESERVE, sizeBytes } from '../../core/workers/memory.js';
import type { Runtime } from '../runtime.js';
import { expectedFor } from '../workers/admission.js';
import { isNodeRuntime, nodeOf, runtimeByName } from '../workers/worker-runtimes.js';

/** Where placement put a worker, or why no node took it. */
export type NodePlacement = { node: string; why: string } | { node?: undefined; why: string };

/**
 * Picks a node for a worker of `agent` that this machine did not admit (`localReason` says why): the first
 * configured node that fits, with the reason the lead is told (`why`); else no node, with each node's refusal;
 * undefined when this session has no nodes. Never rejects: a node that cannot be asked does not fit.
 */
export async function placeOnNode(rt: Runtime, agent: string, localReason: string): Promise<NodePlacement | undefined> {
  const nodes = rt.newNodeRuntime ? nodeEntries(rt.config.nodes) : [];
  if (!nodes.length) return undefined;
  const need = expectedFor(rt, agent);
  const reserve = rt.config.admission?.reserve ?? DEFAULT_RESERVE;
  const active = rt.store.listWorkers(rt.sid).filter((w) => isActive(w.state));
  const refusals: string[] = [];
  for (const [name, spec] of nodes) {
    const activeThere = active.filter((w) => nodeOf(rt, w) === name).length;
    // The cheap checks first: a node that cannot take the worker by its config is not asked.
    const refused = configRefusal(spec, agent, activeThere);
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
    const fit = nodeFits({
      spec,
      agent,
      activeThere,
      info,
      error,
      needBytes: need,
      reserveBytes: (total) => sizeBytes(reserve, total),
    });
    if (fit.fits)
      return {
        node: name,
        why: `this machine did not admit it (${localReason}); node ${name} has room${fit.freeBytes !== undefined ? ` (${Math.round(fit.freeBytes / 2 ** 20)} MB free beyond its reserve)` : ''}`,
      };
    refusals.push(`${name}: ${fit.reason}`);
  }
  return { why: `no node had room (${refusals.join('; ')})` };
}
