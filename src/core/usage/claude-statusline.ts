/**
 * Claude Code's status-line records (`claude-statusline.jsonl` in the agent's state dir, written by
 * adapters/usage/claude-statusline.ts from the JSON Claude Code gives its `statusLine` command): per line the
 * session, the model, `cost.total_cost_usd` (Claude's own running figure for its session) and, for
 * subscribers after their first call, `rate_limits: {five_hour, seven_day}` with `used_percentage` and
 * `resets_at` (epoch seconds). The latest line of a batch wins.
 */
import { parseJsonLine } from './claude-transcript.js';
import type { RateLimit } from './usage.js';

const WINDOW_MINUTES: Record<string, number> = { five_hour: 300, seven_day: 7 * 24 * 60 };

/** The latest rate-limit windows in `lines`, and Claude's latest cost figure per Claude session. */
export function parseClaudeStatusLines(lines: readonly string[]): {
  limits: RateLimit[];
  costs: Record<string, number>;
} {
  const limits = new Map<string, RateLimit>();
  const costs: Record<string, number> = {};
  for (const line of lines) {
    const e = parseJsonLine(line);
    if (!e) continue;
    if (typeof e.costUsd === 'number' && Number.isFinite(e.costUsd) && e.costUsd >= 0)
      costs[typeof e.session === 'string' ? e.session : ''] = e.costUsd;
    const rl = e.rateLimits;
    if (!rl || typeof rl !== 'object') continue;
    for (const [window, w] of Object.entries(rl as Record<string, unknown>)) {
      if (!w || typeof w !== 'object') continue;
      const r = w as Record<string, unknown>;
      if (typeof r.used_percentage !== 'number' || !Number.isFinite(r.used_percentage)) continue;
      limits.set(window, {
        window,
        usedPercent: r.used_percentage,
        ...(WINDOW_MINUTES[window] ? { windowMinutes: WINDOW_MINUTES[window] } : {}),
        ...(typeof r.resets_at === 'number' && Number.isFinite(r.resets_at) ? { resetsAt: r.resets_at * 1000 } : {}),
      });
    }
  }
  return { limits: [...limits.values()], costs };
}
