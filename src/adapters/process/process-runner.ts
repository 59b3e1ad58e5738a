/** The ProcessRunner port over the real system: exec.ts (the one spawn site) and process-tree.ts. */
import type { ProcessRunner } from '../../app/ports/process-runner.js';
import { exec, execToFile } from './exec.js';
import { isAlive, killTree } from './process-tree.js';

/** The real process runner. */
export function createProcessRunner(): ProcessRunner {
  return { exec, execToFile, isAlive, killTree };
}
