/**
 * The last source: an agent's own usage report in its pane text, for an agent with no better one (its registry
 * entry's `usage.pane`). Lines come from the pane log (escapes removed here); a line matching `pane.line` is one
 * report with named groups `input` and `output` (and optionally `cacheRead`, `cacheWrite`), numbers as the agent
 * prints them (`340`, `1.2k`, `12k`, `1.5M`); a line matching `pane.model` (group 1) names the model of the reports
 * after it. Rows are approximate: the agent rounds its counts, and a report can scroll past between two captures.
 * Dedup rule: a report counts once per position in the log (the collector reads each byte once).
 */
import { stripAnsi } from '../text/ansi.js';
import type { PaneUsagePattern } from '../agents/profile.js';
import type { UsageDelta } from './usage.js';

/** A count as an agent prints it (`340`, `1.2k`, `12k`, `1.5M`, `12,345`), or 0. */
export function paneCount(text: string | undefined): number {
  const m = /^([\d,]*\.?\d+)\s*([kKmM]?)$/.exec((text ?? '').trim());
  if (!m) return 0;
  const n = Number(m[1]!.replace(/,/g, ''));
  const scale = { k: 1e3, m: 1e6 }[m[2]!.toLowerCase()] ?? 1;
  return Number.isFinite(n) ? Math.round(n * scale) : 0;
}

/**
 * The reports in `lines` (raw pane log lines) as usage records keyed `<at>#<index>`, with the model named last
 * (`model`: the one named before these lines, carried by the caller between reads).
 */
export function parsePaneUsage(
  lines: readonly string[],
  pattern: PaneUsagePattern,
  at: string,
  model: string | undefined,
): { deltas: UsageDelta[]; model: string | undefined } {
  const line = new RegExp(pattern.line);
  const modelLine = pattern.model ? new RegExp(pattern.model) : undefined;
  const deltas: UsageDelta[] = [];
  lines.forEach((raw, i) => {
    // A terminal line may hold several redraws separated by carriage returns: the last one is what was shown.
    const text = stripAnsi(raw).split('\r').filter(Boolean).at(-1)?.trim() ?? '';
    const named = modelLine?.exec(text)?.[1];
    if (named) model = named;
    const g = line.exec(text)?.groups;
    if (!g) return;
    const cacheRead = paneCount(g.cacheRead);
    const cacheWrite = paneCount(g.cacheWrite);
    const input = paneCount(g.input) - (pattern.inputIncludesCacheWrite ? cacheWrite : 0);
    deltas.push({
      key: `${at}#${i}`,
      model: model ?? 'unknown',
      input: Math.max(0, input),
      output: paneCount(g.output),
      cacheRead,
      cacheWrite,
      reasoning: 0,
    });
  });
  return { deltas, model };
}
