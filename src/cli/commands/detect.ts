/** `crewmux detect [--json] [--timeout MS]`: which agent CLIs are installed, their versions and capabilities. */
import type { Command } from '../command.js';
import { table } from '../output.js';
import { detectAgents, type DetectedAgent } from '../../app/detect.js';
import { BUILTIN_AGENTS } from '../../core/agents/index.js';
import { UserError } from '../../core/errors.js';

const yes = (b: boolean) => (b ? 'yes' : '-');

/** Plain-text rendering of a detect result. */
export function renderDetect(list: DetectedAgent[]): string {
  const rows = list.map((a) => [
    a.name + (a.scripted ? ' (scripted)' : ''),
    a.found ? (a.path ?? '') : `not found${a.install ? ` (${a.install})` : ''}`,
    a.version ?? (a.found ? `? ${a.probeError ?? ''}`.trim() : ''),
    yes(a.capabilities.mcpClient), yes(a.capabilities.interactive), yes(a.capabilities.headless), yes(a.capabilities.resume),
    a.found ? yes(a.canLead) : '-',
  ]);
  const found = list.filter((a) => a.found && !a.scripted);
  const leads = found.filter((a) => a.canLead).map((a) => a.name);
  return [
    table(['AGENT', 'PATH', 'VERSION', 'MCP', 'TUI', 'HEADLESS', 'RESUME', 'CAN LEAD'], rows),
    '',
    `${found.length} agent CLI(s) found; can lead: ${leads.length ? leads.join(', ') : 'none'}.`,
  ].join('\n');
}

export const detectCommand: Command = {
  command: 'detect',
  describe: 'List the agent CLIs crewmux knows, which are installed, their versions and capabilities',
  builder: (y) => y
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
    .option('timeout', { type: 'number', default: 8000, describe: 'Per-probe deadline in milliseconds' }),
  handler: async (args, ctx) => {
    const timeoutMs = Number(args.timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 100) throw new UserError('E_BAD_FLAG', '--timeout must be at least 100 (milliseconds).');
    const list = await detectAgents({ agents: BUILTIN_AGENTS, env: ctx.env, timeoutMs });
    if (args.json) ctx.out.json({ agents: list });
    else ctx.out.out(renderDetect(list));
    return 0;
  },
};
