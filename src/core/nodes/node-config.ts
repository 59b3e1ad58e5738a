/**
 * The `nodes` key of the global config.json: `{"nodes": {"lostAfter": 600, "gpu1": {"host": "gpu1.lan", "user":
 * "me", "port": 22, "maxWorkers": 4, "agents": ["claude"]}}}`. Node names share the object with `lostAfter` and
 * `cloneMaxBytes` (which are not valid node names: names are lowercase). Only the global config may hold nodes: a repository
 * cannot send work to a host (core/session/repo-trust.ts drops the key). Pure.
 */
import { z } from 'zod';
import { hostProblem, NODE_NAME_PATTERN, userProblem } from './target.js';

/** Seconds a node may stay unreachable before its workers are marked `lost`, when `nodes.lostAfter` is unset. */
export const DEFAULT_NODE_LOST_AFTER_SECONDS = 600;

/** One node: where its sshd is and what it may run. */
export const NodeSpecSchema = z
  .object({
    /** The ssh host (a name from ~/.ssh/config works); never starting with "-". */
    host: z.string().superRefine((h, ctx) => {
      const why = hostProblem(h);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    }),
    user: z
      .string()
      .superRefine((u, ctx) => {
        const why = userProblem(u);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      })
      .optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** Workers this node runs at once (default: its memory admission decides alone). */
    maxWorkers: z.number().int().min(1).max(64).optional(),
    /** The agents this node may run (default: any it has installed). */
    agents: z.array(z.string().regex(/^[a-z0-9][a-z0-9._:/-]*$/i)).optional(),
    /**
     * Send the repository's `.worktreeinclude` files (git-ignored: .env, local certificates) to this node for its
     * workers' worktrees (default false: they hold secrets, and nothing of them leaves this machine unasked).
     */
    include: z.boolean().optional(),
    /** crewmux on the node, when `crewmux` is not on its non-interactive PATH (an absolute path). */
    crewmuxPath: z.string().startsWith('/').optional(),
  })
  .strict();

export type NodeSpec = z.infer<typeof NodeSpecSchema>;

/**
 * `nodes` as the code sees it: `lostAfter` beside one NodeSpec per name. Written out because zod's inference of
 * an object with a catchall gives an index signature that `lostAfter`'s number cannot satisfy.
 */
export type NodesConfig = { lostAfter?: number; cloneMaxBytes?: number } & {
  [name: string]: NodeSpec | number | undefined;
};

/** `nodes`: `lostAfter` (seconds) and one NodeSpec per node name; each problem is named by its key. */
export const NodesConfigSchema = z
  .record(z.string(), z.unknown())
  .superRefine((nodes, ctx) => {
    for (const [name, value] of Object.entries(nodes)) {
      if (name === 'lostAfter') {
        if (typeof value !== 'number' || !(value > 0))
          ctx.addIssue({ code: 'custom', path: [name], message: 'expected a number of seconds above 0' });
        continue;
      }
      // The most bytes of one worktree.clone folder sent to a node (core/nodes/clone-protocol.ts; default 2 GiB).
      if (name === 'cloneMaxBytes') {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
          ctx.addIssue({ code: 'custom', path: [name], message: 'expected a whole number of bytes above 0' });
        continue;
      }
      if (!NODE_NAME_PATTERN.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'a node name is lowercase letters, digits, "-" and "_" (at most 32)',
        });
      const spec = NodeSpecSchema.safeParse(value);
      if (!spec.success)
        for (const i of spec.error.issues)
          ctx.addIssue({ code: 'custom', path: [name, ...i.path.map(String)], message: i.message });
    }
  })
  .transform((v) => v as NodesConfig);

/** The configured nodes by name, without `lostAfter` and `cloneMaxBytes`. */
export function nodeEntries(nodes: NodesConfig | undefined): [string, NodeSpec][] {
  return Object.entries(nodes ?? {})
    .filter(
      (e): e is [string, NodeSpec] =>
        e[0] !== 'lostAfter' && e[0] !== 'cloneMaxBytes' && typeof e[1] === 'object' && e[1] !== null,
    )
    .sort(([a], [b]) => a.localeCompare(b));
}
