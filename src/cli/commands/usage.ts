/** `crewmux usage [sid] [--json]`: what a session's agents used and cost, per worker, agent, model and bucket. */
import { ALL_SESSIONS_OPTION, type Command } from '../command.js';
import { resolveSession } from '../../app/session/lookup.js';
import { sessionUsage, type SessionUsageView } from '../../app/usage/views.js';
import { formatCost, formatTokens, type UsageGroup } from '../../core/usage/summary.js';
import { table } from '../output.js';

const HEAD = ['TOKENS', 'INPUT', 'OUTPUT', 'CACHE R', 'CACHE W', 'CALLS', 'COST'];
const cells = (g: UsageGroup) => [
  formatTokens(g.total),
  formatTokens(g.input),
  formatTokens(g.output),
  formatTokens(g.cacheRead),
  formatTokens(g.cacheWrite),
  String(g.calls),
  formatCost(g) + (g.approximate ? ' ~' : ''),
];

/** The usage view as text: one table per grouping, then totals and the two buckets. */
export function renderUsage(v: SessionUsageView): string {
  const lines = [
    `session ${v.session}  ${v.status}`,
    v.line,
    ...(v.quota ? [v.quota] : []),
    ...(v.budget ? [v.budget.line] : []),
    '',
  ];
  if (v.totals.calls === 0) {
    lines.push(
      'No usage recorded: the agents report it in their own files, read while the session runs (Claude Code and Codex today).',
    );
    return lines.join('\n');
  }
  lines.push(
    table(
      ['WORKER', 'AGENT', ...HEAD],
      Object.entries(v.workers).map(([id, g]) => [id, g.agent, ...cells(g)]),
    ),
    '',
    table(
      ['AGENT', ...HEAD],
      Object.entries(v.agents).map(([a, g]) => [a, ...cells(g)]),
    ),
    '',
    table(
      ['MODEL', ...HEAD],
      Object.entries(v.models).map(([m, g]) => [m, ...cells(g)]),
    ),
    '',
    table(
      ['BUCKET', ...HEAD],
      [
        ['api (billed)', ...cells(v.buckets.api)],
        ['subscription (would cost)', ...cells(v.buckets.subscription)],
        ['total', ...cells(v.totals)],
      ],
    ),
    '',
    `Costs are estimates from the price table of ${v.pricesDate} (config \`prices\` overrides it); an unpriced model is "unknown".`,
  );
  return lines.join('\n');
}

export const usageCommand: Command = {
  command: 'usage [sid]',
  describe: "Show a session's token usage and estimated cost (default: this repository's latest)",
  builder: (y) =>
    y
      .positional('sid', { type: 'string', describe: 'Session id or a unique prefix' })
      .option('all', ALL_SESSIONS_OPTION)
      .option('json', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const s = await resolveSession(ctx, a.sid as string | undefined, Boolean(a.all), 'usage');
    const v = sessionUsage(ctx.store(), s);
    if (a.json) ctx.out.json(v);
    else ctx.out.out(renderUsage(v));
    return 0;
  },
};
