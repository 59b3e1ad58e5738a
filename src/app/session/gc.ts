/**
 * `crewmux gc`: classifies every crewmux worktree and branch of the sessions in the state database and
 * removes only what is provably safe: merged or empty, in a session that is not live. `--force` also
 * removes unmerged commits and uncommitted changes. Leftovers whose repository is gone (the worktrees
 * crewmux keeps under its data dir) are removed too, and so are those of sessions the database no longer
 * knows (worktree folders; their branches only when merged, or with `--force`). `worktree.teardown` runs in a
 * worktree before it goes. Workers' copies on SSH nodes (app/nodes/node-gc.ts) go when this repository holds their
 * commits (or with `--force`), on the nodes that answer. The worktree pool's parked panes a dead supervisor left in
 * its tmux session are killed. Reports what it keeps and why, and the space freed.
 */
import { join } from 'node:path';
import { dirBytes, pathExists as existsSync, listDir, modifiedAt, removeTree } from '../../adapters/system/files.js';
import { sessionBranchPrefix } from '../../core/session/naming.js';
import { repoWorktreesDir } from './paths.js';
import type { SessionRow } from '../../core/session/rows.js';
import { supervisorAlive } from './control.js';
import { POOL_WINDOW } from '../workers/panes.js';
import type { AppServices } from '../services.js';
import type { Runtime } from '../runtime.js';
import { teardownWorktree } from '../worktrees/prepare.js';
import { bootstrapServices, slugOf } from '../worktrees/session-worktrees.js';
import { cleanGoneSessionsOnNodes, cleanNodeWorkers, type NodeCleanup } from '../nodes/node-gc.js';
import { nodeEntries } from '../../core/nodes/node-config.js';

export type GcClass =
  | 'merged'
  | 'empty'
  | 'unmerged commits'
  | 'uncommitted changes'
  | 'session live'
  | 'missing repository'
  | 'session gone'
  | 'node copy'
  | 'node only work'
  | 'node unreachable';

export interface GcItem {
  session: string;
  branch: string;
  worktree: string | null;
  class: GcClass;
  action: 'removed' | 'would remove' | 'kept';
  bytes: number;
  /** For a worker's copy on an SSH node: the node, and why it was kept. */
  node?: string;
  reason?: string;
}

async function classify(
  ctx: AppServices,
  s: SessionRow,
  branch: string,
  worktree: string | null,
  base: string | null,
  integrationHead: string | undefined,
): Promise<GcClass> {
  const { git } = ctx;
  if (s.status === 'running' || s.status === 'starting' ? supervisorAlive(s) : false) return 'session live';
  if (worktree && existsSync(worktree) && (await git.dirtyPaths(worktree).catch(() => [])).length)
    return 'uncommitted changes';
  const head = await git.revParse(s.repo_root, branch);
  if (base && head === base) return 'empty';
  if (branch === s.integration_branch) {
    // The integration branch counts as merged once a non-crewmux branch contains it.
    const containing = (await git.raw(s.repo_root, ['branch', '--format=%(refname:short)', '--contains', head]))
      .split('\n')
      .filter((b) => b && !b.startsWith('crewmux/'));
    if (head === s.base_commit) return 'empty';
    return containing.length ? 'merged' : 'unmerged commits';
  }
  if (integrationHead) {
    if (await git.isAncestor(s.repo_root, head, integrationHead)) return 'merged';
  }
  return 'unmerged commits';
}

/** A worktree folder of a session that did not register yet is left alone this long (ms). */
const STARTING_GRACE_MS = 10 * 60_000;

function removeLeftover(path: string, dryRun: boolean): GcItem['action'] {
  if (dryRun) return 'would remove';
  try {
    removeTree(path);
    return 'removed';
  } catch {
    return 'kept';
  }
}

/** The worktrees of session `s` whose repository is gone: git cannot remove them, so their folders go. */
function missingRepoItems(ctx: AppServices, s: SessionRow, dryRun: boolean): GcItem[] {
  const dir = join(repoWorktreesDir(ctx.paths, s.repo_root), s.id);
  if (!existsSync(dir)) return [];
  const bytes = dirBytes(dir);
  const action = removeLeftover(dir, dryRun);
  const parent = repoWorktreesDir(ctx.paths, s.repo_root);
  if (action === 'removed' && listDir(parent).length === 0) removeTree(parent);
  return [
    {
      session: s.id,
      branch: `${sessionBranchPrefix(s.id)}* (repository ${s.repo_root} is gone)`,
      worktree: dir,
      class: 'missing repository',
      action,
      bytes,
    },
  ];
}

