/**
 * Which WorkerRuntime a session's worker runs on: `local` (a tmux pane of the session, the default), a runtime
 * declared under config `runtimes` (an `exec:` script, docs/runtimes.md), or an SSH node of config `nodes`. A worker on another runtime keeps its
 * runtime's name and handle in `runtime.json` in its state dir (0600); its row has no pane.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ToolError } from '../../core/errors.js';
import type { WorkerRow } from '../../core/session/rows.js';
import { readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { WorkerHandle, WorkerRuntime } from '../ports/worker-runtime.js';
import { workerDir, type Runtime } from '../runtime.js';
import { createExecRuntime } from './exec-runtime.js';
import { createLocalTmuxRuntime, type LocalTmuxRuntime } from './local-tmux-runtime.js';
import { nodeEntries, type NodeSpec } from '../../core/nodes/node-config.js';
import type { NodeRuntime } from '../nodes/node-runtime.js';

export const LOCAL_RUNTIME = 'local';

const RecordSchema = z.object({ runtime: z.string(), id: z.string().optional() });

/** The local tmux runtime of `rt`'s session (cheap: it holds only the session's adapters). */
export function localRuntime(rt: Runtime): LocalTmuxRuntime {
  return createLocalTmuxRuntime({ tmux: rt.tmux, session: rt.tmuxSession, runner: rt.runner, clock: rt.clock });
}

/**
 * The runtime for a new worker: `requested`, else config `workerRuntime`, else `local`; a name that is neither
 * `local` nor under config `runtimes` is a ToolError (E_RUNTIME_UNKNOWN) naming the ones there are.
 */
export function chooseRuntime(rt: Runtime, requested?: string): string {
  const name = requested ?? rt.config.workerRuntime ?? LOCAL_RUNTIME;
  if (name === LOCAL_RUNTIME || rt.config.runtimes?.[name] || nodeSpecOf(rt, name)) return name;
  const known = [
    LOCAL_RUNTIME,
    ...Object.keys(rt.config.runtimes ?? {}),
    ...nodeEntries(rt.config.nodes).map(([n]) => n),
  ];
  throw new ToolError(
    `Error: unknown runtime "${name}" (E_RUNTIME_UNKNOWN). Runtimes and nodes of this session: ${known.join(', ')}. Call spawn_worker again with one of them, or omit runtime; the user declares runtimes under "runtimes" in config.json and nodes with \`crewmux node add\`.`,
  );
}

/** The configured SSH node named `name` (global config `nodes`), when a runtime of that name does not shadow it. */
export function nodeSpecOf(rt: Runtime, name: string): NodeSpec | undefined {
  if (rt.config.runtimes?.[name]) return undefined;
  return nodeEntries(rt.config.nodes).find(([n]) => n === name)?.[1];
}

/**
 * The node for a spawn_worker `node` argument: a ToolError (E_NODE_UNKNOWN) naming the configured nodes when there is
 * no such node, or when this session cannot reach nodes.
 */
export function chooseNode(rt: Runtime, node: string): string {
  if (nodeSpecOf(rt, node) && rt.newNodeRuntime) return node;
  const known = nodeEntries(rt.config.nodes).map(([n]) => n);
  throw new ToolError(
    `Error: unknown node "${node}" (E_NODE_UNKNOWN). Nodes: ${known.length ? known.join(', ') : 'none configured'}. Call spawn_worker again with one of them, or without node to run the worker here; the user adds nodes with \`crewmux node add NAME [user@]host\`.`,
  );
}

/** The runtime named `name` (one instance per session, so a script's unsupported ops are asked once). */
export function runtimeByName(rt: Runtime, name: string): WorkerRuntime {
  if (name === LOCAL_RUNTIME) return localRuntime(rt);
  const made = (rt.workerRuntimes ??= new Map<string, WorkerRuntime>()).get(name);
  if (made) return made;
  const node = nodeSpecOf(rt, name);
  if (node && rt.newNodeRuntime) {
    const runtime = rt.newNodeRuntime(name, node);
    rt.workerRuntimes.set(name, runtime);
    return runtime;
  }
  const c = rt.config.runtimes?.[chooseRuntime(rt, name)];
  if (!c) throw new ToolError(`Error: runtime "${name}" is no longer configured (E_RUNTIME_UNKNOWN).`);
  const runtime = createExecRuntime({
    name,
    script: isAbsolute(c.exec) ? c.exec : resolve(rt.repoRoot, c.exec),
    runner: rt.runner,
    env: rt.baseEnv,
  });
  rt.workerRuntimes.set(name, runtime);
  return runtime;
}

