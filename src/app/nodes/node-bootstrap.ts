/**
 * A node worker's worktree bootstrap, the lead host's side (docs/architecture.md "Worker nodes: bootstrap and
 * usage"): what only this host has is decided here and sent, the rest runs on the node (serve-bootstrap.ts, with the
 * local bootstrap's use case). `.worktreeinclude` files are selected here with the local matcher and sent only to a
 * node whose config says `include: true` (at most NODE_INCLUDE_MAX_BYTES); either way a `bootstrap.node_files`
 * event names them, never their contents. `worktree.clone` / `worktree.link` folders go to the node's cache once per
 * fingerprint (node-clone.ts) and are cloned (linked) from it there; `bootstrap.prepared` says for each how, the bytes
 * sent (0 on a cache hit), or why not (another platform-arch, over `nodes.cloneMaxBytes`). The setup and teardown commands come from this host's effective config, so an untrusted repository's
 * commands never run on a node either (the node keeps the teardown with the worktree, for whenever it is removed).
 * `.env.local` gets the managed block on the node by the local rule: when the user's checkout here uses one. CREWMUX_PORT is reserved on the node; it and the slug are recorded here for the prompt.
 */
import { join } from 'node:path';
import { NODE_INCLUDE_MAX_BYTES, type IncludedFile } from '../../core/nodes/bootstrap-protocol.js';
import { setupPlan } from '../../core/worktrees/bootstrap.js';
import type { Runtime } from '../runtime.js';
import { describePrepared, type PreparedWorktree } from '../worktrees/prepare.js';
import { bootstrapServices, recordWorkerWorktreeEnv, slugOf } from '../worktrees/session-worktrees.js';
import { nodeSpecOf } from '../workers/worker-runtimes.js';
import type { NodeRuntime } from './node-runtime.js';
import { syncNodeClones } from './node-clone.js';

/** The bytes a sent file carries. */
const sizeOf = (f: IncludedFile) => ('base64' in f ? Buffer.from(f.base64, 'base64').length : 0);

/**
 * Makes worker `w`'s worktree on `node` at `baseCommit` and bootstraps it there (include as the node's config allows,
 * clone from the node's cache after sending what it lacks, env, setup), records its env for the prompt and restarts, and logs `bootstrap.node_files` and
 * `bootstrap.prepared`. Resolves with the bootstrap as a local one reports it (`setup.ok` false: its setup failed);
 * undefined when bootstrapping is off (then the node makes a bare worktree at start). Rejects when the node fails.
 */
export async function prepareNodeWorkerWorktree(
  rt: Runtime,
  w: { id: string; branch: string; worktree: string },
  node: NodeRuntime,
  baseCommit: string,
): Promise<PreparedWorktree | undefined> {
  const s = bootstrapServices(rt);
  if (!s) return undefined;
  const wt = rt.config.worktree ?? {};
  const allowed = nodeSpecOf(rt, node.node)?.include === true;
  const read = await s.files.readIncluded(rt.repoRoot, NODE_INCLUDE_MAX_BYTES);
  const send = allowed ? read.files : [];
  const withheld = allowed
    ? []
    : read.files.map((f) => ({
        path: f.path,
        why: `not sent: node ${node.node}'s config does not say "include": true`,
      }));
  if (read.files.length || read.skipped.length) {
    const names = read.files.map((f) => f.path);
    const bytes = send.reduce((n, f) => n + sizeOf(f), 0);
    rt.events.emit(
      'bootstrap.node_files',
      allowed
        ? `${w.id}: sent ${send.length} .worktreeinclude file(s) (${bytes} bytes) to node ${node.node}: ${names.join(', ')}` +
            (read.skipped.length ? `; not sent: ${read.skipped.map((x) => `${x.path} (${x.why})`).join(', ')}` : '')
        : `${w.id}: ${names.length} .worktreeinclude file(s) NOT sent to node ${node.node} (${names.join(', ')}): ` +
            `set "include": true on the node in the global config (nodes.${node.node}) to send them`,
      w.id,
      { node: node.node, sent: send.map((f) => f.path), bytes, withheld: [...withheld, ...read.skipped] },
    );
  }
  const plan = setupPlan(wt.setup, rt.conductorSetup);
  const folders = [
    ...(wt.clone ?? []).map((folder) => ({ folder, link: false })),
    ...(wt.link ?? []).map((folder) => ({ folder, link: true })),
  ].filter((f) => s.files.exists(join(rt.repoRoot, f.folder)));
  const synced = await syncNodeClones(rt, node, folders);
  const notCloned = synced.outcomes.filter((o) => o.outcome === 'skipped');
  const r = await node.prepareOnNode({
    workerId: w.id,
    branch: w.branch,
    baseCommit,
    bootstrap: {
      slug: slugOf(rt, w.worktree),
      include: send,
      setup: { source: plan.source, commands: plan.commands },
      setupTimeoutS: wt.setupTimeout ?? 300,
      // Kept on the node with the worktree and run there before it is removed (serve-gc.ts).
      teardown: wt.teardown ?? [],
      // The local rule (app/worktrees/prepare.ts): the managed block when the user's checkout uses .env.local.
      envLocal: s.files.exists(join(rt.repoRoot, '.env.local')),
      ...(synced.clone.length ? { clone: synced.clone } : {}),
    },
  });
  const cloned = r.clone ?? [];
  const sentHow = synced.outcomes
    .filter((o) => o.outcome !== 'skipped')
    .map(
      (o) =>
        `${o.folder} ${o.outcome === 'sent' ? `sent (${o.bytesSent} bytes)` : 'from the node cache (0 bytes sent)'}`,
    );
  const cloneHow = [
    ...(cloned.length ? [cloned.map((c) => `${c.folder} by ${c.method}: ${c.why}`).join('; ')] : []),
    ...sentHow,
    ...notCloned.map((o) => `${o.folder} ${o.why}`),
  ].join('; ');
  const prepared: PreparedWorktree = {
    phases: r.phases.map((ph) => (ph.name === 'clone' && cloneHow ? { ...ph, how: cloneHow } : ph)),
    env: r.env,
    include: { copied: r.included, skipped: [...withheld, ...read.skipped, ...r.skipped] },
    clone: cloned,
    setup: r.setup,
  };
  recordWorkerWorktreeEnv(rt, w.id, r.env);
  rt.events.emit(
    'bootstrap.prepared',
    `${w.id} worktree ready on node ${node.node} (${r.worktree}): ${describePrepared(prepared)}`,
    w.id,
    {
      role: 'worker',
      node: node.node,
      phases: prepared.phases,
      clone: cloned,
      ...(synced.outcomes.length ? { nodeClone: synced.outcomes } : {}),
      ...(notCloned.length ? { notCloned: notCloned.map((o) => o.folder) } : {}),
      included: r.included.length,
      skipped: prepared.include.skipped,
    },
  );
  return prepared;
}