/**
 * Leftovers of sessions the state database does not know: worktree folders under the data dir (removed; a folder
 * younger than STARTING_GRACE_MS may belong to a run being started and is skipped) and `crewmux/<sid>/` branches
 * in the known repositories (removed when a non-crewmux branch contains them, or with `force`; kept otherwise).
 */
async function goneSessionItems(
  ctx: AppServices,
  known: Set<string>,
  repos: string[],
  opts: { dryRun: boolean; force: boolean },
): Promise<GcItem[]> {
  const items: GcItem[] = [];
  const now = ctx.now();
  for (const slug of listDir(ctx.paths.worktreesDir)) {
    for (const sid of listDir(join(ctx.paths.worktreesDir, slug))) {
      const dir = join(ctx.paths.worktreesDir, slug, sid);
      if (known.has(sid) || now - (modifiedAt(dir) ?? now) < STARTING_GRACE_MS) continue;
      const bytes = dirBytes(dir);
      const action = removeLeftover(dir, opts.dryRun);
      items.push({ session: sid, branch: '-', worktree: dir, class: 'session gone', action, bytes });
    }
  }
  for (const repo of repos) {
    const heads = await ctx.git.branchHeads(repo, 'crewmux/').catch(() => new Map<string, string>());
    for (const [branch, head] of heads) {
      const sid = branch.split('/')[1] ?? '';
      if (known.has(sid)) continue;
      const containing = await ctx.git
        .raw(repo, ['branch', '--format=%(refname:short)', '--contains', head])
        .then((o) => o.split('\n').filter((b) => b && !b.startsWith('crewmux/')))
        .catch(() => []);
      const removable = containing.length > 0 || opts.force;
      let action: GcItem['action'] = removable ? (opts.dryRun ? 'would remove' : 'removed') : 'kept';
      if (removable && !opts.dryRun) {
        await ctx.git.raw(repo, ['worktree', 'prune']).catch(() => undefined);
        action = await ctx.git.deleteBranch(repo, branch, true).then(
          () => 'removed' as const,
          () => 'kept' as const,
        );
      }
      items.push({ session: sid, branch, worktree: null, class: 'session gone', action, bytes: 0 });
    }
  }
  return items;
}

/** Session `sid`'s Runtime, opened once per gc (null when it cannot be opened). */
/**
 * Kills the worktree pool's parked panes a session that is not live left in its tmux session (a supervisor that died
 * does not drain its pool; app/workers/pool-panes.ts). Workers' panes are not touched.
 */
async function clearParkedPanes(ctx: AppServices, s: SessionRow): Promise<void> {
  const tmux = ctx.tmuxFor(s.tmux_socket);
  const panes = await tmux.listPanes(s.tmux_session).catch(() => []);
  for (const p of panes.filter((x) => x.windowName === POOL_WINDOW))
    await tmux.killPane(p.paneId).catch(() => undefined);
}

async function runtimeFor(ctx: AppServices, sid: string, rts: Map<string, Runtime | null>): Promise<Runtime | null> {
  if (!rts.has(sid)) rts.set(sid, await ctx.openRuntime(sid).catch(() => null));
  return rts.get(sid) ?? null;
}

