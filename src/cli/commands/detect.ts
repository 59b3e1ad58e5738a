/** `crewmux detect [--json] [--timeout MS]`: which agent CLIs are installed, their versions and capabilities, and the summary router's providers. */
import { numberOption, type Command } from '../command.js';
import { table } from '../output.js';
import { detectAgents, type DetectedAgent } from '../../app/agents/detect.js';
import { providerState, routerReport, ROUTER_KEY_HINT, type RouterReport } from '../../app/llm/router-report.js';
import { BUILTIN_AGENTS } from '../../core/agents/registry.js';
import { describeRange } from '../../core/agents/verified.js';
import { UserError } from '../../core/errors.js';

const yes = (b: boolean) => (b ? 'yes' : '-');

/** Plain-text rendering of a detect result. */
export function renderDetect(list: DetectedAgent[]): string {
  const rows = list.map((a) => [
    a.name + (a.scripted ? ' (scripted)' : ''),
    a.found ? (a.path ?? '') : `not found${a.install ? ` (${a.install})` : ''}`,
    a.version ?? (a.found ? `? ${a.probeError ?? ''}`.trim() : ''),
    yes(a.capabilities.mcpClient),
    yes(a.capabilities.interactive),
    yes(a.capabilities.headless),
    yes(a.capabilities.resume),
    a.found ? yes(a.canLead) : '-',
    a.verified ? describeRange(a.verified) : '-',
  ]);
  const found = list.filter((a) => a.found && !a.scripted);
  const leads = found.filter((a) => a.canLead).map((a) => a.name);
  const unsupported = list.filter((a) => a.unsupported).map((a) => `${a.name} is not supported: ${a.unsupported}.`);
  const unverifiable = list
    .filter((a) => a.found && a.unverifiable)
    .map((a) => `${a.name} is not verified by crewmux: ${a.unverifiable}.`);
  const outside = list.flatMap((a) => (a.found && a.versionWarning ? [`Warning: ${a.versionWarning}`] : []));
  return [
    table(['AGENT', 'PATH', 'VERSION', 'MCP', 'TUI', 'HEADLESS', 'RESUME', 'CAN LEAD', 'VERIFIED'], rows),
    '',
    ...unsupported,
    ...unverifiable,
    ...outside,
    `${found.length} agent CLI(s) found; can lead: ${leads.length ? leads.join(', ') : 'none'}.`,
  ].join('\n');
}

/** Plain-text rendering of the router's providers (key env var names only, never keys). */
export function renderRouter(r: RouterReport, now: number): string {
  const rows = r.providers.map((p) => [
    p.name,
    p.hasKey ? p.keyEnv : `(${p.keyEnv} not set)`,
    p.model,
    p.baseUrl,
    providerState(p, now),
  ]);
  const usable = r.providers.filter((p) => p.configured);
  const summary = r.off
    ? 'Router: off (CREWMUX_ROUTER=off); summaries use truncation.'
    : usable.length === 0
      ? `Router: no provider key set; summaries fall back to truncation. Set one of ${ROUTER_KEY_HINT}.`
      : `Router: ${usable.length} provider(s) in fallback order: ${usable.map((p) => p.name).join(', ')}.`;
  return [
    table(['PROVIDER', 'KEY', 'MODEL', 'BASE URL', 'STATE'], rows),
    '',
    summary,
    ...(r.problem ? [`Router: ${r.problem}`] : []),
  ].join('\n');
}

export const detectCommand: Command = {
  command: 'detect',
  describe: "List the agent CLIs crewmux knows (installed, versions, capabilities) and the summary router's providers",
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
      .option(
        'timeout',
        numberOption('timeout', 'Per-probe deadline in milliseconds', { min: 100, unit: 'milliseconds' }, 8000),
      ),
  handler: async (args, ctx) => {
    const timeoutMs = Number(args.timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 100)
      throw new UserError('E_BAD_FLAG', '--timeout must be at least 100 (milliseconds).');
    const [list, router] = await Promise.all([
      detectAgents({ agents: BUILTIN_AGENTS, env: ctx.env, timeoutMs }),
      routerReport(ctx),
    ]);
    if (args.json) ctx.out.json({ agents: list, router });
    else ctx.out.out(`${renderDetect(list)}\n\n${renderRouter(router, ctx.now())}`);
    return 0;
  },
};
