/** `crewmux doctor [--json]`: what a run needs, checked; exit 1 on anything fatal. */
import type { Command } from '../command.js';
import { runDoctor } from '../../app/setup/doctor.js';

export const doctorCommand: Command = {
  command: 'doctor',
  describe: 'Check tmux, git, node, native modules, config files, agents, keys, the summary router, dirs and ports',
  builder: (y) => y.option('json', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const checks = await runDoctor(ctx);
    if (a.json) ctx.out.json(checks);
    else
      for (const c of checks)
        ctx.out.out(`${c.level.padEnd(5)}  ${c.name.padEnd(14)} ${c.detail}${c.fix ? `\n       fix: ${c.fix}` : ''}`);
    return checks.some((c) => c.level === 'fatal') ? 1 : 0;
  },
};
