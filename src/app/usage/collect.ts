/**
 * Usage collection: for the lead and every worker, the agent's own usage files (its registry entry's
 * `usage.source`) are read from the byte offset the last pass stopped at, parsed (core/usage/), priced
 * (core/usage/prices.ts, config `prices` first) and added to the `usage` table, deduplicated by key. It runs
 * off the hot paths: the monitor asks for a pass at most every `everyMs` (default 2 s), and the session's
 * ending runs a last one after the agents have stopped. A pass never throws: a failure is an event. A worker of an
 * agent that reports its calls over ACP (`acp.usage`, its workers on ACP) is read from what its ACP pane process
 * recorded (core/acp/usage.ts) instead: the agent's own files may miss calls (Qwen Code's chat recording in ACP mode).
 * A worker on an SSH node is read from the mirror app/nodes/node-usage.ts keeps in its state dir here: the same paths
 * for its state-dir files, `node-usage/<source>/` for its agent's own files (every file there its own).
 */
import { join } from 'node:path';
import type { Runtime } from '../runtime.js';
import { session, workerDir } from '../runtime.js';
import { isNodeWorker, syncNodeUsage } from '../nodes/node-usage.js';
import {
  NODE_PANE_FILE,
  NODE_STEPS_FILE,
  nodeMirrorDir,
  OpencodeStepRowSchema,
} from '../../core/nodes/bootstrap-protocol.js';
import { codexHomeOf, copilotDirOf, geminiDirOf, opencodeDbOf, qwenDirOf } from '../../core/usage/usage-locations.js';
import type { UsageFiles, UsageStore } from '../ports/usage.js';
import type { UsageProfile } from '../../core/agents/profile.js';
import { parseClaudeTranscript } from '../../core/usage/claude-transcript.js';
import { parseClaudeStatusLines } from '../../core/usage/claude-statusline.js';
import { CLAUDE_STATUS_LINE_FILE } from '../../core/agents/profiles/claude.js';
import { rolloutSignals } from '../workers/signals.js';
import { NEW_CODEX_CURSOR, parseCodexRollout, type CodexCursor } from '../../core/usage/codex-rollout.js';
import { API_LEAD_USAGE_FILE, parseApiLeadUsage } from '../../core/usage/api-lead-usage.js';
import { ACP_USAGE_FILE } from '../../core/acp/usage.js';
import { lookupAgent } from '../agents/agent-table.js';
import { parseGeminiChat } from '../../core/usage/gemini-chat.js';
import { parseQwenChat } from '../../core/usage/qwen-chat.js';
import { parseCopilotEvents } from '../../core/usage/copilot-events.js';
import { parsePaneUsage } from '../../core/usage/pane-usage.js';
import { parseOpencodeSteps, type OpencodeStepRow } from '../../core/usage/opencode-steps.js';
import { costOf, priceFor, type ModelPrice } from '../../core/usage/prices.js';
import { usageBucket } from '../../core/usage/buckets.js';
import type { UsageDelta, UsageBucket } from '../../core/usage/usage.js';
import type { UsageRow } from '../../core/usage/summary.js';

/** One agent of the session whose files are read: the lead (`worker` = 'lead') or a worker. */
interface UsageAgent {
  worker: string;
  agent: string;
  stateDir: string;
  cwd: string;
  since: number;
  /**
   * A worker on an SSH node: its agent's own files (under the node user's HOME, or its pane log) are read from the
   * mirror app/nodes/node-usage.ts keeps in `stateDir` (`node-usage/<source>/`), every file there its own.
   */
  onNode?: boolean;
}

export interface UsageCollector {
  /** One pass over every agent now; resolves with the rows added. Never rejects. */
  collect(): Promise<number>;
  /** A pass when the last one is at least `everyMs` old and none is running (the monitor tick calls it). */
  maybeCollect(): void;
}

/**
 * The collector of session `rt`, reading through `files` (adapters/usage/usage-files.ts); `onAdded` runs after each
 * pass that added rows (the budget check), and its failure is a `usage.error` event like the pass's own.
 */
export function createUsageCollector(
  rt: Runtime,
  files: UsageFiles,
  opts: { everyMs?: number; nodeWaitMs?: number; onAdded?: (added: number) => void } = {},
): UsageCollector {
  const everyMs = opts.everyMs ?? 2000;
  let last = -Infinity;
  let running: Promise<number> | undefined;
  const collect = (): Promise<number> => {
    running ??= Promise.resolve()
      // Node workers' usage lines come home first (a node slow to answer holds the pass at most nodeWaitMs).
      .then(() => withinMs(syncNodeUsage(rt), opts.nodeWaitMs ?? 15_000))
      .then(() => collectUsage(rt, files))
      .then((added) => {
        if (added > 0) opts.onAdded?.(added);
        return added;
      })
      .catch((e: unknown) => {
        rt.events.emit('usage.error', `usage collection: ${(e as Error).message}`);
        return 0;
      })
      .finally(() => {
        last = rt.now();
        running = undefined;
      });
    return running;
  };
  return {
    collect,
    maybeCollect() {
      if (!running && rt.now() - last >= everyMs) void collect();
    },
  };
}

