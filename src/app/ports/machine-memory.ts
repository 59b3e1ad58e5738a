/**
 * The machine's memory, for admitting workers (app/workers/admission.ts): the figures (adapters/machine/
 * memory-reader.ts reads /proc/meminfo and /proc/pressure/memory, or `vm_stat` on macOS), the resident size of an
 * agent's process tree, and the peaks seen per worker and per agent (adapters/machine/peak-store.ts, on state.db).
 */
import type { MemoryReading, WorkerScope } from '../../core/workers/memory.js';

export interface MemoryReader {
  /** The machine's memory now; undefined when it cannot be read (then every worker is admitted). */
  read(): Promise<MemoryReading | undefined>;
}

/** One worker's peak resident size so far. */
export interface WorkerPeak {
  worker: string;
  agent: string;
  peakBytes: number;
}

export interface PeakStore {
  /** Raises worker `worker`'s recorded peak to `bytes` (a lower value is ignored). */
  recordWorker(sessionId: string, worker: string, agent: string, bytes: number): void;
  /** The session's recorded worker peaks. */
  workerPeaks(sessionId: string): WorkerPeak[];
  /** Adds a finished worker's peak to what is learned for `agent` on this machine. */
  learn(agent: string, bytes: number): void;
  /** The latest learned peaks of `agent`, newest first, at most `limit`. */
  learned(agent: string, limit: number): number[];
}

/** What admission and the monitor need of the machine; unset on a Runtime: every worker is admitted, nothing sampled. */
export interface MachineMemory {
  reader: MemoryReader;
  peaks: PeakStore;
  /** Resident bytes of process `pid` and its descendants; undefined when it is gone or cannot be read. */
  treeRss(pid: number): number | undefined;
  /** How each worker's agent command is confined (a systemd scope, or a raised OOM score); unset: not at all. */
  scope?: WorkerScope;
}
