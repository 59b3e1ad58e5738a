/**
 * The node side of `worktree.clone` folders (docs/architecture.md "Worker nodes: cloned folders"): `clone.check`
 * answers the node's platform-arch and which folder fingerprints its cache holds for a lead repository, and
 * `crewmux node clone-receive` (run by the lead through ssh, the tar stream on its stdin) puts a folder into the cache.
 * `worker.prepare` (serve-bootstrap.ts) then clones from the cache into the worktree.
 */
import {
  cachedName,
  CloneCheckParamsSchema,
  CloneReceiveParamsSchema,
  type CloneCheckResult,
  type CloneReceiveResult,
} from '../../core/nodes/clone-protocol.js';
import { parseOpParams } from '../../core/nodes/protocol.js';
import type { CloneCache } from '../ports/clone-folders.js';

/** The node's clone op by name: `clone.check`. */
export function nodeCloneMethods(d: { cache: CloneCache }): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    async 'clone.check'(params): Promise<CloneCheckResult> {
      const p = parseOpParams(CloneCheckParamsSchema, params, 'clone.check');
      return {
        platformArch: d.cache.platformArch,
        cached: p.folders
          .filter((f) => d.cache.has(p.repoId, f.folder, f.fingerprint))
          .map((f) => cachedName(f.folder, f.fingerprint)),
      };
    },
  };
}

/**
 * `crewmux node clone-receive`: checks `params` and extracts the tar stream `input` into the cache (a fingerprint
 * the cache holds already is not extracted again: the stream is drained). Resolves with the bytes read and whether
 * it was cached; rejects with why (bad params, tar's error, a stream over its size or holding more than the folder).
 */
export async function receiveCloneFolder(
  cache: CloneCache,
  params: unknown,
  input: NodeJS.ReadableStream,
): Promise<CloneReceiveResult> {
  const p = parseOpParams(CloneReceiveParamsSchema, params, 'clone-receive');
  if (cache.has(p.repoId, p.folder, p.fingerprint)) {
    let bytes = 0;
    for await (const chunk of input) bytes += Buffer.byteLength(chunk);
    return { bytes, cached: true };
  }
  return cache.receive(p, input);
}
