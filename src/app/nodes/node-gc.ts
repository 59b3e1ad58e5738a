/**
 * Node worktrees after their workers (docs/architecture.md "Worker nodes: clean-up"): a node keeps a worker's
 * worktree, branches and state under its user's data dir while the worker may still run there. Once the worker is
 * finished (the session's end, `crewmux stop`, or `crewmux gc` later), the lead host tells the node which commits
 * of the worker's branches it holds; the node removes its copy when nothing there is beyond them (the usual gc
 * rule: nothing that exists only there is removed without --force). The node runs the worktree's teardown first (the
 * commands this host's trusted config had when the worktree was prepared, kept on the node with it); its outcome is
 * an event here. The lead host's branch and mirror worktree stay for `crewmux gc` as any worker's do.
 */
import { isActive } from '../../core/workers/state.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { nodeWorkerId } from '../../core/nodes/protocol.js';
import { nodeEntries } from '../../core/nodes/node-config.js';
import type { Runtime } from '../runtime.js';
import { isNodeRuntime, nodeRuntimeOf, runtimeByName, runtimeOf } from '../workers/worker-runtimes.js';
import { nodeRepoId } from './node-runtime.js';
import type { WorkerRemoveResult } from '../../core/nodes/gc-protocol.js';

/** What went wrong in a node worktree's teardown, in words; undefined when it ran clean (or had nothing to run). */
export function nodeTeardownFailure(t: WorkerRemoveResult['teardown']): string | undefined {
  if (!t) return undefined;
  if (t.error) return `${t.error} (output in ${t.log} on the node)`;
  if (t.failed)
    return `"${t.failed.command}" ${t.failed.timedOut ? 'timed out' : `exited ${t.failed.exitCode}`} (output in ${t.log} on the node)`;
  return undefined;
}

/** How long `worker.remove` may take on the node: its teardown's commands, each with its timeout, and the rest. */
function removeBudgetMs(rt: Runtime): number {
  const wt = rt.config.worktree ?? {};
  return (wt.setupTimeout ?? 300) * 1000 * (wt.teardown?.length ?? 0);
}

/** What became of one worker's copy on its node. */
export interface NodeCleanup {
  session: string;
  workerId: string;
  node: string;
  /** The worktree's path on the node. */
  path: string;
  removed: boolean;
  /** Why it was kept (or that its node could not be reached). */
  reason?: string;
  /** The node could not be asked. */
  unreachable?: boolean;
  branches: string[];
  bytes: number;
  /** The worktree's teardown on the node before it was removed (core/nodes/gc-protocol.ts). */
  teardown?: WorkerRemoveResult['teardown'];
}

export interface NodeCleanupOptions {
  /** Also remove commits the lead host lacks and uncommitted work on the node. */
  force?: boolean;
  dryRun?: boolean;
}

/** The heads the lead host's repository holds of worker `wid`'s branches (`crewmux/<sid>/<wid>-*`). */
async function leadHeads(rt: Runtime, sid: string, wid: string): Promise<Record<string, string>> {
  const heads = await rt.git.branchHeads(rt.repoRoot, `crewmux/${sid}/`).catch(() => new Map<string, string>());
  // Component-wise prefix for git (for-each-ref matches whole path components), then the worker's own.
  return Object.fromEntries([...heads].filter(([b]) => b.startsWith(`crewmux/${sid}/${wid}-`)));
}

/** A worker's worktree on its node, relative to the node user's crewmux data dir. */
const nodePath = (sid: string, wid: string) => `node/worktrees/${sid}/${wid}`;

/**
 * Removes the node copies of session `rt`'s finished node workers (one call per worker, nodes asked one at a time),
 * each reported as an event `node.worktree_removed` or `node.worktree_kept` unless `dryRun`. Never rejects: a
 * node that cannot be reached keeps its copies (unreachable), for a later `crewmux gc`.
 */
export async function cleanNodeWorkers(rt: Runtime, o: NodeCleanupOptions = {}): Promise<NodeCleanup[]> {
  const out: NodeCleanup[] = [];
  for (const w of rt.store.listWorkers(rt.sid)) {
    if (isActive(w.state)) continue;
    const node = nodeRuntimeOf(rt, w);
    if (!node || !runtimeOf(rt, w)) continue;
    out.push(await cleanOne(rt, w, node.name, o));
  }
  return out;
}

