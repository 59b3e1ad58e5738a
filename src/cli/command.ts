/** The shape of one subcommand: a yargs builder plus a handler that gets parsed args and the app context. */
import type { Argv, Options } from 'yargs';
import type { AppContext } from '../compose/app-context.js';
import { ToolError, UserError, type ErrorCode } from '../core/errors.js';
import type { FastFlags } from './fast-args.js';

export interface Command {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  /** Returns the process exit code. Throw UserError for user mistakes. */
  handler: (args: Record<string, unknown>, ctx: AppContext) => Promise<number>;
}

/**
 * One line of the command registry (commands/index.ts): what `crewmux --help` lists, and how to load the
 * module that builds and runs it. The module is imported only when its command runs or shows its help,
 * so `crewmux --help` and `crewmux status` never import the MCP SDK, fastify and the rest.
 * `command` and `describe` must equal the loaded Command's (a unit test checks).
 */
export interface CommandEntry {
  command: string;
  describe: string | false;
  load: () => Promise<Command>;
  /**
   * The command's flags, for the light path (cli/fast-args.ts): a plainly well-formed use runs without loading
   * yargs; help, misuse and anything unusual still go through yargs. Only for commands that start often and
   * must start fast (`status`); the flags must be the builder's (test/unit/cli-fast-args.test.ts compares).
   */
  fast?: FastFlags;
}

export interface NumberFlagRules {
  /** Smallest accepted value (default 0: negatives are refused). */
  min?: number;
  max?: number;
  /** Only whole numbers. */
  integer?: boolean;
  /** Above zero (0 refused too); overrides min. */
  positive?: boolean;
  /** Named in the error, e.g. "seconds". */
  unit?: string;
}

/**
 * A yargs `coerce` for a numeric flag: `abc`, an empty value, a negative (below `min`) or a value above
 * `max` is refused with the flag's name and the accepted range (E_BAD_FLAG), before any handler runs.
 * An absent flag stays undefined.
 */
export function numberFlag(name: string, rules: NumberFlagRules = {}): (v: unknown) => number | undefined {
  const min = rules.min ?? 0;
  return (v) => {
    if (v === undefined) return undefined;
    const raw: unknown = Array.isArray(v) ? (v as unknown[]).at(-1) : v;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    const ok =
      Number.isFinite(n) &&
      (rules.positive ? n > 0 : n >= min) &&
      (rules.max === undefined || n <= rules.max) &&
      (!rules.integer || Number.isInteger(n));
    if (!ok) {
      const kind = rules.integer ? 'a whole number' : 'a number';
      const range = rules.positive
        ? 'above 0'
        : rules.max === undefined
          ? `of at least ${min}`
          : `from ${min} to ${rules.max}`;
      throw new UserError(
        'E_BAD_FLAG',
        `--${name} must be ${kind} ${range}${rules.unit ? ` (${rules.unit})` : ''}; got ${JSON.stringify(typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '')}.`,
        `Run \`crewmux COMMAND --help\` for --${name}.`,
      );
    }
    return n;
  };
}

/**
 * A yargs option for a numeric flag, validated by numberFlag. It has no yargs `type` (which would turn
 * `abc` into NaN before the check) and takes exactly one value, so `--timeout -5` reaches the check as -5.
 */
export function numberOption(name: string, describe: string, rules: NumberFlagRules = {}, dflt?: number): Options {
  return {
    nargs: 1,
    describe,
    coerce: numberFlag(name, rules),
    ...(dflt === undefined ? {} : { default: dflt, defaultDescription: String(dflt) }),
  };
}

/** The `--all` flag of the commands that find "the latest session" (attach, stop, resume, status, usage). */
export const ALL_SESSIONS_OPTION: Options = {
  type: 'boolean',
  default: false,
  describe: 'Without an id: the latest session of any repository, not only of this one',
};

/**
 * The options of the commands that act on one session's items (answer, approve, reject): `--session SID`, `--all`
 * (without --session: any repository's latest) and `--json`.
 */
export function sessionItemOptions(y: Argv): Argv {
  return y
    .option('session', {
      type: 'string',
      describe: "Session id or a unique prefix (default: this repository's latest)",
    })
    .option('all', {
      type: 'boolean',
      default: false,
      describe: 'Without --session: the latest session of any repository, not only of this one',
    })
    .option('json', { type: 'boolean', default: false });
}

/**
 * Runs `fn`, turning a use case's refusal worded for the lead (a ToolError, `Error: ...`) into the user's error
 * `code` with the same words; anything else passes through.
 */
export function asUserError<T>(code: ErrorCode, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ToolError) throw new UserError(code, e.message.replace(/^Error: /, ''));
    throw e;
  }
}
