/**
 * The ports of `worktree.clone` folders on worker nodes (docs/architecture.md "Worker nodes: cloned folders"): the
 * lead host's `CloneFolders` (a folder's fingerprint, this host's platform-arch) and the node's `CloneCache` (the
 * folders received, kept per repository, folder and fingerprint). adapters/nodes/clone-folders.ts implements both.
 */
import type { CloneCandidate, CloneReceiveParams, CloneReceiveResult } from '../../core/nodes/clone-protocol.js';

export interface CloneFolders {
  /** `<platform>-<arch>` of this host (`linux-x64`): a node of another gets no clone. */
  readonly platformArch: string;
  /**
   * The fingerprint and size of `root/folder` (sha256 over each entry's relative path, type, size, mtime and link
   * target, walked without following symlinks, and the platform-arch); a folder that is a symlink, or under one, or
   * not a folder, has a `problem` instead. Past `maxBytes` the walk stops (`bytes` is then over it, no fingerprint
   * worth using). Memoised while the folder's and the repository's lockfiles' mtimes are unchanged.
   */
  fingerprint(root: string, folder: string, maxBytes: number): Promise<CloneCandidate['print']>;
}

export interface CloneCache {
  /** `<platform>-<arch>` of the node. */
  readonly platformArch: string;
  /** The cached copy of `folder` at `fingerprint` (the folder itself, inside the cache), marked as just used; undefined when missing. */
  use(repoId: string, folder: string, fingerprint: string): string | undefined;
  /** Whether the cache holds `folder` at `fingerprint`. */
  has(repoId: string, folder: string, fingerprint: string): boolean;
  /**
   * Extracts the tar stream `input` (members under `folder/` only) into a temp dir of the cache and renames it into
   * place (a half-sent folder is never used), then keeps the newest NODE_CLONE_KEEP fingerprints of the folder.
   * Rejects (nothing kept) when tar fails, the stream is over `maxBytes`, or it held anything outside the folder.
   */
  receive(p: CloneReceiveParams, input: NodeJS.ReadableStream): Promise<CloneReceiveResult>;
}
