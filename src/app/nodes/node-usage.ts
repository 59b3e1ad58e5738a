/**
 * Node workers' usage (docs/architecture.md "Worker nodes: bootstrap and usage"): the usage files an agent writes on
 * the node are mirrored, complete lines only, into the worker's state dir on this host, where app/usage/collect.ts
 * reads them as it reads a local worker's. Two kinds: the files in the worker's node state dir (the ACP pane process's
 * `acp-usage.jsonl`, Claude Code's transcripts below its crewmux-owned CLAUDE_CONFIG_DIR and its status-line record),
 * mirrored at the same relative paths; and the agent's own files the node resolves itself from the agent's registry
 * entry, the environment it started with and the worker's worktree (Codex rollouts, Gemini CLI and Qwen Code chats,
 * Copilot CLI event logs whose first line names that worktree; a pane-read agent's pane log), mirrored below
 * `node-usage/<source>/`; OpenCode's and Kilo Code's SQLite database comes as its step-finish rows, appended to
 * `node-usage/opencode-db/steps.jsonl`. The node serves them (`usage.read`, serve-bootstrap.ts) from the offsets the
 * mirror has, so each line crosses once; the lead never names a path outside those layouts.
 */
import { join, relative } from 'node:path';
import { ACP_USAGE_FILE } from '../../core/acp/usage.js';
import { ACP_LAUNCH_FILE } from '../../core/acp/launch.js';
import type { AgentProfile } from '../../core/agents/profile.js';
import { CLAUDE_STATUS_LINE_FILE } from '../../core/agents/profiles/claude.js';
import {
  isNodeUsageFile,
  NODE_PANE_FILE,
  NODE_STEPS_CURSOR_FILE,
  NODE_STEPS_FILE,
  NODE_USAGE_DIR,
  nodeMirrorDir,
  type UsageReadParams,
  type UsageReadResult,
} from '../../core/nodes/bootstrap-protocol.js';
import { nodeWorkerId } from '../../core/nodes/protocol.js';
import type { WorkerRow } from '../../core/session/rows.js';
import {
  codexHomeOf,
  copilotDirOf,
  geminiDirOf,
  opencodeDbOf,
  qwenDirOf,
  USAGE_LOCATION_ENV,
} from '../../core/usage/usage-locations.js';
import { appendText, fileSize, listFilesBelow, readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { UsageFiles } from '../ports/usage.js';
import { workerDir, type Runtime } from '../runtime.js';
import { isNodeRuntime, LOCAL_RUNTIME, runtimeByName, runtimeNameOf } from '../workers/worker-runtimes.js';
import type { NodeRuntime } from './node-runtime.js';

/** The file in a node worker's node state dir recording where its agent's usage files are (USAGE_LOCATION_ENV). */
export const NODE_USAGE_ENV_FILE = 'usage-env.json';

/**
 * The usage files (relative to `stateDir`) a worker's state dir holds now, with their sizes: on the node, the files
 * its agent writes there; on this host, those and the mirror of the files the node resolved (`node-usage/`).
 */
export function nodeUsageFiles(stateDir: string): { path: string; size: number }[] {
  const top = [ACP_USAGE_FILE, CLAUDE_STATUS_LINE_FILE].map((f) => ({ path: f, size: fileSize(join(stateDir, f)) }));
  const below = [
    ...listFilesBelow(join(stateDir, 'claude-config', 'projects'), '.jsonl'),
    ...listFilesBelow(join(stateDir, NODE_USAGE_DIR), ''),
  ].map((f) => ({ path: relative(stateDir, f.path), size: f.size }));
  return [...top.filter((f) => f.size > 0), ...below].filter((f) => isNodeUsageFile(f.path));
}

/** True for a worker whose agent runs on an SSH node (its usage files are mirrored here). */
export function isNodeWorker(rt: Runtime, w: WorkerRow): boolean {
  const name = runtimeNameOf(rt, w);
  if (name === LOCAL_RUNTIME) return false;
  try {
    return isNodeRuntime(runtimeByName(rt, name));
  } catch {
    return false;
  }
}

/** The lead host's cursor of a node worker's OpenCode rows: the latest update time held, the part ids updated then. */
interface StepsCursor {
  updated: number;
  ids: string[];
}

function readStepsCursor(stateDir: string): StepsCursor {
  try {
    const c = JSON.parse(readIfExists(join(stateDir, NODE_STEPS_CURSOR_FILE)) ?? '') as Partial<StepsCursor>;
    if (typeof c.updated === 'number' && Array.isArray(c.ids))
      return { updated: c.updated, ids: c.ids.filter((i) => typeof i === 'string') };
  } catch {
    // None yet (or unreadable): from the start.
  }
  return { updated: 0, ids: [] };
}

/**
 * Appends the rows not held yet (the node answers from the latest update time held, that time included) to the
 * worker's mirror and moves its cursor; returns the bytes added.
 */
function mirrorSteps(stateDir: string, rows: NonNullable<UsageReadResult['workers'][0]['steps']>): number {
  const c = readStepsCursor(stateDir);
  const fresh = rows.filter((r) => r.timeUpdated > c.updated || (r.timeUpdated === c.updated && !c.ids.includes(r.id)));
  if (fresh.length === 0) return 0;
  const text = fresh.map((r) => JSON.stringify(r) + '\n').join('');
  appendText(join(stateDir, NODE_STEPS_FILE), text);
  const updated = Math.max(c.updated, ...fresh.map((r) => r.timeUpdated));
  const ids = [
    ...new Set([
      ...(updated === c.updated ? c.ids : []),
      ...fresh.filter((r) => r.timeUpdated === updated).map((r) => r.id),
    ]),
  ];
  writeFileAtomic(join(stateDir, NODE_STEPS_CURSOR_FILE), JSON.stringify({ updated, ids }));
  return Buffer.byteLength(text);
}

/**
 * Brings the new usage lines of every node worker of `rt`'s session into its state dir here (one `usage.read` per
 * node, the nodes asked at once); resolves with the bytes added. A node that does not answer is skipped (the next
 * pass asks again); a chunk that does not start where the mirror ends is dropped (the next pass asks from there).
 */
export async function syncNodeUsage(rt: Runtime): Promise<number> {
  const byNode = new Map<NodeRuntime, WorkerRow[]>();
  for (const w of rt.store.listWorkers(rt.sid)) {
    const name = runtimeNameOf(rt, w);
    if (name === LOCAL_RUNTIME) continue;
    let r;
    try {
      r = runtimeByName(rt, name);
    } catch {
      continue;
    }
    if (!isNodeRuntime(r)) continue;
    byNode.set(r, [...(byNode.get(r) ?? []), w]);
  }
  const added = await Promise.all(
    [...byNode].map(async ([node, workers]) => {
      const params: UsageReadParams = {
        workers: workers.map((w) => ({
          id: nodeWorkerId(rt.sid, w.id),
          offsets: Object.fromEntries(nodeUsageFiles(workerDir(rt, w.id)).map((f) => [f.path, f.size])),
          // A minute's slack, as for a local worker: file times come from the kernel's coarse clock.
          since: Math.max(0, w.created_at - 60_000),
          steps: readStepsCursor(workerDir(rt, w.id)).updated,
        })),
      };
      const answer = await node.readUsage(params).catch(() => undefined);
      const ids = workers.map((w) => w.id);
      let bytes = 0;
      for (const w of answer?.workers ?? []) {
        const id = w.id.split('/')[1];
        if (!id || !ids.includes(id)) continue;
        for (const c of w.chunks) {
          const file = join(workerDir(rt, id), c.path);
          if (fileSize(file) !== c.from) continue;
          appendText(file, c.text);
          bytes += Buffer.byteLength(c.text);
        }
        if (w.steps?.length) bytes += mirrorSteps(workerDir(rt, id), w.steps);
      }
      return bytes;
    }),
  );
  return added.reduce((a, b) => a + b, 0);
}

/** A node worker's agent and where it runs, as the node's `usage.read` resolves its usage files. */
export interface NodeUsageWorker {
  /** Its agent's registry entry on the node (undefined: unknown, nothing beyond its state dir is served). */
  profile: AgentProfile | undefined;
  /** The environment its agent started with (USAGE_LOCATION_ENV, recorded at worker.start), else the node's. */
  env: Readonly<Record<string, string | undefined>>;
  /** The node user's HOME (when the environment names none). */
  home: string;
  stateDir: string;
  worktree: string;
  /** The worker's start (ms): files changed before it are not listed. */
  sinceMs: number;
}

/** The usage sources a node serves from below the agent's own usage root. */
type RootedSource = 'codex-rollout' | 'gemini-chat' | 'qwen-chat' | 'copilot-events';

/** Per such source: its root under the agent's environment and HOME, and a worker's files there (UsageFiles). */
const ROOTED_SOURCES: Record<
  RootedSource,
  {
    root: (env: Readonly<Record<string, string | undefined>>, home: string) => string;
    list: (files: UsageFiles, root: string, sinceMs: number, worktree: string) => string[];
  }
> = {
  'codex-rollout': { root: codexHomeOf, list: (f, ...a) => f.codexRollouts(...a) },
  'gemini-chat': { root: geminiDirOf, list: (f, ...a) => f.geminiChats(...a) },
  'qwen-chat': { root: qwenDirOf, list: (f, ...a) => f.qwenChats(...a) },
  'copilot-events': { root: copilotDirOf, list: (f, ...a) => f.copilotEvents(...a) },
};

/**
 * Node side: the agent's own usage files of worker `w` the node mirrors to the lead, by mirror path (`node-usage/...`)
 * -> the file on the node, and its OpenCode database when its agent keeps one. Only the layouts each CLI writes below
 * its usage root, and only the files whose first line names the worker's worktree (as for a local worker); none for an
 * agent whose usage the state dir holds (Claude Code; an agent whose ACP pane process recorded it) or that reports none.
 */
export function nodeAgentUsageFiles(
  files: UsageFiles,
  w: NodeUsageWorker,
): { files: Map<string, string>; db?: string } {
  const out = new Map<string, string>();
  const usage = w.profile?.usage;
  // An agent that ran under the ACP pane process with its usage recorded there: that record is its usage (the state
  // dir's acp-usage.jsonl), as for a local ACP worker; its own files are not sent too.
  if (!usage || (w.profile?.acp?.usage && fileSize(join(w.stateDir, ACP_LAUNCH_FILE)) > 0)) return { files: out };
  const mirror = (source: Parameters<typeof nodeMirrorDir>[0], root: string, found: string[]) => {
    for (const f of found) {
      const rel = `${nodeMirrorDir(source)}/${relative(root, f)}`;
      if (isNodeUsageFile(rel)) out.set(rel, f);
    }
  };
  const home = w.env.HOME || w.home;
  if (Object.hasOwn(ROOTED_SOURCES, usage.source)) {
    const source = usage.source as RootedSource;
    const { root: rootOf, list } = ROOTED_SOURCES[source];
    const root = rootOf(w.env, home);
    mirror(source, root, list(files, root, w.sinceMs, w.worktree));
    return { files: out };
  }
  switch (usage.source) {
    case 'pane':
      out.set(NODE_PANE_FILE, join(w.stateDir, 'pane.log'));
      break;
    case 'opencode-db': {
      const db = opencodeDbOf(usage, w.env, home);
      return db ? { files: out, db } : { files: out };
    }
    default:
      break;
  }
  return { files: out };
}

/** What a node records at worker.start of the agent's environment: the variables that move its usage files. */
export function usageEnvRecord(env: Readonly<Record<string, string | undefined>>): string {
  return JSON.stringify(Object.fromEntries(USAGE_LOCATION_ENV.flatMap((k) => (env[k] ? [[k, env[k]]] : []))));
}

/** The environment recorded at worker.start (NODE_USAGE_ENV_FILE) in `stateDir`; undefined when none was. */
export function readUsageEnv(stateDir: string): Record<string, string> | undefined {
  try {
    const v = JSON.parse(readIfExists(join(stateDir, NODE_USAGE_ENV_FILE)) ?? '') as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return undefined;
  }
}
