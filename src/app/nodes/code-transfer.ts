/**
 * Code moving between the lead host and a worker node, always initiated by the lead host (docs/architecture.md
 * "Worker nodes: code transfer"): `pushWorkerBase` pushes the commit a worker starts from to the node's bare
 * repository, as the worker's base ref; `fetchWorkerRef` and `fetchWorkerRefs` bring back only the worker's own
 * branches (`refs/heads/crewmux/<sid>/<worker>-*`), each with an explicit refspec. A ref outside that prefix, asked
 * for by a worker or offered by a node, is refused with a `node.ref_refused` event and E_NODE_REF_REFUSED, and is
 * never fetched. No host ever gets write access to the lead host's repository.
 */
import { UserError } from '../../core/errors.js';
import type { EventType } from '../../core/session/event-types.js';
import { fetchRefspec, nodeBaseRef, refRefusal, workerRefPrefix } from '../../core/nodes/worker-refs.js';
import type { GitTransfer } from '../ports/git-transfer.js';

export interface CodeTransferDeps {
  transfer: GitTransfer;
  /** The session's event log (EventLog.emit). */
  emit(type: EventType, message: string, workerId: string | null, data: Record<string, unknown>): unknown;
}

/** Where a worker's code goes: the lead host's repository, the node's bare repository URL, and who it is. */
export interface WorkerRemote {
  /** The lead host's repository (its root). */
  repo: string;
  /** The node's bare repository, e.g. `ssh://me@node/home/me/.local/share/crewmux/nodes-repos/<id>.git`. */
  url: string;
  sid: string;
  workerId: string;
  /** The node name, for messages and events. */
  node: string;
  /** GIT_SSH_COMMAND for the transfer (the node channel's ssh with its control socket). */
  sshCommand?: string;
}

/**
 * Pushes `commit` (the integration head, or a start point) to the node as the worker's base ref (forced: a
 * restarted worker may start from a newer head). Resolves with the ref and the pack bytes sent; rejects with
 * E_NODE_GIT naming the node and git's words.
 */
export async function pushWorkerBase(
  d: CodeTransferDeps,
  to: WorkerRemote,
  commit: string,
): Promise<{ ref: string; bytes: number }> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit))
    throw new Error(`pushWorkerBase needs a full commit id, got "${commit}"`);
  const ref = nodeBaseRef(to.sid, to.workerId);
  try {
    const r = await d.transfer.push(to.repo, to.url, [`+${commit}:${ref}`], { sshCommand: to.sshCommand });
    return { ref, bytes: r.bytes };
  } catch (e) {
    throw new UserError(
      'E_NODE_GIT',
      `pushing ${to.workerId}'s base to node ${to.node} failed: ${(e as Error).message}`,
    );
  }
}

/** Refuses `ref` for worker `to.workerId` (event + E_NODE_REF_REFUSED) when it is outside the worker's prefix. */
function refuseOutside(d: CodeTransferDeps, to: WorkerRemote, ref: string, asker: string): void {
  const why = refRefusal(ref, to.sid, to.workerId);
  if (!why) return;
  const prefix = workerRefPrefix(to.sid, to.workerId);
  d.emit(
    'node.ref_refused',
    `${to.workerId}: ref ${JSON.stringify(ref)} from node ${to.node} refused: ${why}`,
    to.workerId,
    {
      node: to.node,
      ref,
      allowed: `${prefix}*`,
      asker,
    },
  );
  throw new UserError(
    'E_NODE_REF_REFUSED',
    `${asker} asked to bring back ${JSON.stringify(ref)} for ${to.workerId} from node ${to.node}, which was refused (${why}); only ${prefix}* is fetched`,
  );
}

/**
 * Fetches worker ref `ref` (named by the worker or its node) into the same name in the lead host's repository,
 * fast-forward only. A ref outside `refs/heads/crewmux/<sid>/<worker>-` is refused before git runs. Resolves with
 * the commit now at `ref` and the pack bytes received.
 */
export async function fetchWorkerRef(
  d: CodeTransferDeps,
  from: WorkerRemote,
  ref: string,
  asker = 'the node',
): Promise<{ ref: string; bytes: number }> {
  refuseOutside(d, from, ref, asker);
  try {
    const r = await d.transfer.fetch(from.repo, from.url, [fetchRefspec(ref)], { sshCommand: from.sshCommand });
    return { ref, bytes: r.bytes };
  } catch (e) {
    throw new UserError('E_NODE_GIT', `fetching ${ref} from node ${from.node} failed: ${(e as Error).message}`);
  }
}

/**
 * Fetches every branch of the worker that the node has (ls-remote under its prefix, each one checked again: git's
 * pattern matches the tail of a ref, so `refs/heads/x/refs/heads/crewmux/...` would pass it). A listed ref outside
 * the prefix is refused with an event and skipped, never fetched; the others are fetched with explicit refspecs in
 * one git call. Resolves with the refs fetched, the refused ones and the bytes received.
 */
export async function fetchWorkerRefs(
  d: CodeTransferDeps,
  from: WorkerRemote,
): Promise<{ refs: string[]; refused: string[]; bytes: number }> {
  const prefix = workerRefPrefix(from.sid, from.workerId);
  let listed: Map<string, string>;
  try {
    listed = await d.transfer.listRefs(from.repo, from.url, prefix, { sshCommand: from.sshCommand });
  } catch (e) {
    throw new UserError(
      'E_NODE_GIT',
      `listing ${from.workerId}'s refs on node ${from.node} failed: ${(e as Error).message}`,
    );
  }
  const refs: string[] = [];
  const refused: string[] = [];
  for (const ref of listed.keys()) {
    try {
      refuseOutside(d, from, ref, 'the node');
      refs.push(ref);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      refused.push(ref);
    }
  }
  if (!refs.length) return { refs, refused, bytes: 0 };
  try {
    const r = await d.transfer.fetch(from.repo, from.url, refs.map(fetchRefspec), { sshCommand: from.sshCommand });
    return { refs, refused, bytes: r.bytes };
  } catch (e) {
    throw new UserError(
      'E_NODE_GIT',
      `fetching ${from.workerId}'s branches from node ${from.node} failed: ${(e as Error).message}`,
    );
  }
}
