/** Writes a LaunchSpec's session-scoped files: user files it seeds from (copied when present), then its own files. */
import { existsSync, readFileSync } from 'node:fs';
import type { LaunchSpec } from '../core/agents/profile.js';
import { writeFileAtomic } from './files.js';

/**
 * Copies `spec.seed` (skipping missing sources; copies are 0600) and writes `spec.files` (mode default 0600),
 * each atomically and never through a symlink at the target (E_UNSAFE_PATH: a worktree's checkout may plant
 * one); missing folders are made 0700. Throws on I/O errors.
 */
export function writeLaunchFiles(spec: LaunchSpec): void {
  for (const s of spec.seed ?? []) {
    if (!existsSync(s.from)) continue;
    writeFileAtomic(s.to, readFileSync(s.from), 0o600);
  }
  for (const f of spec.files ?? []) writeFileAtomic(f.path, f.content, f.mode ?? 0o600);
}
