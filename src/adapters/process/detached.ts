/** Starting a background process that outlives its parent (own process group, output to a log file). */
import { dirname } from 'node:path';
import { execDetached } from './exec.js';
import { ensureDir } from '../system/files.js';

/**
 * Starts `file args` detached (setsid, stdin closed, stdout and stderr appended to `logFile`, whose
 * directory is created) and returns its pid. Throws when it cannot be spawned. The caller does not wait for it.
 */
export function spawnDetached(
  file: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): number {
  ensureDir(dirname(opts.logFile));
  return execDetached(file, args, opts);
}
