/** Waiting on a condition with a deadline (no bare sleeps in tests). */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessPid } from '../../src/adapters/process/process-tree.js';

/** Resolves the first truthy value of `check`, polled every `everyMs`; rejects naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 300,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** True while a process with `pid` exists (signal 0: nothing is sent); false once it is gone. */
export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `sig` to one process. Refuses anything that is not one other process's pid: process.kill(0, sig) signals
 * the caller's whole process group, which in CI is the test runner, npm and .ci/run (a pid file read before its
 * writer wrote it parses as 0; that killed a CI run with exit 137). Every signal a test sends goes through here
 * (the lint refuses process.kill elsewhere in test/).
 */
export function signalPid(pid: unknown, sig: NodeJS.Signals): void {
  if (typeof pid !== 'number' || !isProcessPid(pid) || pid === process.pid)
    throw new Error(`refusing to send ${sig} to ${JSON.stringify(pid)}: not another process's pid`);
  process.kill(pid, sig);
}

/** The pid in `file` once the file holds a whole one (a writer may have created it and not written yet). */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const pid = /^\d+$/.test(text) ? Number(text) : 0;
  return pid > 1 ? pid : undefined;
}