const recordFile = (rt: Runtime, workerId: string) => join(workerDir(rt, workerId), 'runtime.json');

type RuntimeRecord = z.infer<typeof RecordSchema>;

/**
 * runtime.json of each worker as this process last wrote or read it (null: none), per session: the supervisor is its
 * only writer (a resumed one starts with none cached), and list_workers asks for every worker's on each call (reading
 * 40 files was a quarter of its time).
 */
const records = new WeakMap<Runtime, Map<string, RuntimeRecord | null>>();
const recordsOf = (rt: Runtime) => records.get(rt) ?? records.set(rt, new Map()).get(rt)!;

/** Records that worker `workerId` runs on runtime `name` (with its handle `id` once started); nothing for local. */
export function recordRuntime(rt: Runtime, workerId: string, name: string, id?: string): void {
  if (name === LOCAL_RUNTIME) return;
  const record: RuntimeRecord = { runtime: name, ...(id ? { id } : {}) };
  writeFileAtomic(recordFile(rt, workerId), JSON.stringify(record), 0o600);
  recordsOf(rt).set(workerId, record);
}

function readRecord(rt: Runtime, workerId: string): RuntimeRecord | undefined {
  const cached = recordsOf(rt).get(workerId);
  if (cached !== undefined) return cached ?? undefined;
  const text = readIfExists(recordFile(rt, workerId));
  let record: RuntimeRecord | null = null;
  try {
    if (text !== undefined) record = RecordSchema.parse(JSON.parse(text));
  } catch {
    /* unreadable: as none */
  }
  recordsOf(rt).set(workerId, record);
  return record ?? undefined;
}

/** The name of the runtime worker `w` runs (or will run) on: `local` unless runtime.json says otherwise. */
export function runtimeNameOf(rt: Runtime, w: WorkerRow): string {
  return readRecord(rt, w.id)?.runtime ?? LOCAL_RUNTIME;
}

/** Worker `w`'s runtime and the handle of its agent; undefined while it has none (queued, or never started). */
export function runtimeOf(rt: Runtime, w: WorkerRow): { runtime: WorkerRuntime; handle: WorkerHandle } | undefined {
  const rec = readRecord(rt, w.id);
  if (rec && rec.runtime !== LOCAL_RUNTIME)
    return rec.id ? { runtime: runtimeByName(rt, rec.runtime), handle: { id: rec.id } } : undefined;
  return w.pane_id ? { runtime: localRuntime(rt), handle: { id: w.pane_id } } : undefined;
}

/** True for the runtime of an SSH node (app/nodes/node-runtime.ts). */
export function isNodeRuntime(r: WorkerRuntime): r is NodeRuntime {
  return 'startOnNode' in r;
}

/** The node worker `w` runs on (its runtime.json names a configured node), else undefined. */
export function nodeOf(rt: Runtime, w: WorkerRow): string | undefined {
  const name = runtimeNameOf(rt, w);
  return name !== LOCAL_RUNTIME && nodeSpecOf(rt, name) ? name : undefined;
}

/** Worker `w`'s node runtime, when it runs on a node this session can reach. */
export function nodeRuntimeOf(rt: Runtime, w: WorkerRow): NodeRuntime | undefined {
  const name = nodeOf(rt, w);
  const r = name ? runtimeByName(rt, name) : undefined;
  return r && isNodeRuntime(r) ? r : undefined;
}

/** Ends the channels of the session's node runtimes (their workers keep running); never rejects. */
export async function closeNodeRuntimes(rt: Runtime): Promise<void> {
  const nodes = [...(rt.workerRuntimes?.values() ?? [])].filter(isNodeRuntime);
  await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
}
