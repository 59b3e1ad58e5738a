/**
 * Gemini CLI's chat recording (0.61: `<GEMINI_CLI_HOME or HOME>/.gemini/tmp/<project>/chats/session-*.jsonl`):
 * a first line with the session's `projectHash` (sha256 of the project root, the agent's cwd), then one line
 * per message; a model answer (`type: "gemini"`) carries `tokens: {input, output, cached, thoughts, tool}`
 * and `model`, and a `$set` line may carry whole messages again. Dedup rule: a message counts once per `id`
 * with the largest counts any of its copies shows. Gemini's `input` (promptTokenCount) includes the cached
 * tokens, so input = input - cached (+ tool-use prompt tokens); thoughts are billed as output, so output =
 * output + thoughts, with the thoughts also counted as reasoning. The router's classifier call is not recorded.
 */
import { largest, parseJsonLine } from './claude-transcript.js';
import { count, type UsageDelta } from './usage.js';

/** The project hash (sha256 of the session's project root) from a chat file's first line, or undefined. */
export function geminiChatProjectHash(firstLine: string): string | undefined {
  const e = parseJsonLine(firstLine);
  return typeof e?.projectHash === 'string' ? e.projectHash : undefined;
}

/** The model answers in `lines` (one JSON object each; bad lines are skipped), one delta per message id. */
export function parseGeminiChat(lines: readonly string[]): UsageDelta[] {
  const byKey = new Map<string, UsageDelta>();
  const add = (m: unknown) => {
    if (!m || typeof m !== 'object') return;
    const msg = m as Record<string, unknown>;
    const t = msg.tokens as Record<string, unknown> | undefined;
    if (msg.type !== 'gemini' || !t || typeof t !== 'object' || typeof msg.id !== 'string') return;
    const cached = count(t.cached);
    const thoughts = count(t.thoughts);
    const ts = typeof msg.timestamp === 'string' ? Date.parse(msg.timestamp) : NaN;
    const d: UsageDelta = {
      key: msg.id,
      model: typeof msg.model === 'string' && msg.model ? msg.model : 'unknown',
      input: Math.max(0, count(t.input) - cached) + count(t.tool),
      output: count(t.output) + thoughts,
      cacheRead: cached,
      cacheWrite: 0,
      reasoning: thoughts,
      ...(Number.isFinite(ts) ? { ts } : {}),
    };
    const before = byKey.get(d.key);
    byKey.set(d.key, before ? largest(before, d) : d);
  };
  for (const line of lines) {
    const e = parseJsonLine(line);
    if (!e) continue;
    const set = e.$set as Record<string, unknown> | undefined;
    if (set && typeof set === 'object' && Array.isArray(set.messages)) set.messages.forEach(add);
    else add(e);
  }
  return [...byKey.values()];
}
