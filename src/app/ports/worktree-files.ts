/**
 * The WorktreeFiles port: the file-system work of a worktree's bootstrap (app/worktrees/prepare.ts). Implemented by
 * adapters/git/worktree-files.ts with git, cp and node:fs; tests run it for real on temp repositories.
 */
import type { CloneMethod } from '../../core/worktrees/bootstrap.js';
import type { IncludedFile } from '../../core/nodes/bootstrap-protocol.js';

export interface IncludeResult {
  /** Paths (relative to the repo root) copied into the worktree. */
  copied: string[];
  /** Paths not copied, with why (a symlink out of the repository, a path through a symlink, vanished). */
  skipped: { path: string; why: string }[];
}

export interface WorktreeFiles {
  /**
   * Copies into `dest` each file of `root` that matches a pattern of `root/.worktreeinclude` (gitignore syntax) AND
   * is ignored by git; nested repositories are not entered and no symlink pointing outside `root` is followed or
   * copied. No .worktreeinclude: nothing is copied.
   */
  copyIncluded(root: string, dest: string): Promise<IncludeResult>;
  /**
   * The files copyIncluded would copy from `root`, read for sending to an SSH node: contents (base64) and modes, and
   * in-repository symlinks as links; files past `maxBytes` in all are skipped with why, as are the unsafe ones.
   */
  readIncluded(root: string, maxBytes: number): Promise<{ files: IncludedFile[]; skipped: IncludeResult['skipped'] }>;
  /**
   * Writes files readIncluded read (on the node) into the worktree `dest`: owner-only (0600, 0700 for an executable),
   * never through a symlinked folder, over an existing path, or as a symlink leading out of `dest`.
   */
  writeIncluded(dest: string, files: IncludedFile[]): IncludeResult;
  /**
   * How `src` (a folder of the user's checkout) can be cloned into `destDir`'s file system: `reflink` when a probe
   * clone of one of its files succeeded and shares blocks, else `copy`. Probed once per pair of file systems;
   * `why` says what the probe saw.
   */
  cloneMethod(src: string, destDir: string): Promise<{ method: CloneMethod; why: string }>;
  /** Clones (`cp --reflink=always -a`), copies (`cp -a`) or symlinks `src` to `dest`; throws with cp's stderr. */
  cloneDir(src: string, dest: string, method: CloneMethod): Promise<void>;
  /** True when `path` exists (a folder to clone, .env.local). */
  exists(path: string): boolean;
  /** Sets crewmux's managed block in `file` (a .env.local) to `vars`, keeping the rest of the file. */
  writeEnvBlock(file: string, vars: Record<string, string>): void;
  /**
   * The first port of a free block of 10 for worktree `key`: stable (the same key gets the same block while its lock
   * lives), each port checked free by binding 127.0.0.1, held by a lock file under `lockDir`.
   */
  reservePorts(lockDir: string, key: string): Promise<number>;
  /** Releases the lock of worktree `key` (teardown, gc); no lock is fine. */
  releasePorts(lockDir: string, key: string): void;
}
