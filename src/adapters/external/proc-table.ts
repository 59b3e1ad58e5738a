/** Reading the process table from /proc (Linux): pids, parents, command lines and environment keys. */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessInfo } from '../../core/agents/recognition.js';

function ppidOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parens; ppid is the 2nd field after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** argv of `pid` from /proc/<pid>/cmdline, or [] when unreadable (gone, kernel thread). */
export function commandLine(pid: number | string): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}

/** Every process this user can see, with its parent and argv; a snapshot, racy by nature. */
export function readProcessTable(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = ppidOf(name);
    if (ppid === undefined) continue;
    out.push({ pid: Number(name), ppid, argv: commandLine(name) });
  }
  return out;
}

/** True when `pid`'s environment (readable for our own processes only) defines `key`; false when unreadable. */
export function environHas(pid: number, key: string): boolean {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return raw.split('\0').some((kv) => kv.startsWith(`${key}=`));
  } catch {
    return false;
  }
}
