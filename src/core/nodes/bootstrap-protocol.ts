/**
 * The node channel's bootstrap and usage ops (docs/architecture.md "Worker nodes: bootstrap and usage"), beside
 * protocol.ts's worker ops. `worker.prepare` makes a node worker's worktree ready before its prompt is written: the
 * worktree from the base the lead pushed, the `.worktreeinclude` files the lead host selected and sent (only to a
 * node whose config says `include: true`), a port block checked free on the node, and the setup commands from the
 * lead host's trusted config (the node never reads the repository's config). `usage.read` hands the lead the new
 * complete lines of a worker's usage files in its node state dir and of its agent's own usage files the node resolves
 * itself (under the agent's HOME; OpenCode's database as rows), from the offsets the lead has read. Pure.
 */
import { z } from 'zod';
import { isSafeRelativePath } from '../worktrees/bootstrap.js';
import { NodeWorkerIdSchema, WorkerStartParamsSchema } from './protocol.js';
import { ACP_USAGE_FILE } from '../acp/usage.js';
import { CLAUDE_STATUS_LINE_FILE } from '../agents/profiles/claude.js';
import { PrepareCloneSchema } from './clone-protocol.js';

/** At most this many bytes of `.worktreeinclude` files go to a node per worker (one file or all of them). */
export const NODE_INCLUDE_MAX_BYTES = 1024 * 1024;

const RelPathSchema = z.string().max(4096).refine(isSafeRelativePath, 'expected a relative path inside the worktree');

/** One included file as it travels: its bytes (base64) and mode, or a symlink's (relative, in-repository) target. */
export const IncludedFileSchema = z.union([
  z.object({ path: RelPathSchema, mode: z.number().int().min(0).max(0o7777), base64: z.string() }),
  z.object({ path: RelPathSchema, link: z.string().max(4096) }),
]);
export type IncludedFile = z.infer<typeof IncludedFileSchema>;

/** `worker.prepare`: the worktree and its bootstrap, before the prompt (which names CREWMUX_PORT) is written. */
export const WorkerPrepareParamsSchema = z.object({
  id: NodeWorkerIdSchema,
  repoId: WorkerStartParamsSchema.shape.repoId,
  branch: WorkerStartParamsSchema.shape.branch,
  baseRef: WorkerStartParamsSchema.shape.baseRef,
  /** CREWMUX_WORKTREE_SLUG (the lead host's name for the worktree: the same on any host). */
  slug: z.string().regex(/^[a-z0-9_]{1,48}$/),
  include: z.array(IncludedFileSchema).max(10_000),
  /** The setup commands from the lead host's trusted config, and where they come from. */
  setup: z.object({
    source: z.enum(['worktree.setup', 'conductor.json', 'none']),
    commands: z.array(z.string().max(64 * 1024)).max(100),
  }),
  setupTimeoutS: z
    .number()
    .int()
    .positive()
    .max(24 * 3600),
  /**
   * The teardown commands from the lead host's trusted config (`worktree.teardown`): the node keeps them with the
   * worktree (NodeTeardownRecord) and runs them before it removes the worktree, whenever that is.
   */
  teardown: z
    .array(z.string().max(64 * 1024))
    .max(100)
    .default([]),
  /** The user's checkout on the lead host uses `.env.local`: the node worktree gets the managed block too. */
  envLocal: z.boolean().default(false),
  /** `worktree.clone` / `worktree.link` folders to clone (link) from the node's cache (clone-protocol.ts). */
  clone: z.array(PrepareCloneSchema).max(100).optional(),
});
export type WorkerPrepareParams = z.infer<typeof WorkerPrepareParamsSchema>;

const PhaseSchema = z.object({
  name: z.enum(['include', 'clone', 'env', 'setup']),
  ms: z.number(),
  how: z.string(),
});

/** `worker.prepare`'s answer: the bootstrap as app/worktrees/prepare.ts reports it. */
export const WorkerPrepareResultSchema = z.object({
  worktree: z.string(),
  phases: z.array(PhaseSchema),
  /** The folders cloned from the node's cache, how (reflink, copy, link) and why. */
  clone: z
    .array(z.object({ folder: z.string(), method: z.enum(['reflink', 'copy', 'link']), why: z.string() }))
    .optional(),
  env: z.record(z.string(), z.string()),
  included: z.array(z.string()),
  skipped: z.array(z.object({ path: z.string(), why: z.string() })),
  setup: z.object({
    source: z.enum(['worktree.setup', 'conductor.json', 'none']),
    ok: z.boolean(),
    failed: z.object({ command: z.string(), exitCode: z.number().nullable(), timedOut: z.boolean() }).optional(),
    tail: z.string(),
  }),
});
export type WorkerPrepareResult = z.infer<typeof WorkerPrepareResultSchema>;

/** The folder of a node worker's state dir on the lead host holding the mirror of its agent's own usage files. */
export const NODE_USAGE_DIR = 'node-usage';

/** The usage sources whose files a node resolves itself (under the agent's HOME, or its pane log) and mirrors. */
export const NODE_MIRRORED_SOURCES = [
  'codex-rollout',
  'gemini-chat',
  'qwen-chat',
  'copilot-events',
  'opencode-db',
  'pane',
] as const;
export type NodeMirroredSource = (typeof NODE_MIRRORED_SOURCES)[number];

