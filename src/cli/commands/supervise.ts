/** `crewmux supervise SID` (internal): the supervisor process, started by `run` inside tmux. */
import type { Command } from '../command.js';
import { runSupervisor } from '../../compose/supervisor.js';

export const superviseCommand: Command = {
  command: 'supervise <sid>',
  describe: false as unknown as string,
  builder: (y) =>
    y
      .positional('sid', { type: 'string', demandOption: true })
      .option('resume', { type: 'boolean', default: false })
      .option('fresh-tmux', { type: 'boolean', default: false }),
  async handler(a, ctx) {
    const code = await runSupervisor(ctx, a.sid as string, {
      resume: Boolean(a.resume),
      freshTmux: Boolean(a.freshTmux),
    });
    // The outcome is recorded: whatever a close left behind (a hook's child, a socket) must not keep
    // this process alive. Unref'd, so a clean shutdown exits at once without it.
    setTimeout(() => process.exit(code), 10_000).unref();
    return code;
  },
};
