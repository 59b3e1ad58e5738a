/**
 * OpenCode's session storage (1.18: the SQLite database `<XDG_DATA_HOME or ~/.local/share>/opencode/opencode.db`):
 * each model call of a session is a `step-finish` part (table `part`, JSON column `data`) with `tokens: {input,
 * output, reasoning, cache: {read, write}}` and OpenCode's own `cost`; the model is on the part's assistant
 * message (`modelID`). Dedup rule: a call counts once per part id. OpenCode's input excludes the cache, and its
 * output excludes the reasoning tokens, which it bills as output: output = output + reasoning. OpenCode's cost
 * (from its models.dev prices) is kept as the agent's figure, used when crewmux's table has no price; a 0 is
 * not a figure (OpenCode says 0 for a model it has no price for).
 */
import { parseJsonLine } from './claude-transcript.js';
import { count, type UsageDelta } from './usage.js';

/** One `step-finish` part as read from the database: its id, its JSON and its message's JSON. */
export interface OpencodeStepRow {
  id: string;
  data: string;
  message: string;
  timeCreated: number;
  /** When the part was last written (ms; a node mirrors rows by it). */
  timeUpdated?: number;
}

/** The calls in `rows` (rows that are not a step-finish, or not JSON, are skipped), one delta per part id. */
export function parseOpencodeSteps(rows: readonly OpencodeStepRow[]): UsageDelta[] {
  const byKey = new Map<string, UsageDelta>();
  for (const r of rows) {
    const p = parseJsonLine(r.data);
    const t = p?.tokens as Record<string, unknown> | undefined;
    if (!p || p.type !== 'step-finish' || !t || typeof t !== 'object') continue;
    const m = parseJsonLine(r.message);
    const cache = (t.cache ?? {}) as Record<string, unknown>;
    const reasoning = count(t.reasoning);
    const cost = typeof p.cost === 'number' && Number.isFinite(p.cost) && p.cost > 0 ? p.cost : undefined;
    byKey.set(r.id, {
      key: r.id,
      model: typeof m?.modelID === 'string' && m.modelID ? m.modelID : 'unknown',
      input: count(t.input),
      output: count(t.output) + reasoning,
      cacheRead: count(cache.read),
      cacheWrite: count(cache.write),
      reasoning,
      ...(Number.isFinite(r.timeCreated) && r.timeCreated > 0 ? { ts: r.timeCreated } : {}),
      ...(cost !== undefined ? { agentCostUsd: cost } : {}),
    });
  }
  return [...byKey.values()];
}
