/**
 * Qwen Code's chat recording (0.24: `<QWEN_HOME or HOME/.qwen>/projects/<cwd, sanitized>/chats/<session>.jsonl`):
 * every line carries the session's `cwd`; a model answer (`type: "assistant"`) carries `model` and the Gemini-
 * style `usageMetadata` of its call. Dedup rule: a line counts once per `uuid`. promptTokenCount includes the
 * cached tokens (input = prompt - cached); thoughts are output too (output = candidates + thoughts, reasoning =
 * thoughts). Calls of Qwen's own background helpers (memory extraction, follow-up suggestions) appear only as
 * `ui_telemetry` lines and are not counted: they are not the agent's turns.
 */
import { parseJsonLine } from './claude-transcript.js';
import { count, type UsageDelta } from './usage.js';

/** The session's working directory from a chat line, or undefined. */
export function qwenChatCwd(line: string): string | undefined {
  const e = parseJsonLine(line);
  return typeof e?.cwd === 'string' ? e.cwd : undefined;
}

/** The model answers in `lines` (one JSON object each; bad lines are skipped), one delta per uuid. */
export function parseQwenChat(lines: readonly string[]): UsageDelta[] {
  const byKey = new Map<string, UsageDelta>();
  for (const line of lines) {
    const e = parseJsonLine(line);
    const u = e?.usageMetadata as Record<string, unknown> | undefined;
    if (!e || e.type !== 'assistant' || !u || typeof u !== 'object' || typeof e.uuid !== 'string') continue;
    const cached = count(u.cachedContentTokenCount);
    const thoughts = count(u.thoughtsTokenCount);
    const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
    byKey.set(e.uuid, {
      key: e.uuid,
      model: typeof e.model === 'string' && e.model ? e.model : 'unknown',
      input: Math.max(0, count(u.promptTokenCount) - cached),
      output: count(u.candidatesTokenCount) + thoughts,
      cacheRead: cached,
      cacheWrite: 0,
      reasoning: thoughts,
      ...(Number.isFinite(ts) ? { ts } : {}),
    });
  }
  return [...byKey.values()];
}
