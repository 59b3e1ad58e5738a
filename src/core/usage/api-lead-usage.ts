/**
 * The API lead's usage file (`usage.jsonl` in its state dir): one JSON line per model call with the tokens
 * the provider reported and a key unique among the lead's calls. Pure; a line that does not parse is skipped.
 */
import { count, type UsageDelta } from './usage.js';

/** The file name in the lead's state dir. */
export const API_LEAD_USAGE_FILE = 'usage.jsonl';

/** The calls in `lines` as usage records (input excludes cache reads, as the lead writes it). */
export function parseApiLeadUsage(lines: readonly string[]): UsageDelta[] {
  const out: UsageDelta[] = [];
  for (const line of lines) {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!v || typeof v !== 'object' || typeof v.key !== 'string' || typeof v.model !== 'string') continue;
    out.push({
      key: v.key,
      model: v.model,
      input: count(v.input),
      output: count(v.output),
      cacheRead: count(v.cacheRead),
      cacheWrite: count(v.cacheWrite),
      reasoning: count(v.reasoning),
      ...(typeof v.ts === 'number' ? { ts: v.ts } : {}),
    });
  }
  return out;
}
