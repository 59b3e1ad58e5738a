/**
 * Reads the machine's memory figures: /proc/meminfo and /proc/pressure/memory on Linux, `vm_stat` and the RAM size
 * on macOS. A test-only hook (CREWMUX_TEST_MEMINFO, read by compose/ only) names a file in /proc/meminfo format,
 * optionally with a PSI `some avg10=` line, read instead: it replaces the figures and nothing else.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { parseMeminfo, parsePsiSome, parseVmStat, type MemoryReading } from '../../core/workers/memory.js';
import type { MemoryReader } from '../../app/ports/machine-memory.js';
import { exec } from '../process/exec.js';

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The figures of meminfo-format `text` with its PSI line, if any; undefined when it has no MemTotal. */
function fromMeminfo(text: string | undefined, psi: string | undefined): MemoryReading | undefined {
  const m = text === undefined ? undefined : parseMeminfo(text);
  if (!m) return undefined;
  const some = psi === undefined ? undefined : parsePsiSome(psi);
  return { ...m, ...(some !== undefined ? { psiSomeAvg10: some } : {}) };
}

/**
 * The MemoryReader of this machine (`platform`, default process.platform), or of `testFile` when set (tests only).
 * A failed read is undefined (admission then admits), never a throw.
 */
export function createMemoryReader(o: { platform?: NodeJS.Platform; testFile?: string } = {}): MemoryReader {
  const platform = o.platform ?? process.platform;
  return {
    async read() {
      if (o.testFile) {
        const text = readText(o.testFile);
        return fromMeminfo(text, text);
      }
      if (platform === 'darwin') {
        const r = await exec('vm_stat', [], { timeoutMs: 2_000, reject: false }).catch(() => undefined);
        const available = r?.exitCode === 0 ? parseVmStat(r.stdout) : undefined;
        return available === undefined ? undefined : { totalBytes: totalmem(), availableBytes: available };
      }
      return fromMeminfo(readText('/proc/meminfo'), readText('/proc/pressure/memory'));
    },
  };
}
