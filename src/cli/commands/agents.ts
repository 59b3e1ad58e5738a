/** `crewmux agents [--json]`: agents running on this machine (shims, mDNS adverts, tmux panes). */
import { numberOption, type Command } from '../command.js';
import { createExternalAgentDeps, discoverAgents } from '../../app/external/external-agents.js';
import { clip, table } from '../output.js';

export const agentsCommand: Command = {
  command: 'agents',
  describe: 'List agent CLIs running outside crewmux: crewmux-shim agents and agents in tmux panes',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON: {agents, pruned, warnings}' })
      .option('mdns-ms', numberOption('mdns-ms', 'How long to listen for mDNS adverts, in ms', { integer: true }, 500)),
  async handler(args, ctx) {
    const deps = createExternalAgentDeps(ctx, { mdnsBrowseMs: Number(args['mdns-ms']) });
    const r = await discoverAgents(deps);
    if (args.json) {
      ctx.out.json(r);
      return 0;
    }
    for (const w of r.warnings) ctx.out.err(`warning: ${w}`);
    if (r.pruned.length) ctx.out.err(`removed ${r.pruned.length} stale card(s) of exited shims`);
    if (r.agents.length === 0) {
      ctx.out.out('No running agents found. Start one with `crewmux-shim AGENT`, or run an agent CLI in a tmux pane.');
      return 0;
    }
    ctx.out.out(
      table(
        ['ID', 'AGENT', 'VIA', 'PID', 'WHERE', 'SEEN BY'],
        r.agents.map((a) => [
          a.id,
          a.agent,
          a.via,
          String(a.pid),
          clip(a.tmux?.target ?? a.cwd ?? '', 40),
          a.sources.join('+'),
        ]),
      ),
    );
    return 0;
  },
};
