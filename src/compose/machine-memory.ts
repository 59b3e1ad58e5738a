/**
 * Wiring admission by memory for a supervisor: the memory reader (or the test-only CREWMUX_TEST_MEMINFO file), the
 * peak store on state.db, process-tree RSS from /proc, and how each worker's agent is confined (a systemd user
 * scope when one answers, else a raised oom_score_adj on Linux, else nothing).
 */
import { createMemoryReader } from '../adapters/machine/memory-reader.js';
import { treeRss } from '../adapters/process/process-tree.js';
import { probeUserSystemd } from '../app/setup/doctor.js';
import type { MachineMemory } from '../app/ports/machine-memory.js';
import type { Runtime } from '../app/runtime.js';
import {
  DEFAULT_WORKER_MEMORY_MAX,
  WORKER_OOM_SCORE_ADJ,
  sizeBytes,
  type WorkerScope,
} from '../core/workers/memory.js';

/**
 * The MachineMemory of a supervisor. `env.CREWMUX_TEST_MEMINFO` (tests only, README#admission-by-memory) names a file
 * read instead of the machine's figures; it changes what admission sees and nothing else.
 */
export async function createMachineMemory(rt: Runtime, env: NodeJS.ProcessEnv): Promise<MachineMemory> {
  const reader = createMemoryReader({ testFile: env.CREWMUX_TEST_MEMINFO || undefined });
  let scope: WorkerScope | undefined;
  if (await probeUserSystemd()) {
    const total = (await reader.read())?.totalBytes ?? 0;
    const max = sizeBytes(rt.config.admission?.workerMemoryMax ?? DEFAULT_WORKER_MEMORY_MAX, total);
    if (max > 0) scope = { kind: 'systemd', memoryMaxBytes: max, oomScoreAdj: WORKER_OOM_SCORE_ADJ };
  }
  if (!scope && process.platform === 'linux') scope = { kind: 'oom', oomScoreAdj: WORKER_OOM_SCORE_ADJ };
  return { reader, peaks: rt.store.peaks(), treeRss, ...(scope ? { scope } : {}) };
}
