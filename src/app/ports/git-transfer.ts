/**
 * The GitTransfer port: moving commits between the lead host's repository and a node's bare repository (push and
 * fetch with exact refspecs, listing a remote's refs). adapters/nodes/git-transfer.ts implements it with the git
 * binary; `sshCommand` becomes GIT_SSH_COMMAND (the node channel's ssh with its control socket).
 */

export interface TransferOptions {
  /** The ssh command line git uses for ssh:// URLs (GIT_SSH_COMMAND); unset: git's default. */
  sshCommand?: string;
  /** Milliseconds the transfer may take (default 300 000). */
  timeoutMs?: number;
}

export interface TransferResult {
  /** Bytes of pack data sent or received (git's progress figure), 0 when nothing had to move. */
  bytes: number;
}

export interface GitTransfer {
  /** Pushes with exactly these refspecs from `repo` to `url` (no hooks run on this side); throws naming git's words. */
  push(repo: string, url: string, refspecs: string[], o?: TransferOptions): Promise<TransferResult>;
  /** Fetches exactly these refspecs from `url` into `repo` (no tags, no submodules); throws naming git's words. */
  fetch(repo: string, url: string, refspecs: string[], o?: TransferOptions): Promise<TransferResult>;
  /** The refs of `url` under `prefix` (`git ls-remote --refs`), ref -> commit. */
  listRefs(repo: string, url: string, prefix: string, o?: TransferOptions): Promise<Map<string, string>>;
}
