/**
 * The crewmux CLI: yargs over a registry of subcommands (src/cli/commands/index.ts), and the one
 * top-level handler that maps errors to exit codes. Nothing exits 0 on failure.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { COMMANDS } from './commands/index.js';
import { createAppContext } from '../compose/app-context.js';
import { ExitError, UserError, EXIT } from '../core/errors.js';
import { processOutput } from './output.js';
import { escapeControls } from '../core/text/terminal-text.js';
import { crewmuxVersion } from '../compose/app-context.js';

async function main(argv: string[]): Promise<number> {
  const out = processOutput();
  // `crewmux --list-sessions` is an alias of `crewmux sessions` (commands/sessions.ts).
  if (argv[0] === '--list-sessions') argv = ['sessions', ...argv.slice(1)];
  let exitCode = 0;
  let y = yargs(argv)
    .scriptName('crewmux')
    .strict()
    .demandCommand(1, 'Name a command; `crewmux --help` lists them.')
    .recommendCommands()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError('E_BAD_FLAG', msg ?? 'bad arguments', 'Run `crewmux --help`.');
    });
  for (const c of COMMANDS) {
    y = y.command(c.command, c.describe, c.builder, async (args) => {
      const ctx = createAppContext(process.env, out);
      try {
        exitCode = await c.handler(args, ctx);
      } finally {
        ctx.close();
      }
    });
  }
  await y.parseAsync();
  return exitCode;
}

function versions(): string {
  let version: string;
  try {
    version = crewmuxVersion();
  } catch {
    version = '(unknown version)';
  }
  return `crewmux ${version}, node ${process.version}, ${process.platform}-${process.arch}`;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(escapeControls(`crewmux: ${err.message} [${err.code}]\n  fix: ${err.hint}`) + '\n');
      process.exitCode = err.exitCode;
    } else if (err instanceof ExitError) {
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(
        escapeControls(`crewmux: internal error (${versions()})\n${err instanceof Error ? err.stack : String(err)}`) +
          '\n',
      );
      process.exitCode = EXIT.failed;
    }
  },
);
