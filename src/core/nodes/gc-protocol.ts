/**
 * The node channel's clean-up ops (docs/architecture.md "Worker nodes: clean-up"), beside protocol.ts's worker ops:
 * `worktrees.list` (the worker worktrees a node keeps, with their branches' heads) and `worker.remove` (a finished
 * worker's worktree, branches, base ref, state dir and tmux session on the node). The lead host says which commits
 * it holds of the worker's branches (`heads`); the node removes nothing it has beyond them, nor uncommitted work,
 * nor a worker whose agent still runs, unless `force` (never a running agent). Pure.
 */
import { z } from 'zod';
import { NodeWorkerIdSchema, RepoEnsureParamsSchema } from './protocol.js';

const CommitSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);
/** Branch name (`crewmux/<sid>/<worker>-<perspective>`) -> its head. */
const HeadsSchema = z.record(z.string().regex(/^crewmux\/[a-z0-9-]+\/w[0-9]+-[a-z0-9-]+$/), CommitSchema);

/** One worker worktree on the node. */
export const NodeWorktreeSchema = z.object({
  id: NodeWorkerIdSchema,
  /** The lead repository it belongs to (the bare repository's name); absent when the worktree lost its repository. */
  repoId: z.string().optional(),
  path: z.string(),
  /** Its agent still runs in its tmux session. */
  running: z.boolean(),
  heads: HeadsSchema,
});
export type NodeWorktree = z.infer<typeof NodeWorktreeSchema>;
export const WorktreesListResultSchema = z.object({ worktrees: z.array(NodeWorktreeSchema) });

/** `worker.remove`: worker `id`'s things on the node, when the lead host holds `heads` (all of them). */
export const WorkerRemoveParamsSchema = z.object({
  id: NodeWorkerIdSchema,
  repoId: RepoEnsureParamsSchema.shape.repoId,
  /** The heads the lead host holds of the worker's branches. */
  heads: HeadsSchema,
  /** Also remove commits the lead host lacks and uncommitted work. */
  force: z.boolean().default(false),
  /** Only say what would happen. */
  dryRun: z.boolean().default(false),
});
export type WorkerRemoveParams = z.input<typeof WorkerRemoveParamsSchema>;

/** `worker.remove`'s answer: removed (or would be, with dryRun), else kept with the reason. */
export const WorkerRemoveResultSchema = z.object({
  removed: z.boolean(),
  reason: z.string().optional(),
  /** The worker's branches on the node (removed with it, or kept). */
  branches: z.array(z.string()),
  bytes: z.number().int().nonnegative(),
  /**
   * The worktree's teardown, run on the node before it was removed (absent: nothing removed, or no record): how many
   * commands ran, the one that failed or why none could run, and the node-side log of its output.
   */
  teardown: z
    .object({
      ran: z.number().int().nonnegative(),
      failed: z.object({ command: z.string(), exitCode: z.number().nullable(), timedOut: z.boolean() }).optional(),
      error: z.string().optional(),
      log: z.string(),
    })
    .optional(),
});
export type WorkerRemoveResult = z.infer<typeof WorkerRemoveResultSchema>;
