/**
 * The lines the API lead prints in its pane: a readable live transcript. A call is folded to one line
 * with its arguments; a result is summarized to its first line and size. Pure; no colours.
 */
import type { ChatCall, ChatUsage } from '../llm/chat.js';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** `→ spawn_worker task="Add a parser" agent="codex"` (each value clipped; the line at most `width`). */
export function foldCall(c: ChatCall, width = 160): string {
  const args = Object.entries(c.args)
    .map(([k, v]) => `${k}=${clip(oneLine(typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? '')), 60)}`)
    .join(' ');
  return clip(`→ ${c.name}${args ? ` ${args}` : ''}`, width);
}

/** `  ← ok: w01 started … (1.2 KB)` or `  ← error: ...`. */
export function summarizeResult(text: string, isError: boolean, width = 160): string {
  const first = oneLine(text.split('\n').find((l) => l.trim()) ?? '(empty)');
  const size =
    text.length > 200
      ? ` (${text.length >= 10_240 ? `${Math.round(text.length / 1024)} KB` : `${text.length} chars`})`
      : '';
  return clip(`  ← ${isError ? 'error' : 'ok'}: ${first}`, width - size.length) + size;
}

/** `[tokens in 1,234 · out 56 · cached 1,000 · $0.0123]` for the run so far (cost omitted when unknown). */
export function usageLine(total: ChatUsage, costUsd: number | undefined): string {
  const f = (n: number) => n.toLocaleString('en-US');
  const cost = costUsd === undefined ? '' : ` · $${costUsd.toFixed(4)}`;
  return `[tokens in ${f(total.input)} · out ${f(total.output)} · cached ${f(total.cacheRead)}${cost}]`;
}