/** Where source `source`'s mirror lives in a worker's state dir on the lead host (`node-usage/<source>`). */
export const nodeMirrorDir = (source: NodeMirroredSource): string => `${NODE_USAGE_DIR}/${source}`;

/** The mirror of OpenCode's (or Kilo Code's) step-finish rows of a node worker: one JSON row per line. */
export const NODE_STEPS_FILE = `${nodeMirrorDir('opencode-db')}/steps.jsonl`;
/** The lead host's cursor of that mirror: the latest update time it holds and the part ids updated then. */
export const NODE_STEPS_CURSOR_FILE = `${nodeMirrorDir('opencode-db')}/cursor.json`;
/** The mirror of a pane-read agent's (Aider's) pane log on its node. */
export const NODE_PANE_FILE = `${nodeMirrorDir('pane')}/pane.log`;

/**
 * The mirror paths of the files a node resolves below an agent's own usage root: the layout each CLI writes (the path
 * relative to its root: CODEX_HOME, `.gemini`, QWEN_HOME, COPILOT_HOME), nothing else.
 */
const MIRRORED: readonly RegExp[] = [
  /^node-usage\/codex-rollout\/sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-[^/]+\.jsonl$/,
  /^node-usage\/gemini-chat\/tmp\/[^/]+\/chats\/[^/]+\.jsonl$/,
  /^node-usage\/qwen-chat\/projects\/[^/]+\/chats\/[^/]+\.jsonl$/,
  /^node-usage\/copilot-events\/session-state\/[^/]+\/events\.jsonl$/,
  /^node-usage\/pane\/pane\.log$/,
];

/**
 * What a node keeps with a worker's worktree (`teardown.json` in its node state dir, 0600) from `worker.prepare`, so
 * that the teardown runs before the worktree is removed, on the lead's word or on a later gc of the node's own.
 */
export const NODE_TEARDOWN_FILE = 'teardown.json';
/** NODE_TEARDOWN_FILE's content. */
export const NodeTeardownRecordSchema = z.object({
  slug: WorkerPrepareParamsSchema.shape.slug,
  commands: z.array(z.string().max(64 * 1024)).max(100),
  timeoutS: WorkerPrepareParamsSchema.shape.setupTimeoutS,
});
export type NodeTeardownRecord = z.infer<typeof NodeTeardownRecordSchema>;

/**
 * Whether `rel` (relative to a worker's state dir) is a usage file a node serves: the ACP pane process's record,
 * Claude Code's status-line record, transcripts below its crewmux-owned CLAUDE_CONFIG_DIR
 * (`claude-config/projects/<project>/<session>.jsonl`), and the mirror paths (`node-usage/<source>/...`) of the files
 * the node resolves below the agent's own usage root (Codex rollouts, Gemini and Qwen chats, Copilot event logs) or
 * its pane log (pane-read agents).
 */
export function isNodeUsageFile(rel: string): boolean {
  if (!isSafeRelativePath(rel)) return false;
  if (rel === ACP_USAGE_FILE || rel === CLAUDE_STATUS_LINE_FILE) return true;
  return /^claude-config\/projects\/[^/]+\/[^/]+\.jsonl$/.test(rel) || MIRRORED.some((r) => r.test(rel));
}

/** At most this many bytes of usage lines per `usage.read` answer (the rest comes with the next read). */
export const NODE_USAGE_READ_MAX_BYTES = 1024 * 1024;

/** One OpenCode (or Kilo Code) step-finish row as it travels (core/usage/opencode-steps.ts), with its update time. */
export const OpencodeStepRowSchema = z.object({
  id: z.string().max(256),
  data: z.string(),
  message: z.string(),
  timeCreated: z.number(),
  timeUpdated: z.number(),
});

/** `usage.read`: for each worker, the offsets the lead has read of its usage files (a file not named: from 0). */
export const UsageReadParamsSchema = z.object({
  workers: z
    .array(
      z.object({
        id: NodeWorkerIdSchema,
        offsets: z.record(z.string().refine(isNodeUsageFile, 'not a usage file'), z.number().int().nonnegative()),
        /** The worker's start (ms): the agent's files changed before it are not its own (and not listed). */
        since: z.number().int().nonnegative().optional(),
        /** `opencode-db` agents: the latest part update time (ms) the lead holds; the rows updated since then come. */
        steps: z.number().int().nonnegative().optional(),
      }),
    )
    .max(1000),
});
export type UsageReadParams = z.infer<typeof UsageReadParamsSchema>;

/** `usage.read`'s answer: per worker, the complete lines past each offset (`text` starts at byte `from`). */
export const UsageReadResultSchema = z.object({
  workers: z.array(
    z.object({
      id: NodeWorkerIdSchema,
      chunks: z.array(
        z.object({
          path: z.string().refine(isNodeUsageFile, 'not a usage file'),
          from: z.number().int().nonnegative(),
          text: z.string(),
        }),
      ),
      /** `opencode-db` agents: the step-finish rows of the worker's sessions updated at or after `steps`. */
      steps: z.array(OpencodeStepRowSchema).optional(),
    }),
  ),
});
export type UsageReadResult = z.infer<typeof UsageReadResultSchema>;
