/** The shape of one subcommand: a yargs builder plus a handler that gets parsed args and the app context. */
import type { Argv } from 'yargs';
import type { AppContext } from '../compose/app-context.js';

export interface Command {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the process exit code. Throw UserError for user mistakes. */
  handler: (args: Record<string, unknown>, ctx: AppContext) => Promise<number>;
}
