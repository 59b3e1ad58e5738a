/**
 * The crewmux CLI: yargs over a registry of subcommands (src/cli/commands/index.ts) whose modules load
 * only when their command runs or shows its help, and the one top-level handler that maps errors to exit
 * codes. Nothing exits 0 on failure. Conventions: bare `crewmux` and `crewmux help [COMMAND]` print help
 * (exit 0); `--version`/`-v` print the version; a command used wrongly prints its own usage, then the error.
 */
import type { Argv } from 'yargs';
import { COMMANDS } from './commands/index.js';
import type { Command, CommandEntry } from './command.js';
import { ExitError, UserError, EXIT } from '../core/errors.js';
import { pipeSafeWriter, processOutput } from './output.js';
import { escapeControls } from '../core/text/terminal-text.js';
import type { Output } from '../app/ports/output.js';

const stderr = pipeSafeWriter(process.stderr);

async function crewmuxVersion(): Promise<string> {
  return (await import('../compose/version.js')).crewmuxVersion();
}

/** `crewmux` -> `crewmux --help`; `crewmux help run` -> `crewmux run --help`; `--list-sessions` -> `sessions`. */
function normalizeArgv(argv: string[]): string[] {
  if (argv.length === 0) return ['--help'];
  if (argv[0] === 'help') {
    const name = argv[1];
    if (name !== undefined && !COMMANDS.some((c) => c.describe !== false && c.command.split(' ')[0] === name))
      throw new UserError('E_BAD_FLAG', `There is no command \`${name}\`.`, 'Run `crewmux help` to list them.');
    return [...argv.slice(1).filter((a) => a !== '--help'), '--help'];
  }
  // `crewmux --list-sessions` is an alias of `crewmux sessions` (commands/sessions.ts).
  if (argv[0] === '--list-sessions') return ['sessions', ...argv.slice(1)];
  return argv;
}

/** yargs' own wording for a missing positional, said as what the command needs. */
function usageMessage(msg: string, entry: CommandEntry | undefined): string {
  if (!entry) return msg;
  const name = entry.command.split(' ')[0]!;
  if (/^Not enough non-option arguments/.test(msg))
    return `\`crewmux ${name}\` is missing an argument: crewmux ${entry.command}`;
  return `crewmux ${name}: ${msg}`;
}

/** Runs a loaded command's handler with its own AppContext, closed afterwards; the handler's exit code. */
async function runHandler(command: Command, args: Record<string, unknown>, out: Output): Promise<number> {
  const { createAppContext } = await import('../compose/app-context.js');
  const ctx = createAppContext(process.env, out);
  try {
    return await command.handler(args, ctx);
  } finally {
    ctx.close();
  }
}

/** The width every help text is wrapped to. */
const helpWidth = (): number => Math.min(110, process.stdout.columns || 100);

async function main(argv: string[]): Promise<number> {
  const out = processOutput();
  argv = normalizeArgv(argv);
  if (argv[0] === '--version' || argv[0] === '-v') {
    out.out(await crewmuxVersion());
    return 0;
  }
  // `crewmux --help` without loading yargs (most of its start-up): the text yargs prints at this width, generated
  // by scripts/help-text.mjs into help-text.ts (a unit test keeps the two equal). Other widths, and
  // CREWMUX_YARGS_HELP=1 (what the generator and the test use), ask yargs.
  // The text is imported only here: every other command would load it for nothing.
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h') && !process.env.CREWMUX_YARGS_HELP) {
    const precomputed = (await import('./help-text.js')).TOP_HELP[helpWidth()];
    if (precomputed) {
      pipeSafeWriter(process.stdout)(precomputed);
      return 0;
    }
  }
  // The light path (fast-args.ts): a plainly well-formed use of a command with `fast` flags runs without yargs;
  // help, misuse and anything unusual fall through to yargs below (and everything does with CREWMUX_YARGS=1, which
  // the tests use to compare the two).
  const light = process.env.CREWMUX_YARGS
    ? undefined
    : COMMANDS.find((c) => c.fast && c.command.split(' ')[0] === argv[0]);
  const lightArgs = light?.fast && (await import('./fast-args.js')).parseFast(light.fast, argv.slice(1));
  if (light && lightArgs) return runHandler(await light.load(), { ...lightArgs, _: [argv[0]] }, out);
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  // The command whose builder ran: its usage is what a misuse prints.
  let current: { entry: CommandEntry; command: Command } | undefined;
  let y = yargs(argv)
    .scriptName('crewmux')
    .strict()
    .demandCommand(1, 'Name a command; `crewmux --help` lists them.')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', global: false, describe: 'Print the version' })
    .wrap(helpWidth())
    .fail((msg, err, inner: Argv) => {
      if (err) throw err;
      if (current) inner.showHelp((s) => stderr(s + '\n\n'));
      const name = current?.entry.command.split(' ')[0];
      throw new UserError(
        'E_BAD_FLAG',
        usageMessage(msg ?? 'bad arguments', current?.entry),
        name ? `See the usage above, or run \`crewmux help ${name}\`.` : 'Run `crewmux --help`.',
      );
    });
  for (const entry of COMMANDS) {
    const describe = entry.describe === false ? (false as unknown as string) : entry.describe;
    y = y.command(
      entry.command,
      describe,
      async (inner) => {
        const command = await entry.load();
        current = { entry, command };
        return command.builder(inner);
      },
      async (args) => {
        exitCode = await runHandler(current?.command ?? (await entry.load()), args, out);
      },
    );
  }
  try {
    await y.parseAsync();
  } catch (e) {
    // yargs rethrows a coerce error (numberFlag's) as a bare YError: it is a flag with a bad value.
    if (e instanceof Error && e.name === 'YError') {
      const name = current?.entry.command.split(' ')[0];
      throw new UserError('E_BAD_FLAG', e.message, name ? `Run \`crewmux help ${name}\`.` : 'Run `crewmux --help`.');
    }
    throw e;
  }
  return exitCode;
}

async function versions(): Promise<string> {
  let version: string;
  try {
    version = await crewmuxVersion();
  } catch {
    version = '(unknown version)';
  }
  return `crewmux ${version}, node ${process.version}, ${process.platform}-${process.arch}`;
}

// yargs' hideBin, for node: the arguments after the script.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    if (err instanceof UserError) {
      stderr(escapeControls(`crewmux: ${err.message} [${err.code}]\n  fix: ${err.hint}`) + '\n');
      process.exitCode = err.exitCode;
    } else if (err instanceof ExitError) {
      process.exitCode = err.exitCode;
    } else {
      stderr(
        escapeControls(
          `crewmux: internal error (${await versions()})\n${err instanceof Error ? err.stack : String(err)}`,
        ) + '\n',
      );
      process.exitCode = EXIT.failed;
    }
  },
);
