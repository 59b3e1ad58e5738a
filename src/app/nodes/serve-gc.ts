/**
 * The node side's clean-up ops (docs/architecture.md "Worker nodes: clean-up"), answered by `crewmux node serve
 * --stdio` beside the worker ops (serve-workers.ts): `worktrees.list` names the worker worktrees kept under
 * `<dataDir>/node/worktrees/<sid>/<worker>` with their branches' heads, and `worker.remove` removes one finished
 * worker's worktree, its branches and base ref in the bare repository, its state dir and tmux session, but only
 * when the lead host already holds every commit of those branches and nothing is left uncommitted (`force` lifts
 * both), and never while its agent runs. The lead host keeps the worker's branch either way. Before a worktree is
 * removed, the teardown the lead host sent with it at `worker.prepare` runs in it (output in a log of its own on the
 * node, the outcome in the answer), and its port lock is released; locks of worktrees already gone are released too.
 */
import { basename, join, resolve } from 'node:path';
import { NodeWorkerIdSchema } from '../../core/nodes/protocol.js';
import { type NodeWorktree, WorkerRemoveParamsSchema, type WorkerRemoveResult } from '../../core/nodes/gc-protocol.js';
import { NODE_TEARDOWN_FILE, NodeTeardownRecordSchema } from '../../core/nodes/bootstrap-protocol.js';
import { nodeBaseRef } from '../../core/nodes/worker-refs.js';
import { ConfigSchema } from '../../core/session/config-schema.js';
import { dirBytes, listDir, pathExists, readIfExists, removeTree } from '../../adapters/system/files.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type { WorktreeFiles } from '../ports/worktree-files.js';
import { portLockDir, teardownWorktree } from '../worktrees/prepare.js';
import type { NodeWorkerDeps } from './serve-workers.js';

/** The done.flag an agent writes in its worktree (serve-workers.ts), relative to it. */
const DONE_FLAG = '.crewmux/done.flag';

/** What the node's clean-up ops need; compose/nodes.ts wires the real ones. */
export interface NodeGcDeps extends Pick<NodeWorkerDeps, 'dataDir' | 'tmux' | 'git' | 'env'> {
  /** Runs the teardown's commands. */
  runner: ProcessRunner;
  /** Port locks (released once a worktree is gone) and the worktree checks of the teardown. */
  files: WorktreeFiles;
  /** The node user's crewmux runtime dir: port locks live in its `ports/`. */
  runtimeDir: string;
}
type GcDeps = NodeGcDeps;

const root = (d: Pick<GcDeps, 'dataDir'>) => join(d.dataDir, 'node');
const sessionOf = (sid: string, wid: string) => `crewmux-${sid}-${wid}`;

async function running(d: GcDeps, sid: string, wid: string): Promise<boolean> {
  const panes = await d.tmux.listPanes(sessionOf(sid, wid)).catch(() => []);
  return panes.some((p) => !p.dead);
}

/** The worker's branches (`crewmux/<sid>/<worker>-*`) in bare repository `repo`, with their heads. */
async function workerHeads(d: GcDeps, repo: string, sid: string, wid: string): Promise<Record<string, string>> {
  if (!pathExists(repo)) return {};
  const heads = await d.git.branchHeads(repo, `crewmux/${sid}/`).catch(() => new Map<string, string>());
  // Component-wise prefix for git (for-each-ref matches whole path components), then the worker's own.
  return Object.fromEntries([...heads].filter(([b]) => b.startsWith(`crewmux/${sid}/${wid}-`)));
}

/** Removes `dir` when nothing is left in it. */
function removeIfEmpty(dir: string): void {
  if (pathExists(dir) && listDir(dir).length === 0) removeTree(dir);
}

/** Where the teardown output of worker `wid` of session `sid` goes on the node (kept after its state dir goes). */
export const nodeTeardownLog = (d: Pick<GcDeps, 'dataDir'>, sid: string, wid: string) =>
  join(root(d), 'logs', sid, `${wid}-teardown.log`);

/**
 * Runs the teardown the lead host sent with worker `sid/wid`'s worktree (NODE_TEARDOWN_FILE in its state dir) in it,
 * with its CREWMUX_PORT and slug and the timeout it came with, output in nodeTeardownLog; then releases its port
 * lock (with or without a record). Undefined when there was no record (a worktree prepared by an older node).
 */
async function teardownOnNode(
  d: GcDeps,
  sid: string,
  wid: string,
  worktree: string,
  stateDir: string,
): Promise<WorkerRemoveResult['teardown']> {
  const raw = readIfExists(join(stateDir, NODE_TEARDOWN_FILE));
  const log = nodeTeardownLog(d, sid, wid);
  let record;
  try {
    record = raw === undefined ? undefined : NodeTeardownRecordSchema.parse(JSON.parse(raw));
  } catch (e) {
    d.files.releasePorts(portLockDir(d.runtimeDir), worktree);
    return { ran: 0, error: `its teardown record is unreadable: ${(e as Error).message}`, log };
  }
  if (!record) {
    d.files.releasePorts(portLockDir(d.runtimeDir), worktree);
    return undefined;
  }
  const r = await teardownWorktree(
    {
      files: d.files,
      runner: d.runner,
      config: ConfigSchema.parse({
        worktree: { teardown: record.commands.filter((c) => c.trim()), setupTimeout: record.timeoutS },
      }),
      runtimeDir: d.runtimeDir,
      baseEnv: d.env,
    },
    { path: worktree, slug: record.slug, logFile: log },
  );
  return { ...r, log };
}

