/**
 * The shape of .crewmux/config.json (and the global config.json). Validated with zod; an error names
 * the key that is wrong and what was expected.
 */
import { z } from 'zod';
import { BACKEND_NAMES } from '../llm/search-backends.js';
import { PROVIDER_NAMES } from '../llm/router-providers.js';
import { isSafeRelativePath } from '../worktrees/bootstrap.js';
import { NotifyConfigSchema } from '../notify/config.js';
import { parseSize } from '../workers/memory.js';
import { BudgetLimitsSchema } from '../usage/budget-schema.js';
import { GateConfigSchema } from '../review/gate-schema.js';
import { MergeConfigSchema } from '../review/merge-config.js';
import { NodesConfigSchema } from '../nodes/node-config.js';

export const CustomAgentSchema = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    prompt: z.enum(['arg', 'file', 'type']).optional(),
    canLead: z.boolean().optional(),
    family: z.string().optional(),
    ready: z.array(z.string()).optional(),
    busy: z.array(z.string()).optional(),
    waiting: z.array(z.string()).optional(),
    /** Pane texts that mean the agent cannot proceed, each with its kind and the fix shown to the user. */
    blockers: z
      .array(
        z
          .object({
            kind: z.enum(['auth_required', 'quota_exhausted', 'blocked_dialog']),
            match: z.string().min(3),
            fix: z.string().min(1),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

/** The "research" key: which web search backend web_research uses and how long answers are cached. */
export const ResearchConfigSchema = z
  .object({
    /** Search backend (default duckduckgo; the env var CREWMUX_RESEARCH_BACKEND wins over this). */
    backend: z.enum(BACKEND_NAMES).optional(),
    /** Base URL of the backend, e.g. a self-hosted SearXNG (CREWMUX_RESEARCH_BASE_URL wins over this). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Seconds an answer stays cached (default 900; 0 turns the cache off). */
    ttlSeconds: z.number().min(0).optional(),
    /** Milliseconds one search request may take (default 15 000). */
    timeoutMs: z.number().int().positive().max(120_000).optional(),
    /** Results per query when the lead does not say (1..20, default 5). */
    maxResults: z.number().int().min(1).max(20).optional(),
  })
  .strict();

const RouterProviderSchema = z
  .object({
    /** Replaces the provider's default base URL (CREWMUX_ROUTER_<NAME>_BASE_URL in the env wins over this). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    model: z.string().min(1).optional(),
    /** false: never use this provider even when its key is set. */
    enabled: z.boolean().optional(),
    /** The context window of its model in tokens (default: the provider table's figure, 128 000 for another model). */
    contextTokens: z.number().int().min(1000).optional(),
  })
  .strict();

/** The LLM router used for summaries (src/app/llm/router.ts). */
export const RouterConfigSchema = z
  .object({
    /** Providers tried first, in this order; unlisted ones follow in the default order. */
    order: z.array(z.enum(PROVIDER_NAMES)).optional(),
    /** Milliseconds one provider call may take before the router falls back (default 30 000). */
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
    providers: z.partialRecord(z.enum(PROVIDER_NAMES), RouterProviderSchema).optional(),
    /** The API lead compacts its conversation near this many tokens instead of the model's window (a smaller limit). */
    leadContextTokens: z.number().int().min(1000).optional(),
  })
  .strict();

export type RouterConfig = z.infer<typeof RouterConfigSchema>;

const WorktreePath = z
  .string()
  .refine(isSafeRelativePath, 'a path inside the repository (relative, no "..", not .git), e.g. "node_modules"');

/** The "worktree" key: how each new worktree is made ready to work in (README#worktrees-ready-to-work-in). */
export const WorktreeConfigSchema = z
  .object({
    /** Folders of the user's checkout cloned (copy-on-write where the file system can, else copied) into each worktree. */
    clone: z.array(WorktreePath).optional(),
    /** Folders symlinked instead (only these; a symlinked node_modules breaks Vite and Turbopack). */
    link: z.array(WorktreePath).optional(),
    /** Shell commands run in each new worktree before its agent starts (trusted config only). */
    setup: z.array(z.string().min(1)).optional(),
    /** Shell commands run in a worktree before gc removes it (trusted config only). */
    teardown: z.array(z.string().min(1)).optional(),
    /** Seconds each setup or teardown command may run (default 300). */
    setupTimeout: z.number().positive().max(3600).optional(),
    /** Worktrees kept ready at the integration head for the next spawns (default 2; 0 turns the pool off). */
    pool: z.number().int().min(0).max(8).optional(),
  })
  .strict();

export type WorktreeConfig = z.infer<typeof WorktreeConfigSchema>;

const SizeSchema = z
  .union([z.number().int().min(0), z.string()])
  .refine((v) => parseSize(v) !== undefined, 'a size: bytes, "2G", "512M", or a percentage of RAM like "15%"');

/**
 * The "admission" key: workers are admitted by the machine's memory (README#admission-by-memory). Not under
 * "memory", which is the project's episodes and retrieval.
 */
export const AdmissionConfigSchema = z
  .object({
    /** false: every worker is admitted (only --max-workers caps). Default true. */
    enabled: z.boolean().optional(),
    /** What stays free for the user, the lead and crewmux: bytes, "2G", or a percentage of RAM (default "15%"). */
    reserve: SizeSchema.optional(),
    /** PSI `some avg10` (%) at or above which no worker is admitted, Linux only (default 10; null: not looked at). */
    pressureMax: z.number().min(0).max(100).nullable().optional(),
    /** MemoryMax of each worker's systemd user scope: bytes, "4G", or a percentage of RAM (default "50%"). */
    workerMemoryMax: SizeSchema.optional(),
  })
  .strict();

export type AdmissionConfig = z.infer<typeof AdmissionConfigSchema>;

const dollars = z.number().min(0);
/** One model's price, $ per million tokens (core/usage/prices.ts). */
export const ModelPriceSchema = z
  .object({ input: dollars, output: dollars, cacheRead: dollars.optional(), cacheWrite: dollars.optional() })
  .strict();

const RUNTIME_NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const RUNTIME_NAME_RULE = 'runtime names are letters, digits, dot, dash, underscore';

/** One `exec:` runtime (docs/runtimes.md): the script crewmux calls as `SCRIPT <op>`. */
export const RuntimeConfigSchema = z
  .object({
    /** The script: an absolute path, or a path relative to the repository root. */
    exec: z.string().min(1),
  })
  .strict();

export const ConfigSchema = z
  .object({
    agents: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'agent names are letters, digits, dot, dash, underscore'),
        CustomAgentSchema,
      )
      .optional(),
    /**
     * Per agent, whether its workers run through crewmux's ACP pane process (README#acp-workers): `false` keeps the
     * TUI for an agent whose registry entry says ACP (gemini, qwen, opencode), `true` turns it on for one that only
     * offers it.
     */
    acp: z.record(z.string(), z.boolean()).optional(),
    lead: z.string().optional(),
    workers: z.array(z.string()).optional(),
    verify: z.array(z.string()).optional(),
    /**
     * Let the lead run verify commands of its own choosing (default false: only the configured `verify`
     * commands or PROJECT.md `## How to verify` ones run; a lead-given command must be one of them).
     */
    verifyAllowAdHoc: z.boolean().optional(),
    /** Seconds each verify command may run (default 600). */
    verifyTimeout: z.number().positive().optional(),
    maxWorkers: z.number().int().min(1).max(64).optional(),
    /** Per worker, seconds. */
    workerTimeout: z.number().positive().optional(),
    /** Whole run, seconds. */
    timeout: z.number().positive().optional(),
    /** Seconds without output or progress before a worker is nudged, then reported. */
    stuckAfter: z.number().positive().optional(),
    /** Seconds a blocking tool (wait_for_worker, verify) may hold a call before answering "call again". */
    toolWait: z.number().positive().max(600).optional(),
    /** Seconds the lead may run without any MCP tool call before the run reports it cannot work (default 120). */
    leadStartTimeout: z.number().positive().optional(),
    requireSignedSkills: z.boolean().optional(),
    /** Memory retrieval and episodes (README#memory). */
    memory: z
      .object({
        /** Where each session's episode is written: the project's .crewmux/memory (default), the global data dir, or nowhere. */
        episodes: z.enum(['project', 'global', 'off']).optional(),
        /** Characters of memory a worker prompt may get (default 4000; 0 turns retrieval off). */
        budget: z.number().int().min(0).max(32_000).optional(),
      })
      .strict()
      .optional(),
    /** Worker questions (README#questions): seconds the lead has to answer a ticket before it goes to you (default 300). */
    questions: z.object({ leadTimeout: z.number().positive().optional() }).strict().optional(),
    /** Worker worktrees (README#worktrees). */
    /** The lead's web_research tool (README#web-research). */
    research: ResearchConfigSchema.optional(),
    /** The model router for summaries (README#router). */
    router: RouterConfigSchema.optional(),
    /** Worktree bootstrap: clone, link, setup, teardown (README#worktrees-ready-to-work-in). */
    worktree: WorktreeConfigSchema.optional(),
    /** Admission of workers by the machine's memory (README#admission-by-memory). */
    admission: AdmissionConfigSchema.optional(),
    /** The review gate of mark_goal_done (README#review-gate): reviewers, maxRounds, agents. */
    gate: GateConfigSchema.optional(),
    /** Risk-aware merging (README#review-gate): which verdict risks merge without a person, review before merge. */
    merge: MergeConfigSchema.optional(),
    /** $ per million tokens per model, over the built-in table (README#usage; core/usage/prices.ts). */
    prices: z.record(z.string().min(1), ModelPriceSchema).optional(),
    /** Who is told when the run ends or needs the human: tmux, desktop, ntfy, webhook (README#notifications). */
    notify: NotifyConfigSchema.optional(),
    /** Budgets that stop the run or a worker: dollars, tokens, quota percent (README#budgets). */
    budget: BudgetLimitsSchema.optional(),
    /** Worker runtimes besides "local" (docs/runtimes.md): NAME -> {exec: script}, run only from trusted config. */
    runtimes: z.record(z.string().regex(RUNTIME_NAME, RUNTIME_NAME_RULE), RuntimeConfigSchema).optional(),
    /** The runtime of a worker whose spawn_worker names none: "local" (default) or a name under `runtimes`. */
    workerRuntime: z.string().regex(RUNTIME_NAME, RUNTIME_NAME_RULE).optional(),
    /** Worker nodes over SSH, global config only (README#nodes; `crewmux node add`). */
    nodes: NodesConfigSchema.optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Every problem of a failed parse, each with its key, joined by `; `:
 * `agents.foo.prompt: expected one of arg|file|type; maxWorkers: expected number`.
 */
export function describeConfigError(error: z.ZodError): string {
  if (!error.issues.length) return 'invalid config';
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

/**
 * Merges the global config under the project config (project keys win; agents and router providers merge by
 * name; notifiers add up, a repeated one once).
 */
export function mergeConfigs(global: Config, project: Config): Config {
  const merged: Config = { ...global, ...project, agents: { ...(global.agents ?? {}), ...(project.agents ?? {}) } };
  if (global.notify && project.notify) {
    const seen = new Set<string>();
    merged.notify = [...global.notify, ...project.notify].filter((n) => {
      const k = JSON.stringify(n);
      return seen.has(k) ? false : (seen.add(k), true);
    });
  }
  if (global.router && project.router) {
    const providers = { ...global.router.providers };
    for (const [name, p] of Object.entries(project.router.providers ?? {}) as [
      keyof typeof providers,
      (typeof providers)[keyof typeof providers],
    ][]) {
      providers[name] = { ...providers[name], ...p };
    }
    merged.router = { ...global.router, ...project.router, providers };
  }
  return merged;
}