async function cleanOne(rt: Runtime, w: WorkerRow, name: string, o: NodeCleanupOptions): Promise<NodeCleanup> {
  const node = runtimeByName(rt, name);
  const base = { session: rt.sid, workerId: w.id, node: name, path: nodePath(rt.sid, w.id) };
  if (!isNodeRuntime(node)) return { ...base, removed: false, reason: 'not a node', branches: [], bytes: 0 };
  try {
    const r = await node.removeWorker(
      {
        id: nodeWorkerId(rt.sid, w.id),
        heads: await leadHeads(rt, rt.sid, w.id),
        force: Boolean(o.force),
        dryRun: Boolean(o.dryRun),
      },
      removeBudgetMs(rt),
    );
    const done = {
      ...base,
      removed: r.removed,
      ...(r.reason ? { reason: r.reason } : {}),
      branches: r.branches,
      ...(r.teardown ? { teardown: r.teardown } : {}),
    };
    const failure = nodeTeardownFailure(r.teardown);
    if (failure)
      rt.events.emit(
        'bootstrap.teardown_failed',
        `teardown of ${w.id}'s worktree on node ${name} failed: ${failure} (removed anyway)`,
        w.id,
        { node: name, ...r.teardown },
      );
    else if (r.teardown?.ran)
      rt.events.emit(
        'bootstrap.teardown',
        `teardown of ${w.id}'s worktree on node ${name}: ${r.teardown.ran} command(s) ran (output in ${r.teardown.log} on the node)`,
        w.id,
        { node: name, ...r.teardown },
      );
    if (!o.dryRun) {
      if (r.removed)
        rt.events.emit(
          'node.worktree_removed',
          `${w.id}: its worktree and branches on node ${name} were removed`,
          w.id,
          {
            node: name,
            branches: r.branches,
          },
        );
      else
        rt.events.emit('node.worktree_kept', `${w.id}: its worktree on node ${name} was kept: ${r.reason}`, w.id, {
          node: name,
          reason: r.reason,
        });
    }
    return { ...done, bytes: r.bytes };
  } catch (e) {
    const reason = `node ${name} could not be asked: ${(e as Error).message}`;
    if (!o.dryRun)
      rt.events.emit('node.worktree_kept', `${w.id}: its worktree on node ${name} was kept: ${reason}`, w.id, {
        node: name,
        reason,
      });
    return { ...base, removed: false, reason, unreachable: true, branches: [], bytes: 0 };
  }
}

/**
 * The node copies of sessions this host's state database no longer knows (`known` are the ones it does), on the
 * configured nodes that answer, for `rt`'s repository only (a node may serve other lead hosts and repositories:
 * their worktrees are not this host's to judge). Each is removed when the lead host's repository holds its
 * branches' heads (or with `force`); one that cannot be asked is reported unreachable. Never rejects.
 */
export async function cleanGoneSessionsOnNodes(
  rt: Runtime,
  known: Set<string>,
  o: NodeCleanupOptions = {},
): Promise<NodeCleanup[]> {
  const out: NodeCleanup[] = [];
  const repoId = nodeRepoId(rt.repoRoot);
  for (const [name] of nodeEntries(rt.config.nodes)) {
    const node = runtimeByName(rt, name);
    if (!isNodeRuntime(node)) continue;
    let listed;
    try {
      listed = await node.listWorktrees();
    } catch (e) {
      out.push({
        session: '-',
        workerId: '-',
        node: name,
        path: '-',
        removed: false,
        reason: `node ${name} could not be asked: ${(e as Error).message}`,
        unreachable: true,
        branches: [],
        bytes: 0,
      });
      continue;
    }
    for (const wt of listed) {
      const [sid, wid] = wt.id.split('/') as [string, string];
      if (known.has(sid) || wt.repoId !== repoId) continue;
      const base = { session: sid, workerId: wid, node: name, path: wt.path };
      try {
        // The node runs the teardown it keeps with the worktree (sent by the session that made it).
        const r = await node.removeWorker(
          {
            id: wt.id,
            heads: await leadHeads(rt, sid, wid),
            force: Boolean(o.force),
            dryRun: Boolean(o.dryRun),
          },
          removeBudgetMs(rt),
        );
        const failure = nodeTeardownFailure(r.teardown);
        out.push({
          ...base,
          removed: r.removed,
          ...(r.reason || failure ? { reason: r.reason ?? `teardown failed: ${failure}` } : {}),
          ...(r.teardown ? { teardown: r.teardown } : {}),
          branches: r.branches,
          bytes: r.bytes,
        });
      } catch (e) {
        out.push({ ...base, removed: false, reason: (e as Error).message, unreachable: true, branches: [], bytes: 0 });
      }
    }
  }
  return out;
}