/**
 * Releases the port locks of node worktrees that are gone (a worktree removed without its lock released: by an
 * older node, by hand, or a lost worker's): their ports go back to the pool at once, not only when a new worktree
 * happens to want the same block.
 */
function releaseGonePortLocks(d: GcDeps): void {
  const dir = portLockDir(d.runtimeDir);
  const under = join(root(d), 'worktrees') + '/';
  for (const f of listDir(dir)) {
    if (!f.endsWith('.lock')) continue;
    let key: unknown;
    try {
      key = (JSON.parse(readIfExists(join(dir, f)) ?? '') as { key?: unknown }).key;
    } catch {
      continue;
    }
    if (typeof key === 'string' && key.startsWith(under) && !pathExists(key)) d.files.releasePorts(dir, key);
  }
}

/** The node's clean-up ops by name (`worktrees.list`, `worker.remove`). */
export function nodeGcMethods(d: GcDeps): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    async 'worktrees.list'(): Promise<{ worktrees: NodeWorktree[] }> {
      const worktrees: NodeWorktree[] = [];
      const dir = join(root(d), 'worktrees');
      for (const sid of listDir(dir))
        for (const wid of listDir(join(dir, sid))) {
          const id = `${sid}/${wid}`;
          if (!NodeWorkerIdSchema.safeParse(id).success) continue;
          const path = join(dir, sid, wid);
          // Its bare repository, named after the lead repository's id.
          const common = await d.git
            .raw(path, ['rev-parse', '--git-common-dir'])
            .then((o) => resolve(path, o.trim()))
            .catch(() => undefined);
          const repoId = common ? basename(common).replace(/\.git$/, '') : undefined;
          worktrees.push({
            id,
            ...(repoId ? { repoId } : {}),
            path,
            running: await running(d, sid, wid),
            heads: common ? await workerHeads(d, common, sid, wid) : {},
          });
        }
      return { worktrees };
    },

    async 'worker.remove'(params): Promise<WorkerRemoveResult> {
      const r = WorkerRemoveParamsSchema.safeParse(params ?? {});
      if (!r.success) throw new Error(`worker.remove: invalid params: ${r.error.message}`);
      const p = r.data;
      const [sid, wid] = p.id.split('/') as [string, string];
      const repo = join(root(d), 'repos', `${p.repoId}.git`);
      const worktree = join(root(d), 'worktrees', sid, wid);
      const stateDir = join(root(d), 'sessions', sid, wid);
      const heads = await workerHeads(d, repo, sid, wid);
      const branches = Object.keys(heads);
      const bytes = pathExists(worktree) ? dirBytes(worktree) : 0;
      const kept = (reason: string): WorkerRemoveResult => ({ removed: false, reason, branches, bytes });
      if (await running(d, sid, wid)) return kept('its agent still runs there');
      if (!p.force) {
        const ahead = branches.filter((b) => p.heads[b] !== heads[b]);
        if (ahead.length) return kept(`the lead host does not hold ${ahead.join(', ')} as the node has it`);
        // The done.flag is crewmux's own (the snapshot leaves it out too), not the worker's work.
        const dirty = (
          pathExists(join(worktree, '.git')) ? await d.git.dirtyPaths(worktree, true).catch(() => []) : []
        ).filter((f) => f !== DONE_FLAG);
        if (dirty.length) return kept(`uncommitted changes in ${dirty.length} file(s) there`);
      }
      if (p.dryRun) return { removed: true, branches, bytes };
      await d.tmux.killSession(sessionOf(sid, wid)).catch(() => undefined);
      // The teardown runs before the worktree goes, and its port lock is released right after.
      const teardown = await teardownOnNode(d, sid, wid, worktree, stateDir);
      if (pathExists(repo)) {
        await d.git.raw(repo, ['worktree', 'remove', '--force', worktree]).catch(() => undefined);
        await d.git.raw(repo, ['worktree', 'prune']).catch(() => undefined);
        for (const b of branches) await d.git.raw(repo, ['update-ref', '-d', `refs/heads/${b}`]);
        await d.git.raw(repo, ['update-ref', '-d', nodeBaseRef(sid, wid)]).catch(() => undefined);
      }
      removeTree(worktree);
      removeTree(stateDir);
      removeIfEmpty(join(root(d), 'worktrees', sid));
      removeIfEmpty(join(root(d), 'sessions', sid));
      releaseGonePortLocks(d);
      return { removed: true, branches, bytes, ...(teardown ? { teardown } : {}) };
    },
  };
}
