/**
 * Steps that put a fake-runtime session (test/helpers/fake-runtime.ts) where a use-case test starts:
 * a worker spawned through the real spawn use case, with commits on its branch, its turn ended.
 */
import { writeFileSync } from 'node:fs';
import type { WorkerRow } from '../../src/core/session/rows.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { completeTurn } from '../../src/app/workers/turns.js';
import type { FakeRuntime } from './fake-runtime.js';

/** Spawns a worker (scripted agent) with `task`; returns its row (state running). */
export async function spawnRunning(f: FakeRuntime, task = 'add a feature'): Promise<WorkerRow> {
  return (await spawnWorker(f.rt, { task })).worker;
}

/** Spawns a worker, commits `files` on its branch and ends its turn with worker_done (status done). */
export async function spawnFinished(
  f: FakeRuntime,
  files: string[] = ['src/feature.ts'],
  summary = 'feature added',
): Promise<WorkerRow> {
  const w = await spawnRunning(f);
  f.git.commit(w.branch, 'worker commit', files);
  return (await completeTurn(f.rt, w.id, { status: 'done', summary }, 'mcp'))!;
}

/** Writes the worker's done.flag as an agent without MCP does. */
export function writeDoneFlag(w: WorkerRow, nonce: string, summary = 'done via flag', status = 'done'): void {
  writeFileSync(w.done_file, JSON.stringify({ nonce, status, summary }));
}
