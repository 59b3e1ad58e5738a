/**
 * A node worker's code coming home (docs/architecture.md "Worker nodes: workers"): when its turn ends or it is
 * stopped, its leftover work is committed on the node, its branches are fetched into the lead host's repository
 * (only `refs/heads/crewmux/<sid>/<worker>-*`), and the lead host's worktree of the worker (a mirror: nobody works
 * in it) is moved to the fetched branch, so merge, the radar, the done check and verify run here unchanged.
 */
import type { WorkerRow } from '../../core/session/rows.js';
import type { Runtime } from '../runtime.js';
import type { NodeRuntime } from './node-runtime.js';

/**
 * Snapshot on the node, fetch back, mirror moved; resolves with the snapshot commit (undefined when nothing was
 * left). Never throws: a failure (the link is down) is a `worker.snapshot_failed` event and the mirror stays where
 * it was, on the worker's branch.
 */
export async function fetchNodeWorker(
  rt: Runtime,
  w: WorkerRow,
  node: NodeRuntime,
  why: string,
  exclude: string[],
): Promise<string | undefined> {
  let detached = false;
  try {
    // git refuses to fetch into a branch checked out in a worktree: the mirror lets go of it for the fetch.
    await rt.git.raw(w.worktree, ['checkout', '-q', '--detach']);
    detached = true;
    const r = await node.fetchBack(w.id, `crewmux: snapshot of ${w.id} leftover work (${why})`, exclude);
    if (r.commit)
      rt.events.emit(
        'worker.snapshot',
        `${w.id}: committed leftover work on node ${node.node} as ${r.commit.slice(0, 10)}`,
        w.id,
        {
          commit: r.commit,
          node: node.node,
        },
      );
    return r.commit;
  } catch (e) {
    rt.events.emit(
      'worker.snapshot_failed',
      `${w.id}: fetching its work from node ${node.node} failed: ${(e as Error).message}`,
      w.id,
      { node: node.node },
    );
    return undefined;
  } finally {
    if (detached) await rt.git.raw(w.worktree, ['checkout', '-q', w.branch]).catch(() => undefined);
  }
}
