/**
 * GitHub Copilot CLI's session event log (1.0.102: `<COPILOT_HOME or HOME/.copilot>/session-state/<id>/events.jsonl`):
 * its first line, `session.start`, names the session's working directory (`data.context.cwd`); each model call
 * appends a `session.usage_record` whose `data.usage` has `model`, `inputTokens`, `outputTokens`, `cacheReadTokens`
 * and `cacheWriteTokens`. Dedup rule: a call counts once per `accounting.usageId` (else its `apiCallId`, else the
 * line's `id`). inputTokens includes the cached tokens (input = inputTokens - cache read - cache write, as Copilot's
 * own `/usage` splits it). Its `cost` is premium requests, not dollars, so it is not the agent's cost figure.
 */
import { parseJsonLine } from './claude-transcript.js';
import { count, type UsageDelta } from './usage.js';

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The session's working directory from the log's first line (`session.start`), or undefined. */
export function copilotEventsCwd(line: string): string | undefined {
  const e = parseJsonLine(line);
  if (e?.type !== 'session.start') return undefined;
  const cwd = obj(obj(e.data)?.context)?.cwd;
  return typeof cwd === 'string' && cwd ? cwd : undefined;
}

/** The model calls in `lines` (one JSON event each; other events and bad lines are skipped), one delta per call. */
export function parseCopilotEvents(lines: readonly string[]): UsageDelta[] {
  const byKey = new Map<string, UsageDelta>();
  for (const line of lines) {
    const e = parseJsonLine(line);
    if (e?.type !== 'session.usage_record') continue;
    const u = obj(obj(e.data)?.usage);
    if (!u) continue;
    const accounting = obj(u.accounting);
    const key = [accounting?.usageId, u.apiCallId, e.id].find((k): k is string => typeof k === 'string' && k !== '');
    if (!key) continue;
    const cacheRead = count(u.cacheReadTokens);
    const cacheWrite = count(u.cacheWriteTokens);
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    byKey.set(key, {
      key,
      model: typeof u.model === 'string' && u.model ? u.model : 'unknown',
      input: Math.max(0, count(u.inputTokens) - cacheRead - cacheWrite),
      output: count(u.outputTokens),
      cacheRead,
      cacheWrite,
      reasoning: 0,
      ...(Number.isFinite(ts) ? { ts } : {}),
    });
  }
  return [...byKey.values()];
}
