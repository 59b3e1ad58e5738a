/** Writes a LaunchSpec's session-scoped files: user files it seeds from (copied when present), then its own files. */
import { copyFileSync, existsSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LaunchSpec } from '../core/agents/profile.js';

/** Copies `spec.seed` (skipping missing sources) and writes `spec.files` (mode default 0600); throws on I/O errors. */
export function writeLaunchFiles(spec: LaunchSpec): void {
  for (const s of spec.seed ?? []) {
    if (!existsSync(s.from)) continue;
    mkdirSync(dirname(s.to), { recursive: true, mode: 0o700 });
    copyFileSync(s.from, s.to);
    chmodSync(s.to, 0o600);
  }
  for (const f of spec.files ?? []) {
    mkdirSync(dirname(f.path), { recursive: true, mode: 0o700 });
    writeFileSync(f.path, f.content, { mode: f.mode ?? 0o600 });
  }
}
