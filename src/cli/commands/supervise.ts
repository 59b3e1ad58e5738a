/** `crewmux supervise SID` (internal): the supervisor process, started by `run` inside tmux. */
import type { Command } from '../command.js';
import { runSupervisor } from '../../compose/supervisor.js';

export const superviseCommand: Command = {
  command: 'supervise <sid>',
  describe: false as unknown as string,
  builder: (y) => y.positional('sid', { type: 'string', demandOption: true })
    .option('resume', { type: 'boolean', default: false })
    .option('fresh-tmux', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    return runSupervisor(ctx, a.sid as string, { resume: Boolean(a.resume), freshTmux: Boolean(a.freshTmux) });
  },
};