/** A node worker's copy as a gc item (its node's path, its class by why it was kept). */
function nodeItem(c: NodeCleanup, dryRun: boolean): GcItem {
  const cls: GcClass = c.removed
    ? 'node copy'
    : c.unreachable
      ? 'node unreachable'
      : c.reason?.startsWith('its agent still runs')
        ? 'session live'
        : 'node only work';
  return {
    session: c.session,
    branch: c.branches.length ? c.branches.map((b) => `${c.node}:${b}`).join(' ') : `${c.node}:-`,
    worktree: `${c.node}:${c.path}`,
    class: cls,
    action: c.removed ? (dryRun ? 'would remove' : 'removed') : 'kept',
    bytes: c.bytes,
    node: c.node,
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

/** Whether session `s` ran workers on SSH nodes (a worker's runtime.json names its runtime). */
function hasNodeWorkers(ctx: AppServices, s: SessionRow): boolean {
  return ctx
    .store()
    .listWorkers(s.id)
    .some((w) => existsSync(join(s.session_dir, 'workers', w.id, 'runtime.json')));
}

/**
 * Runs the session's `worktree.teardown` (from its trusted config snapshot) in `worktree` before it is removed; the
 * outcome is an event of the session. Never throws: a teardown failure does not keep the worktree.
 */
async function teardown(ctx: AppServices, s: SessionRow, worktree: string, rts: Map<string, Runtime | null>) {
  const rt = await runtimeFor(ctx, s.id, rts);
  const services = rt ? bootstrapServices(rt) : undefined;
  if (!rt || !services) return;
  const r = await teardownWorktree(services, {
    path: worktree,
    slug: slugOf(rt, worktree),
    logFile: join(s.session_dir, 'teardown.log'),
  });
  if (r.failed || r.error)
    rt.events.emit(
      'bootstrap.teardown_failed',
      `teardown of ${worktree} failed: ${r.error ?? `"${r.failed!.command}" ${r.failed!.timedOut ? 'timed out' : `exited ${r.failed!.exitCode}`}`} (removed anyway; output in ${join(s.session_dir, 'teardown.log')})`,
    );
  else if (r.ran) rt.events.emit('bootstrap.teardown', `teardown of ${worktree}: ${r.ran} command(s) ran`);
}

/**
 * `crewmux gc`: classifies every crewmux branch and worktree and removes the merged or empty ones of sessions that
 * are not live (all of them with `force`, none with `dryRun`); returns one item per branch, and a removal git
 * refuses is reported as kept. Sessions whose repository is gone have their worktree folders removed (class
 * `missing repository`); leftovers of sessions the database does not know are class `session gone`.
 */
export async function collectGarbage(ctx: AppServices, opts: { dryRun: boolean; force: boolean }): Promise<GcItem[]> {
  const items: GcItem[] = [];
  const sessions = ctx.store().listSessions();
  const rts = new Map<string, Runtime | null>();
  const repos = new Set<string>();
  for (const s of sessions) {
    if (!existsSync(s.repo_root)) {
      if (!supervisorAlive(s)) items.push(...missingRepoItems(ctx, s, opts.dryRun));
      continue;
    }
    repos.add(s.repo_root);
    // Its workers' copies on nodes first: the node removes one only when this repository holds its commits.
    const live = s.status === 'running' || s.status === 'starting' ? supervisorAlive(s) : false;
    if (!live && !opts.dryRun) await clearParkedPanes(ctx, s);
    if (!live && hasNodeWorkers(ctx, s)) {
      const rt = await runtimeFor(ctx, s.id, rts);
      if (rt) items.push(...(await cleanNodeWorkers(rt, opts)).map((c) => nodeItem(c, opts.dryRun)));
    }
    const heads = await ctx.git
      .branchHeads(s.repo_root, sessionBranchPrefix(s.id))
      .catch(() => new Map<string, string>());
    if (heads.size === 0) continue;
    const workers = ctx.store().listWorkers(s.id);
    const entries = [
      ...workers.map((w) => ({ branch: w.branch, worktree: w.worktree, base: w.base_commit })),
      { branch: s.integration_branch, worktree: s.integration_worktree, base: null },
    ];
    // Workers before the integration branch: their "merged" is judged against it.
    for (const e of entries) {
      if (!heads.has(e.branch)) continue;
      const cls = await classify(ctx, s, e.branch, e.worktree, e.base, heads.get(s.integration_branch));
      const removable = cls === 'merged' || cls === 'empty' || (opts.force && cls !== 'session live');
      const bytes = e.worktree && existsSync(e.worktree) ? dirBytes(e.worktree) : 0;
      let action: GcItem['action'] = removable ? (opts.dryRun ? 'would remove' : 'removed') : 'kept';
      if (removable && !opts.dryRun) {
        try {
          if (e.worktree && existsSync(e.worktree)) {
            await teardown(ctx, s, e.worktree, rts);
            // Clean by the check above (ignored files aside), so --force only drops ignored files here.
            await ctx.git.removeWorktree(s.repo_root, e.worktree, true);
          }
          await ctx.git.deleteBranch(s.repo_root, e.branch, true);
        } catch {
          action = 'kept';
        }
      }
      items.push({
        session: s.id,
        branch: e.branch,
        worktree: (e.worktree && existsSync(e.worktree)) || action !== 'kept' ? e.worktree : null,
        class: cls,
        action,
        bytes,
      });
    }
    await ctx.git.raw(s.repo_root, ['worktree', 'prune']).catch(() => undefined);
  }
  // Copies on the nodes of sessions this database no longer knows, per repository (a node checks its own).
  const known = new Set(sessions.map((x) => x.id));
  for (const repo of repos) {
    const s = sessions.find((x) => x.repo_root === repo);
    const rt = s ? await runtimeFor(ctx, s.id, rts) : null;
    if (rt && nodeEntries(rt.config.nodes).length)
      items.push(...(await cleanGoneSessionsOnNodes(rt, known, opts)).map((c) => nodeItem(c, opts.dryRun)));
  }
  const cwdRepo = await ctx.git.repoInfo(ctx.cwd).catch(() => undefined);
  if (cwdRepo) repos.add(cwdRepo.root);
  items.push(...(await goneSessionItems(ctx, new Set(sessions.map((s) => s.id)), [...repos], opts)));
  return items;
}
