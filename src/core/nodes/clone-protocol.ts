/**
 * `worktree.clone` / `worktree.link` folders on a worker node (docs/architecture.md "Worker nodes: cloned folders"):
 * the node keeps a cache per lead repository, folder and fingerprint (`<node dir>/cache/<repoId>/<folder>/<fp>/`,
 * 0700); `clone.check` tells the lead which fingerprints it has and its platform-arch; a missing folder is sent once
 * as a tar stream to `crewmux node clone-receive` (extracted into a temp dir of the cache, renamed into place); then
 * `worker.prepare` clones the cached folder into the worker's worktree with the local clone code. The lead's
 * decisions (platform, size cap) are `cloneVerdict` here. Pure.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { isSafeRelativePath } from '../worktrees/bootstrap.js';
import { RepoEnsureParamsSchema } from './protocol.js';

/** Fingerprints of a folder kept in a node's cache (the newest by use); older ones are removed. */
export const NODE_CLONE_KEEP = 2;
/** A folder bigger than this is not sent to a node unless `nodes.cloneMaxBytes` says otherwise (2 GiB). */
export const DEFAULT_NODE_CLONE_MAX_BYTES = 2 * 1024 ** 3;

/** A folder's fingerprint: sha256 hex of its entries' paths, types, sizes and mtimes, and the lead's platform-arch. */
export const FingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/);
const FolderSchema = z
  .string()
  .max(1024)
  .refine(isSafeRelativePath, 'a path inside the repository (relative, no "..", not .git)');

/** `clone.check`: which of these folder fingerprints the node's cache holds for repository `repoId`. */
export const CloneCheckParamsSchema = z.object({
  repoId: RepoEnsureParamsSchema.shape.repoId,
  folders: z.array(z.object({ folder: FolderSchema, fingerprint: FingerprintSchema })).max(100),
});
export type CloneCheckParams = z.infer<typeof CloneCheckParamsSchema>;

/** `clone.check`'s answer: the node's `<platform>-<arch>` and the folders whose fingerprint it has. */
export const CloneCheckResultSchema = z.object({ platformArch: z.string(), cached: z.array(z.string()) });
export type CloneCheckResult = z.infer<typeof CloneCheckResultSchema>;

/** `crewmux node clone-receive`'s arguments: where the tar stream on its stdin goes, and the most it may hold. */
export const CloneReceiveParamsSchema = z.object({
  repoId: RepoEnsureParamsSchema.shape.repoId,
  folder: FolderSchema,
  fingerprint: FingerprintSchema,
  maxBytes: z.number().int().positive(),
});
export type CloneReceiveParams = z.infer<typeof CloneReceiveParamsSchema>;

/** Its answer (one JSON line on stdout): the bytes read from stdin, and whether the cache had it already. */
export const CloneReceiveResultSchema = z.object({ bytes: z.number().int().nonnegative(), cached: z.boolean() });
export type CloneReceiveResult = z.infer<typeof CloneReceiveResultSchema>;

/** One folder `worker.prepare` clones (or links, `link`) from the node's cache into the worktree. */
export const PrepareCloneSchema = z.object({
  folder: FolderSchema,
  fingerprint: FingerprintSchema,
  link: z.boolean(),
});
export type PrepareClone = z.infer<typeof PrepareCloneSchema>;

/** The node-side folder name of `folder` in the cache: one path segment (`packages/a/node_modules` stays apart). */
export function cacheFolderKey(folder: string): string {
  return encodeURIComponent(
    folder
      .split('/')
      .filter((x) => x && x !== '.')
      .join('/'),
  );
}

/** The cache dir of `folder` of repository `repoId` on a node whose crewmux node dir is `nodeDir`. */
export function nodeCloneCacheDir(nodeDir: string, repoId: string, folder: string): string {
  return join(nodeDir, 'cache', repoId, cacheFolderKey(folder));
}

/** The lead's view of one clone folder before anything is sent. */
export interface CloneCandidate {
  folder: string;
  /** Its fingerprint and size, or why it has none (a symlink, not a folder, unreadable). */
  print: { fingerprint: string; bytes: number } | { problem: string };
}

/** What the lead does with one folder for a node: send it (a cache miss), use the cache (a hit), or skip it (why). */
export type CloneVerdict =
  | { folder: string; action: 'send' | 'cached'; fingerprint: string; bytes: number }
  | { folder: string; action: 'skip'; why: string };

/**
 * The lead's decision for each folder on node `node`: skipped when the node's platform-arch differs from this host's
 * (native modules would not run there), when the folder has no fingerprint, or when it is over `maxBytes`; else
 * `cached` when the node has its fingerprint, `send` when not. Each skip names the fix.
 */
export function cloneVerdicts(
  c: { node: string; here: string; there: string; maxBytes: number; cached: readonly string[] },
  folders: readonly CloneCandidate[],
): CloneVerdict[] {
  return folders.map((f): CloneVerdict => {
    if (c.here !== c.there)
      return {
        folder: f.folder,
        action: 'skip',
        why: `not cloned: node ${c.node} is ${c.there} and this host ${c.here} (its native modules would not run there); install it on the node with worktree.setup`,
      };
    if ('problem' in f.print) return { folder: f.folder, action: 'skip', why: `not cloned: ${f.print.problem}` };
    if (f.print.bytes > c.maxBytes)
      return {
        folder: f.folder,
        action: 'skip',
        why: `not cloned: over nodes.cloneMaxBytes (${c.maxBytes} bytes); raise it in the global config or install it on the node with worktree.setup`,
      };
    const hit = c.cached.includes(cachedName(f.folder, f.print.fingerprint));
    return {
      folder: f.folder,
      action: hit ? 'cached' : 'send',
      fingerprint: f.print.fingerprint,
      bytes: f.print.bytes,
    };
  });
}

/** How `clone.check` names a cached folder in `cached`: `<folder>@<fingerprint>`. */
export const cachedName = (folder: string, fingerprint: string) => `${folder}@${fingerprint}`;
