/**
 * Admission by memory, pure: reading /proc/meminfo, macOS `vm_stat` and PSI text, the reserve a config asks for,
 * an agent's expected resident size (its registry estimate, then the peaks seen on this machine), and the decision
 * whether one more worker fits. The app layer reads the figures (ports/machine-memory.ts) and applies the decision.
 */

const MB = 1024 * 1024;

/** What the machine has now. `psiSomeAvg10`: PSI `some avg10` of /proc/pressure/memory (Linux >= 4.20), in %. */
export interface MemoryReading {
  totalBytes: number;
  availableBytes: number;
  psiSomeAvg10?: number;
}

/** Expected resident size of an agent whose registry entry gives none (an estimate, like the entries' own). */
export const DEFAULT_RESIDENT_MB = 400;
/** Default reserve: what stays free for the user, the lead and the supervisor. */
export const DEFAULT_RESERVE = '15%';
/** Default PSI `some avg10` (%) at or above which no worker is admitted. */
export const DEFAULT_PRESSURE_MAX = 10;
/** Default MemoryMax of a worker's systemd scope. */
export const DEFAULT_WORKER_MEMORY_MAX = '50%';
/** oom_score_adj given to every worker's agent: the kernel's OOM killer picks a worker before the lead or crewmux. */
export const WORKER_OOM_SCORE_ADJ = 500;
/** How many of an agent's latest peaks the learned size looks at (their maximum is taken). */
export const LEARNED_PEAKS = 10;

/** `MemTotal` and `MemAvailable` of /proc/meminfo, in bytes; undefined when MemTotal is missing. Kernels before 3.14 lack MemAvailable: MemFree + Buffers + Cached then. */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | undefined {
  const kb = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+):\s+(\d+)\s*kB$/gm)) kb.set(m[1]!, Number(m[2]));
  const total = kb.get('MemTotal');
  if (total === undefined) return undefined;
  const available =
    kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  return { totalBytes: total * 1024, availableBytes: available * 1024 };
}

/**
 * Available bytes from macOS `vm_stat` output: (free + inactive + speculative pages) x the page size its first line
 * states ("page size of 16384 bytes"); undefined when the page size or the free count is missing.
 */
export function parseVmStat(text: string): number | undefined {
  const size = /page size of (\d+) bytes/.exec(text);
  if (!size) return undefined;
  const pages = (name: string) => {
    const m = new RegExp(`^Pages ${name}:\\s+(\\d+)\\.?$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const free = pages('free');
  if (free === undefined) return undefined;
  return (free + (pages('inactive') ?? 0) + (pages('speculative') ?? 0)) * Number(size[1]);
}

/** `some avg10` (%) of /proc/pressure/memory text; undefined when absent. */
export function parsePsiSome(text: string): number | undefined {
  const m = /^some\b.*\bavg10=([\d.]+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: MB, G: 1024 * MB, T: 1024 * 1024 * MB };

/**
 * A size as config gives it: a number of bytes, `"2G"`/`"512M"`/`"300K"` (powers of 1024; a trailing `B` or `iB`
 * is allowed), or a percentage of RAM `"15%"`. Undefined when it is none of these.
 */
export function parseSize(spec: number | string): { bytes: number } | { percent: number } | undefined {
  if (typeof spec === 'number') return Number.isFinite(spec) && spec >= 0 ? { bytes: Math.round(spec) } : undefined;
  const s = spec.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  if (pct) return Number(pct[1]) <= 100 ? { percent: Number(pct[1]) } : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(s);
  return m ? { bytes: Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!) } : undefined;
}

/** The bytes `spec` (see parseSize) stands for on a machine with `totalBytes` of RAM; throws on a bad spec. */
export function sizeBytes(spec: number | string, totalBytes: number): number {
  const p = parseSize(spec);
  if (!p) throw new Error(`"${spec}" is not a size: give bytes, "2G", "512M" or a percentage of RAM like "15%"`);
  return 'bytes' in p ? p.bytes : Math.round((totalBytes * p.percent) / 100);
}

/**
 * An agent's expected resident size in bytes: the largest of its `peaks` crewmux saw on this machine (the latest
 * LEARNED_PEAKS of them, newest first), else its registry estimate `estimateMb` (DEFAULT_RESIDENT_MB when absent).
 */
export function expectedResident(estimateMb: number | undefined, peaks: readonly number[]): number {
  const seen = peaks.slice(0, LEARNED_PEAKS).filter((p) => p > 0);
  return seen.length ? Math.max(...seen) : (estimateMb ?? DEFAULT_RESIDENT_MB) * MB;
}

/** `bytes` in whole MB, for messages ("1234 MB"). */
export const mb = (bytes: number): string => `${Math.round(bytes / MB)} MB`;

export interface AdmissionInput {
  reading: MemoryReading;
  reserveBytes: number;
  /** Expected resident size of the worker asking in. */
  needBytes: number;
  /**
   * Memory admitted workers are still expected to take: for each, its expected size minus the peak seen so far
   * (an agent that just started has not grown yet, so MemAvailable alone would admit too many at once).
   */
  pendingBytes: number;
  /** PSI `some avg10` (%) at or above which nothing is admitted; null: pressure is not looked at. */
  pressureMax: number | null;
}

export type Admission = { admit: true; freeBytes: number } | { admit: false; reason: string };

/**
 * Whether one more worker fits: available − reserve − pending ≥ need, and PSI `some avg10` below `pressureMax`
 * where the machine reports it. A refusal says why in one line with the figures.
 */
export function decideAdmission(a: AdmissionInput): Admission {
  const free = a.reading.availableBytes - a.reserveBytes - a.pendingBytes;
  if (free < a.needBytes) {
    const pending = a.pendingBytes > 0 ? `, ${mb(a.pendingBytes)} still expected by started workers` : '';
    return {
      admit: false,
      reason: `available ${mb(a.reading.availableBytes)} minus the reserve ${mb(a.reserveBytes)}${pending} leaves ${mb(Math.max(0, free))}; the agent needs ${mb(a.needBytes)}`,
    };
  }
  const psi = a.reading.psiSomeAvg10;
  if (a.pressureMax !== null && psi !== undefined && psi >= a.pressureMax)
    return {
      admit: false,
      reason: `memory pressure (PSI some avg10) is ${psi}%, at or above the limit ${a.pressureMax}%`,
    };
  return { admit: true, freeBytes: free };
}

/** How a worker's agent command is confined: a systemd user scope with a memory limit, or only a raised OOM score. */
export type WorkerScope =
  { kind: 'systemd'; memoryMaxBytes: number; oomScoreAdj: number } | { kind: 'oom'; oomScoreAdj: number };

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command that runs `command` (a shell command line) inside `scope`: under `systemd-run --user --scope`
 * with MemoryMax and OOMScoreAdjust, or after the pane's shell raised its own oom_score_adj (children inherit it;
 * raising it needs no privilege; a kernel without /proc ignores it).
 */
export function scopedCommand(command: string, scope: WorkerScope): string {
  if (scope.kind === 'systemd')
    return `systemd-run --user --scope --quiet --collect -p MemoryMax=${scope.memoryMaxBytes} -p OOMScoreAdjust=${scope.oomScoreAdj} -- /bin/sh -c ${sq(command)}`;
  return `{ echo ${scope.oomScoreAdj} > /proc/self/oom_score_adj; } 2>/dev/null; ${command}`;
}
