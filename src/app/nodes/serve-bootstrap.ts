/**
 * The node side of a node worker's bootstrap and usage (docs/architecture.md "Worker nodes: bootstrap and usage"):
 * `worker.prepare` makes the worker's worktree and runs the local bootstrap's use case (app/worktrees/prepare.ts) on
 * it, with what the lead host sent in place of what only it has: the `.worktreeinclude` files it selected (written
 * owner-only), and the setup commands of its trusted config (the node reads no repository config, so it never
 * decides trust). `worktree.clone` / `worktree.link` folders the lead named (with their fingerprints) are cloned (or
 * linked) from the node's cache (serve-clone.ts), with the local clone code. The port block is checked free by
 * binding on the node and locked under the node's runtime dir. The lead's teardown commands are kept with the worktree (NODE_TEARDOWN_FILE in its state dir) for
 * serve-gc.ts to run before it removes the worktree. `usage.read` serves the new complete lines of a
 * worker's usage files (core/nodes/bootstrap-protocol.ts isNodeUsageFile) from its node state dir, and of its agent's
 * own files the node resolves itself (node-usage.ts nodeAgentUsageFiles; OpenCode's database as rows).
 */
import { join } from 'node:path';
import {
  NODE_USAGE_READ_MAX_BYTES,
  NODE_TEARDOWN_FILE,
  type NodeTeardownRecord,
  UsageReadParamsSchema,
  WorkerPrepareParamsSchema,
  type UsageReadResult,
  type WorkerPrepareResult,
} from '../../core/nodes/bootstrap-protocol.js';
import { parseOpParams } from '../../core/nodes/protocol.js';
import { ConfigSchema } from '../../core/session/config-schema.js';
import { BUILTIN_AGENTS } from '../../core/agents/registry.js';
import { ensureDir, readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type { CloneCache } from '../ports/clone-folders.js';
import type { UsageFiles } from '../ports/usage.js';
import type { WorktreeFiles } from '../ports/worktree-files.js';
import { prepareWorktree } from '../worktrees/prepare.js';
import { AGENT_FILE, freshWorktree, placesOf, type NodeWorkerDeps } from './serve-workers.js';
import { nodeAgentUsageFiles, nodeUsageFiles, readUsageEnv } from './node-usage.js';

/** What the node's bootstrap and usage ops need beyond the worker ops'; compose/nodes.ts wires the real ones. */
export interface NodeBootstrapDeps extends Pick<NodeWorkerDeps, 'dataDir' | 'tmux' | 'git' | 'env' | 'userHome'> {
  files: WorktreeFiles;
  runner: ProcessRunner;
  /** Reads usage files' complete lines from an offset and finds the agents' own (adapters/usage/usage-files.ts). */
  usageFiles: UsageFiles;
  /** The node user's crewmux runtime dir: port locks live in its `ports/`. */
  runtimeDir: string;
  /** The cache of `worktree.clone` folders the lead sent (unset: nothing is cloned). */
  cloneCache?: CloneCache;
}

/** The node's bootstrap and usage ops by name: `worker.prepare`, `usage.read`. */
export function nodeBootstrapMethods(d: NodeBootstrapDeps): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    async 'worker.prepare'(params): Promise<WorkerPrepareResult> {
      const p = parseOpParams(WorkerPrepareParamsSchema, params, 'worker.prepare');
      const at = placesOf(d, p.id);
      const worktree = await freshWorktree(d, p);
      ensureDir(at.stateDir);
      const logFile = join(at.stateDir, 'pane.log');
      if (readIfExists(logFile) === undefined) writeFileAtomic(logFile, '');
      const commands = p.setup.source === 'none' ? [] : p.setup.commands;
      // The teardown commands stay with the worktree (0600), for whichever removal comes: the lead's or a later gc.
      const record: NodeTeardownRecord = { slug: p.slug, commands: p.teardown, timeoutS: p.setupTimeoutS };
      writeFileAtomic(join(at.stateDir, NODE_TEARDOWN_FILE), JSON.stringify(record) + '\n', 0o600);
      // Each folder from the cache; one the cache lacks (never sent, or dropped since) is said and skipped.
      const cloneSources: Record<string, string> = {};
      const missing: { folder: string; method: 'copy'; why: string }[] = [];
      for (const c of p.clone ?? []) {
        const src = d.cloneCache?.use(p.repoId, c.folder, c.fingerprint);
        if (src) cloneSources[c.folder] = src;
        else missing.push({ folder: c.folder, method: 'copy', why: 'not cloned: not in the node cache' });
      }
      const cloned = (p.clone ?? []).filter((c) => cloneSources[c.folder]);
      const r = await prepareWorktree(
        {
          // The lead host's selection stands in for the user's checkout, which the node does not have.
          files: { ...d.files, copyIncluded: async (_root, dest) => d.files.writeIncluded(dest, p.include) },
          runner: d.runner,
          config: ConfigSchema.parse({
            worktree: {
              ...(p.setup.source === 'worktree.setup' ? { setup: commands } : {}),
              clone: cloned.filter((c) => !c.link).map((c) => c.folder),
              link: cloned.filter((c) => c.link).map((c) => c.folder),
              setupTimeout: p.setupTimeoutS,
            },
          }),
          ...(p.setup.source === 'conductor.json' && commands[0] ? { conductorSetup: commands[0] } : {}),
          runtimeDir: d.runtimeDir,
          baseEnv: d.env,
        },
        // The worktree is its own source root here: conductor's CONDUCTOR_ROOT_PATH names it. .env.local gets the
        // managed block by the local rule: when the worktree has one (tracked or included) or the user's checkout on
        // the lead host has one (then a 0600 .env.local holding only the block is made).
        {
          path: worktree,
          role: 'worker',
          sourceRoot: worktree,
          slug: p.slug,
          logFile,
          sourceUsesEnvLocal: p.envLocal,
          cloneSources,
        },
      );
      return {
        worktree,
        phases: r.phases,
        ...(p.clone ? { clone: [...r.clone, ...missing] } : {}),
        env: r.env,
        included: r.include.copied,
        skipped: r.include.skipped,
        setup: r.setup,
      };
    },

    async 'usage.read'(params): Promise<UsageReadResult> {
      const p = parseOpParams(UsageReadParamsSchema, params, 'usage.read');
      let budget = NODE_USAGE_READ_MAX_BYTES;
      const workers: UsageReadResult['workers'] = [];
      for (const w of p.workers) {
        const { stateDir, worktree } = placesOf(d, w.id);
        // The files of its state dir at their own paths, and its agent's own files the node finds (never a path the
        // lead named: a path asked that is neither is not read).
        const paths = new Map(nodeUsageFiles(stateDir).map((f) => [f.path, join(stateDir, f.path)]));
        for (const rel of Object.keys(w.offsets))
          if (!rel.startsWith('node-usage/') && !paths.has(rel)) paths.set(rel, join(stateDir, rel));
        // Its agent's built-in entry (installed here or not any more: its files stay where it wrote them).
        const name = readIfExists(join(stateDir, AGENT_FILE))?.trim();
        const profile = BUILTIN_AGENTS.find((a) => a.name === name);
        const own = nodeAgentUsageFiles(d.usageFiles, {
          profile,
          env: readUsageEnv(stateDir) ?? d.env,
          home: d.userHome,
          stateDir,
          worktree,
          sinceMs: w.since ?? Date.now() - 86_400_000,
        });
        for (const [rel, file] of own.files) paths.set(rel, file);
        const chunks: UsageReadResult['workers'][0]['chunks'] = [];
        for (const [rel, file] of paths) {
          if (budget <= 0) break;
          const from = w.offsets[rel] ?? 0;
          // Complete lines only (a line still being written is left): `from` + the text's bytes is `next`, whatever
          // bytes the file holds (a pane log may hold any), so the mirror stays in step.
          const { text, next } = d.usageFiles.readText(file, from, budget);
          if (next === from) continue;
          budget -= next - from;
          chunks.push({ path: rel, from, text });
        }
        let steps: UsageReadResult['workers'][0]['steps'];
        if (own.db && budget > 0) {
          const rows = d.usageFiles.opencodeSteps(own.db, worktree, w.since ?? 0, w.steps ?? 0).rows;
          steps = [];
          for (const r of rows) {
            const row = { ...r, timeUpdated: r.timeUpdated ?? 0 };
            budget -= Buffer.byteLength(JSON.stringify(row));
            // Oldest first: the rows past the budget come with the next read (the lead's cursor stays before them).
            if (budget < 0 && steps.length > 0) break;
            steps.push(row);
          }
        }
        workers.push({ id: w.id, chunks, ...(steps?.length ? { steps } : {}) });
      }
      return { workers };
    },
  };
}
