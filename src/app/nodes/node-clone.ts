/**
 * `worktree.clone` / `worktree.link` folders for a node worker, the lead host's side (docs/architecture.md "Worker
 * nodes: cloned folders"): each folder of the user's checkout is fingerprinted here (memoised), the node says which
 * fingerprints its cache holds and its platform-arch, core/nodes/clone-protocol.ts decides (send, cached, skip: another
 * platform-arch, over `nodes.cloneMaxBytes`, a symlinked folder), and a missing folder is sent once as a tar stream.
 * What the node then clones (worker.prepare's `clone`) and what was skipped, with the bytes sent, go back to
 * node-bootstrap.ts for `bootstrap.prepared`. Nothing outside the listed folders leaves this host.
 */
import {
  cloneVerdicts,
  DEFAULT_NODE_CLONE_MAX_BYTES,
  type CloneCandidate,
  type PrepareClone,
} from '../../core/nodes/clone-protocol.js';
import type { Runtime } from '../runtime.js';
import type { NodeRuntime } from './node-runtime.js';

/** One folder's outcome for the event: sent (bytes), found in the node's cache (0 bytes), or not cloned (why). */
export interface NodeCloneOutcome {
  folder: string;
  link: boolean;
  /** `sent`: a cache miss, sent now; `cached`: a cache hit, nothing sent; `skipped`: not cloned on the node. */
  outcome: 'sent' | 'cached' | 'skipped';
  bytesSent: number;
  /** The folder's size in this checkout (sent or not), when known. */
  bytes?: number;
  why?: string;
}

/**
 * Makes `folders` (the `worktree.clone` ones, and `worktree.link` ones with `link`) of the user's checkout ready in
 * `node`'s cache for a worker's worktree: resolves with what worker.prepare should clone (`clone`) and each folder's
 * outcome. Never rejects: a node that cannot be asked, or a send that fails, makes that folder `skipped` with why.
 */
export async function syncNodeClones(
  rt: Runtime,
  node: NodeRuntime,
  folders: { folder: string; link: boolean }[],
): Promise<{ clone: PrepareClone[]; outcomes: NodeCloneOutcome[] }> {
  if (!folders.length) return { clone: [], outcomes: [] };
  const skipAll = (why: string) => ({
    clone: [],
    outcomes: folders.map((f): NodeCloneOutcome => ({ ...f, outcome: 'skipped', bytesSent: 0, why })),
  });
  const here = rt.cloneFolders;
  if (!here)
    return skipAll(`not cloned: node ${node.node} has no copy of your checkout (install it with worktree.setup)`);
  const maxBytes = rt.config.nodes?.cloneMaxBytes ?? DEFAULT_NODE_CLONE_MAX_BYTES;
  const candidates: CloneCandidate[] = [];
  for (const f of folders)
    candidates.push({ folder: f.folder, print: await here.fingerprint(rt.repoRoot, f.folder, maxBytes) });
  const asked = candidates.flatMap((c) =>
    'fingerprint' in c.print && c.print.fingerprint ? [{ folder: c.folder, fingerprint: c.print.fingerprint }] : [],
  );
  let check;
  try {
    check = await node.cloneCheck(asked);
  } catch (e) {
    return skipAll(`not cloned: node ${node.node} could not say what its cache holds (${(e as Error).message})`);
  }
  const verdicts = cloneVerdicts(
    { node: node.node, here: here.platformArch, there: check.platformArch, maxBytes, cached: check.cached },
    candidates,
  );
  const clone: PrepareClone[] = [];
  const outcomes: NodeCloneOutcome[] = [];
  for (const [i, v] of verdicts.entries()) {
    const link = folders[i]!.link;
    if (v.action === 'skip') {
      const print = candidates[i]!.print;
      outcomes.push({
        folder: v.folder,
        link,
        outcome: 'skipped',
        bytesSent: 0,
        ...('bytes' in print ? { bytes: print.bytes } : {}),
        why: v.why,
      });
      continue;
    }
    if (v.action === 'cached') {
      clone.push({ folder: v.folder, fingerprint: v.fingerprint, link });
      outcomes.push({ folder: v.folder, link, outcome: 'cached', bytesSent: 0, bytes: v.bytes });
      continue;
    }
    try {
      const sent = await node.sendClone({ folder: v.folder, fingerprint: v.fingerprint, maxBytes });
      clone.push({ folder: v.folder, fingerprint: v.fingerprint, link });
      outcomes.push({
        folder: v.folder,
        link,
        outcome: sent.bytes ? 'sent' : 'cached',
        bytesSent: sent.bytes,
        bytes: v.bytes,
      });
    } catch (e) {
      outcomes.push({
        folder: v.folder,
        link,
        outcome: 'skipped',
        bytesSent: 0,
        bytes: v.bytes,
        why: `not cloned: sending it to node ${node.node} failed (${(e as Error).message})`,
      });
    }
  }
  return { clone, outcomes };
}
