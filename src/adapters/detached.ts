/** Starting a background process that outlives its parent (own process group, output to a log file). */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir } from './files.js';

/**
 * Starts `file args` detached (setsid, stdin closed, stdout and stderr appended to `logFile`) and
 * returns its pid. Throws when it cannot be spawned. The caller does not wait for it.
 */
export function spawnDetached(file: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): number {
  ensureDir(dirname(opts.logFile));
  const fd = openSync(opts.logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`cannot start ${file}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
