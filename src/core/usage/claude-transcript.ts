/**
 * Claude Code's transcript JSONL (`<CLAUDE_CONFIG_DIR>/projects/<cwd>/<session>.jsonl`): every assistant
 * line carries `message.usage`. Dedup rules: Claude writes one line per content block of a response, each
 * with the same message id and request id, so a call counts once per `message.id` + `requestId` (the key),
 * with the largest count any of its lines shows (an early block may carry the usage of the stream's start);
 * a resumed session's copied history has the same keys. Sidechain lines (`isSidechain: true`, sub-agent
 * replays) are dropped, and so are synthetic messages (model `<synthetic>`, no call was made).
 */
import { count, type UsageDelta } from './usage.js';

/** The calls in `lines` (one JSON object each; bad lines are skipped), one delta per key (the largest counts). */
export function parseClaudeTranscript(lines: readonly string[]): UsageDelta[] {
  const byKey = new Map<string, UsageDelta>();
  for (const line of lines) {
    const e = parseLine(line);
    if (!e || e.type !== 'assistant' || e.isSidechain === true) continue;
    const m = e.message;
    if (!m || typeof m !== 'object') continue;
    const msg = m as Record<string, unknown>;
    const u = msg.usage as Record<string, unknown> | undefined;
    const model = typeof msg.model === 'string' ? msg.model : 'unknown';
    if (!u || typeof u !== 'object' || model === '<synthetic>') continue;
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const req = typeof e.requestId === 'string' ? e.requestId : '';
    // Without a message id a line cannot be matched to its copies; its uuid keeps re-reads apart.
    const key = id ? `${id}:${req}` : `line:${typeof e.uuid === 'string' ? e.uuid : line}`;
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    const d: UsageDelta = {
      key,
      model,
      input: count(u.input_tokens),
      output: count(u.output_tokens),
      cacheRead: count(u.cache_read_input_tokens),
      cacheWrite: count(u.cache_creation_input_tokens),
      reasoning: 0,
      ...(Number.isFinite(ts) ? { ts } : {}),
    };
    const before = byKey.get(key);
    byKey.set(key, before ? largest(before, d) : d);
  }
  return [...byKey.values()];
}

/** Two copies of one call: each count the larger, the first copy's time. */
export function largest<T extends UsageDelta>(a: T, b: UsageDelta): T {
  return {
    ...a,
    input: Math.max(a.input, b.input),
    output: Math.max(a.output, b.output),
    cacheRead: Math.max(a.cacheRead, b.cacheRead),
    cacheWrite: Math.max(a.cacheWrite, b.cacheWrite),
    reasoning: Math.max(a.reasoning, b.reasoning),
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.trim()) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export { parseLine as parseJsonLine };
