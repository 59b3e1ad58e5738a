/**
 * A stateful fake of the MachineMemory port (app/ports/machine-memory.ts) for unit tests, linked to the fake tmux
 * as a machine is to its processes: each live pane other than the lead's and the supervisor's holds `paneMb` of
 * resident memory (its process tree's RSS), which `read()` takes off the available figure; a pane that ends gives it
 * back. The peak store is the real one on the fake runtime's in-memory database.
 *
 * Not modelled: memory that grows over time (a pane holds `paneMb` from its start), /proc or vm_stat text (the
 * core parsers have their own tests), systemd scopes.
 */
import type { MachineMemory } from '../../src/app/ports/machine-memory.js';
import type { MemoryReading } from '../../src/core/workers/memory.js';
import type { FakeRuntime } from '../helpers/fake-runtime.js';

const MB = 1024 * 1024;

export type FakeMachine = MachineMemory & {
  /** Available memory with no worker pane alive, in MB; tests change it to free or take memory. */
  baseAvailableMb: number;
  /** PSI some avg10 the reader reports (undefined: the machine has no PSI). */
  psi?: number;
  /** Readings served so far. */
  reads: number;
};

/** A machine of `totalMb` with `availableMb` free before any worker, each live worker pane holding `paneMb`. */
export function createFakeMachine(
  f: FakeRuntime,
  o: { totalMb: number; availableMb: number; paneMb: number; psi?: number },
): FakeMachine {
  // The lead's window also holds worker splits; the supervisor's window holds only crewmux.
  const supervisor = f.tmux.panes().find((p) => p.spec.command === 'crewmux supervise')?.paneId;
  const workerPanes = () => f.tmux.panes().filter((p) => !p.dead && p.paneId !== f.leadPane && p.paneId !== supervisor);
  const m: FakeMachine = {
    baseAvailableMb: o.availableMb,
    psi: o.psi,
    reads: 0,
    reader: {
      read: async (): Promise<MemoryReading> => {
        m.reads++;
        const held = workerPanes().length * o.paneMb;
        return {
          totalBytes: o.totalMb * MB,
          availableBytes: Math.max(0, m.baseAvailableMb - held) * MB,
          ...(m.psi !== undefined ? { psiSomeAvg10: m.psi } : {}),
        };
      },
    },
    peaks: f.store.peaks(),
    treeRss: (pid) => (workerPanes().some((p) => p.pid === pid) ? o.paneMb * MB : undefined),
  };
  return m;
}
