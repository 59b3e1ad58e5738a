/**
 * Codex's session rollout JSONL (`<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-*.jsonl`): a `session_meta` line
 * (the session's cwd), `turn_context` lines (the model) and `event_msg` lines of type `token_count` whose
 * `info.last_token_usage` is one turn's usage. Dedup rule: Codex repeats a token_count when only its rate
 * limits changed, so an event whose `info.total_token_usage` equals the previous one is not a new turn; an
 * event without `info` carries no usage. Codex's input_tokens include the cached ones: input = input - cached.
 * A token_count's `rate_limits` (primary and secondary windows, with `used_percent`) are the plan's quota.
 */
import { parseJsonLine } from './claude-transcript.js';
import { count, type RateLimit, type UsageDelta } from './usage.js';

/** What a rollout reader carries from one batch of lines to the next. */
export interface CodexCursor {
  model: string;
  /** The last total_token_usage seen, as JSON. */
  lastTotal: string;
}

export const NEW_CODEX_CURSOR: CodexCursor = { model: 'unknown', lastTotal: '' };

/** The session's working directory from a rollout's first line, or undefined. */
export function codexRolloutCwd(firstLine: string): string | undefined {
  const e = parseJsonLine(firstLine);
  const p = e?.type === 'session_meta' ? (e.payload as Record<string, unknown> | undefined) : undefined;
  return typeof p?.cwd === 'string' ? p.cwd : undefined;
}

/**
 * The turns in `lines` (`keyBase` plus the line's index make each key; pass the file and the byte offset of the
 * batch so re-reads give the same keys) and the cursor to pass with the next batch.
 */
export function parseCodexRollout(
  lines: readonly string[],
  cursor: CodexCursor,
  keyBase: string,
): { deltas: UsageDelta[]; cursor: CodexCursor; limits: RateLimit[] } {
  let { model, lastTotal } = cursor;
  const deltas: UsageDelta[] = [];
  const limits = new Map<string, RateLimit>();
  lines.forEach((line, i) => {
    const e = parseJsonLine(line);
    const p = e?.payload as Record<string, unknown> | undefined;
    if (!e || !p || typeof p !== 'object') return;
    if (e.type === 'turn_context' && typeof p.model === 'string') model = p.model;
    if (e.type !== 'event_msg' || p.type !== 'token_count') return;
    for (const l of rateLimits(p.rate_limits, e.timestamp)) limits.set(l.window, l);
    const info = p.info as Record<string, unknown> | null | undefined;
    const last = info?.last_token_usage as Record<string, unknown> | undefined;
    if (!info || !last) return;
    const total = JSON.stringify(info.total_token_usage ?? null);
    if (total === lastTotal) return;
    lastTotal = total;
    const cached = count(last.cached_input_tokens);
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    deltas.push({
      key: `${keyBase}:${i}`,
      model,
      input: Math.max(0, count(last.input_tokens) - cached),
      output: count(last.output_tokens),
      cacheRead: cached,
      cacheWrite: 0,
      reasoning: count(last.reasoning_output_tokens),
      ...(Number.isFinite(ts) ? { ts } : {}),
    });
  });
  return { deltas, cursor: { model, lastTotal }, limits: [...limits.values()] };
}

/** The windows of a token_count's `rate_limits` (the latest of a batch wins), resets as epoch ms. */
function rateLimits(v: unknown, timestamp: unknown): RateLimit[] {
  if (!v || typeof v !== 'object') return [];
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  const out: RateLimit[] = [];
  for (const [window, w] of Object.entries(v as Record<string, unknown>)) {
    if (!w || typeof w !== 'object') continue;
    const r = w as Record<string, unknown>;
    if (typeof r.used_percent !== 'number' || !Number.isFinite(r.used_percent)) continue;
    const resetsAt =
      typeof r.resets_at === 'number'
        ? r.resets_at * 1000
        : typeof r.resets_in_seconds === 'number' && Number.isFinite(at)
          ? at + r.resets_in_seconds * 1000
          : undefined;
    out.push({
      window,
      usedPercent: r.used_percent,
      ...(typeof r.window_minutes === 'number' ? { windowMinutes: r.window_minutes } : {}),
      ...(resetsAt !== undefined ? { resetsAt } : {}),
    });
  }
  return out;
}