/** `p`, or undefined once `ms` have passed without it settling (it runs on; a rejection is dropped). */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
  });
  return Promise.race([p.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

/** One collection pass over the lead and every worker of `rt`'s session; returns the rows added. */
export function collectUsage(rt: Runtime, files: UsageFiles): number {
  const s = session(rt);
  const agents: UsageAgent[] = [
    {
      worker: 'lead',
      agent: s.lead_agent,
      stateDir: join(rt.sessionDir, 'lead'),
      cwd: s.integration_worktree,
      since: s.created_at,
    },
    ...rt.store.listWorkers(rt.sid).map((w) => ({
      worker: w.id,
      agent: w.agent,
      stateDir: workerDir(rt, w.id),
      cwd: w.worktree,
      since: w.created_at,
      ...(isNodeWorker(rt, w) ? { onNode: true } : {}),
    })),
  ];
  const store = rt.store.usage();
  let added = 0;
  for (const a of agents) {
    const profile = lookupAgent(rt.agents, a.agent)?.profile;
    const usage = profile?.usage;
    if (!usage || usage.source === 'none') continue;
    if (a.onNode && profile.acp?.usage === true) {
      // The node sends what its worker recorded: the ACP pane process's record when it ran under one, else the
      // agent's own files (never both), whatever this host's config says of ACP.
      added += collectAcpUsage(rt, store, files, a, usage) + collectAgent(rt, store, files, a, usage);
      continue;
    }
    const overAcp = a.worker !== 'lead' && profile.acp?.workers === true && profile.acp.usage === true;
    added += overAcp ? collectAcpUsage(rt, store, files, a, usage) : collectAgent(rt, store, files, a, usage);
  }
  return added;
}

/** An ACP worker's calls as its pane process recorded them (the API lead's line format), source `protocol`. */
function collectAcpUsage(
  rt: Runtime,
  store: UsageStore,
  files: UsageFiles,
  a: UsageAgent,
  usage: UsageProfile,
): number {
  const file = join(a.stateDir, ACP_USAGE_FILE);
  const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
  const { lines, next } = files.readLines(file, c.offset);
  if (next === c.offset) return 0;
  const bucket = usageBucket(usage.apiKeyEnv, rt.baseEnv);
  const prices = rt.config.prices ?? {};
  const added = store.add(parseApiLeadUsage(lines).map((d) => toRow(rt, a, bucket, prices, d, 'protocol')));
  store.setCursor(rt.sid, a.worker, file, { offset: next, state: '' });
  return added;
}

function collectAgent(rt: Runtime, store: UsageStore, files: UsageFiles, a: UsageAgent, usage: UsageProfile): number {
  const bucket = usageBucket(usage.apiKeyEnv, rt.baseEnv);
  const prices = rt.config.prices ?? {};
  const row = (d: UsageDelta) => toRow(rt, a, bucket, prices, d, usage.source === 'pane' ? 'pane' : 'session-files');
  let added = 0;
  if (usage.source === 'claude-transcript') {
    for (const file of files.claudeTranscripts(join(a.stateDir, 'claude-config'))) {
      const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
      const { lines, next } = files.readLines(file, c.offset);
      if (next === c.offset) continue;
      added += store.add(parseClaudeTranscript(lines).map(row));
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: '' });
    }
    // The status-line records: the plan's rate-limit windows, and Claude's own cost figure (kept in the cursor).
    const status = join(a.stateDir, CLAUDE_STATUS_LINE_FILE);
    const c = store.cursor(rt.sid, a.worker, status) ?? { offset: 0, state: '{}' };
    const { lines, next } = files.readLines(status, c.offset);
    if (next !== c.offset) {
      const parsed = parseClaudeStatusLines(lines);
      const ts = rt.now();
      store.setLimits(
        rt.sid,
        parsed.limits.map((l) => ({ ...l, worker: a.worker, agent: a.agent, ts })),
      );
      const costs = { ...(JSON.parse(c.state || '{}') as Record<string, number>), ...parsed.costs };
      store.setCursor(rt.sid, a.worker, status, { offset: next, state: JSON.stringify(costs) });
    }
  } else if (usage.source === 'api-lead') {
    const file = join(a.stateDir, API_LEAD_USAGE_FILE);
    const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
    const { lines, next } = files.readLines(file, c.offset);
    if (next !== c.offset) {
      added += store.add(parseApiLeadUsage(lines).map(row));
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: '' });
    }
  } else if (usage.source === 'codex-rollout') {
    const known = new Set(store.files(rt.sid, a.worker));
    // A minute's slack: file times come from the kernel's coarse clock, and the cwd match is what counts.
    const found = a.onNode
      ? files.mirrored(join(a.stateDir, nodeMirrorDir('codex-rollout')))
      : files.codexRollouts(codexHomeOf(rt.baseEnv, rt.userHome), a.since - 60_000, a.cwd);
    for (const f of found) known.add(f);
    for (const file of known) {
      const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: JSON.stringify(NEW_CODEX_CURSOR) };
      const { lines, next } = files.readLines(file, c.offset);
      if (next === c.offset) continue;
      const parsed = parseCodexRollout(lines, JSON.parse(c.state) as CodexCursor, `${file}@${c.offset}`);
      // The same lines tell a worker's status (task_started, task_complete): app/workers/signals.ts. A node worker's
      // status comes from its node (which reads its screen), not from the mirror, which lags a pass behind.
      if (a.worker !== 'lead' && !a.onNode) rolloutSignals(rt, a.worker, lines);
      added += store.add(parsed.deltas.map(row));
      const ts = rt.now();
      store.setLimits(
        rt.sid,
        parsed.limits.map((l) => ({ ...l, worker: a.worker, agent: a.agent, ts })),
      );
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: JSON.stringify(parsed.cursor) });
    }
  } else if (usage.source === 'gemini-chat' || usage.source === 'qwen-chat' || usage.source === 'copilot-events') {
    const kind = usage.source;
    const since = a.since - 60_000;
    const known = new Set(store.files(rt.sid, a.worker));
    const found = a.onNode
      ? files.mirrored(join(a.stateDir, nodeMirrorDir(kind)))
      : kind === 'gemini-chat'
        ? files.geminiChats(geminiDirOf(rt.baseEnv, rt.userHome), since, a.cwd)
        : kind === 'qwen-chat'
          ? files.qwenChats(qwenDirOf(rt.baseEnv, rt.userHome), since, a.cwd)
          : files.copilotEvents(copilotDirOf(rt.baseEnv, rt.userHome), since, a.cwd);
    const parse = kind === 'gemini-chat' ? parseGeminiChat : kind === 'qwen-chat' ? parseQwenChat : parseCopilotEvents;
    for (const f of found) known.add(f);
    for (const file of known) {
      const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
      const { lines, next } = files.readLines(file, c.offset);
      if (next === c.offset) continue;
      added += store.add(parse(lines).map(row));
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: '' });
    }
  } else if (usage.source === 'pane' && usage.pane) {
    // The last resort: the agent's own report in its pane log; the cursor's state is the model named last. A node
    // worker's is the mirror of its pane log on the node (what the agent printed, as a local pane log holds it).
    const file = join(a.stateDir, a.onNode ? NODE_PANE_FILE : 'pane.log');
    const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
    const { lines, next } = files.readLines(file, c.offset);
    if (next !== c.offset) {
      const parsed = parsePaneUsage(lines, usage.pane, `${file}@${c.offset}`, c.state || undefined);
      added += store.add(parsed.deltas.map(row));
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: parsed.model ?? '' });
    }
  } else if (usage.source === 'opencode-db' && a.onNode) {
    // The rows the node read from its database, one JSON row per line (app/nodes/node-usage.ts).
    const file = join(a.stateDir, NODE_STEPS_FILE);
    const c = store.cursor(rt.sid, a.worker, file) ?? { offset: 0, state: '' };
    const { lines, next } = files.readLines(file, c.offset);
    if (next !== c.offset) {
      const rows = lines.flatMap((l): OpencodeStepRow[] => {
        try {
          const r = OpencodeStepRowSchema.safeParse(JSON.parse(l));
          return r.success ? [r.data] : [];
        } catch {
          return [];
        }
      });
      added += store.add(parseOpencodeSteps(rows).map(row));
      store.setCursor(rt.sid, a.worker, file, { offset: next, state: '' });
    }
  } else if (usage.source === 'opencode-db') {
    const db = opencodeDbOf(usage, rt.baseEnv, rt.userHome);
    if (!db) return 0;
    // The cursor's offset is the latest part update time read (parts are rewritten while a step streams).
    const c = store.cursor(rt.sid, a.worker, db) ?? { offset: 0, state: '' };
    const { rows, lastUpdated } = files.opencodeSteps(db, a.cwd, a.since - 60_000, c.offset);
    if (rows.length) {
      added += store.add(parseOpencodeSteps(rows).map(row));
      store.setCursor(rt.sid, a.worker, db, { offset: lastUpdated, state: '' });
    }
  }
  return added;
}

function toRow(
  rt: Runtime,
  a: UsageAgent,
  bucket: UsageBucket,
  prices: Record<string, ModelPrice>,
  d: UsageDelta,
  source: 'session-files' | 'protocol' | 'pane',
): UsageRow & { key: string } {
  const fromPane = source === 'pane';
  const cost = costOf(d, priceFor(d.model, prices)) ?? d.agentCostUsd;
  return {
    key: d.key,
    session: rt.sid,
    worker: a.worker,
    agent: a.agent,
    model: d.model,
    input: d.input,
    output: d.output,
    cacheRead: d.cacheRead,
    cacheWrite: d.cacheWrite,
    reasoning: d.reasoning,
    costUsd: cost ?? null,
    bucket,
    source,
    approximate: fromPane,
    ts: d.ts ?? rt.now(),
  };
}
