/**
 * Process trees from /proc: finding an agent's descendants and stopping them politely
 * (SIGTERM, wait, SIGKILL). Linux only, like the rest of crewmux's process handling.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { stopPolitely } from './exec.js';

/** Parent pid of `pid`, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The comm field may hold spaces and parens; the ppid is the 2nd field after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** `root` and all its descendants, parents before children. */
export function processTree(root: number): number[] {
  if (!isProcessPid(root)) return [];
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Who a process is: its owner's uid and its argv, read from /proc. */
export interface ProcessIdentity {
  uid: number;
  argv: string[];
}

/**
 * The uid and argv of process `pid` from /proc/<pid>; undefined when it is gone or unreadable, 'unsupported' on a
 * system without /proc (macOS), where nothing can be said about it.
 */
export function processIdentity(pid: number): ProcessIdentity | undefined | 'unsupported' {
  if (!existsSync('/proc/self/cmdline')) return 'unsupported';
  try {
    const uid = statSync(`/proc/${pid}`).uid;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { uid, argv };
  } catch {
    return undefined;
  }
}

/** A pid that names one real process: not 0 (kill's "my process group"), not negative (a group), not init. */
export function isProcessPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1;
}

/** True while process `pid` exists (signal 0). False for anything that is not one process's pid (isProcessPid). */
export function isAlive(pid: number): boolean {
  if (!isProcessPid(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    if (!isProcessPid(pid)) continue;
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops `root` and its descendants (as found now) with stopPolitely: SIGTERM, up to `graceMs` (default
 * 2 000) for them to exit, then SIGKILL to those left. Resolves when none is alive or after the SIGKILL wait.
 */
export async function killTree(root: number, graceMs = 2_000, clock?: Clock): Promise<void> {
  // processTree(0) would be every process (init's parent is 0): a pid read as 0 or NaN stops nothing.
  if (!isProcessPid(root)) return;
  const pids = processTree(root).filter(isAlive);
  if (pids.length === 0) return;
  // Only the ones still alive are signalled: a pid that exited may already name another process.
  await stopPolitely(
    { signal: (sig) => signalAll(pids.filter(isAlive), sig), alive: () => pids.some(isAlive) },
    { graceMs, clock },
  );
}

/** Resident bytes of one process (VmRSS of /proc/<pid>/status), 0 when it is gone or has none (a zombie). */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Resident bytes of `root` and its descendants (the sum of their VmRSS; pages they share are counted once per
 * process, so this may over-count); undefined without /proc (macOS) or when `root` is gone.
 */
export function treeRss(root: number): number | undefined {
  if (!existsSync('/proc/self/status') || !isAlive(root)) return undefined;
  return processTree(root).reduce((sum, pid) => sum + rssOf(pid), 0);
}
