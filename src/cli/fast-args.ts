/**
 * The light path of main.ts: a command whose registry entry has `fast` flags runs without yargs (about 100 ms of
 * start-up) when its argv is plainly well-formed. Anything else (--help, an unknown or repeated flag, `--no-x`,
 * `--x=false`, `--`, one positional too many, a value that starts with `-`) returns undefined and goes through
 * yargs, so help and every error stay yargs' own. test/unit/cli-fast-args.test.ts checks that what this accepts,
 * yargs parses to the same values.
 */
import type { ParseArgsConfig, parseArgs as ParseArgs } from 'node:util';

// Fetched, not imported: an `import` of node:util makes the ESM loader read every export of it, which loads modules
// (internal/mime) that parseArgs does not need, on every start-up of `crewmux status`.
const parseArgs: typeof ParseArgs = process.getBuiltinModule('node:util').parseArgs;

/** The flags a command accepts on the light path; booleans default to false, like the yargs options they mirror. */
export interface FastFlags {
  /** Optional positionals, in order (`status [sid]` -> ['sid']). */
  positionals: string[];
  booleans?: string[];
  strings?: string[];
}

/** `args` (after the command name) as yargs would give them to the handler, or undefined: let yargs parse them. */
export function parseFast(flags: FastFlags, args: string[]): Record<string, unknown> | undefined {
  const booleans = flags.booleans ?? [];
  const strings = flags.strings ?? [];
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const b of booleans) options[b] = { type: 'boolean' };
  for (const s of strings) options[s] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch {
    return undefined;
  }
  const tokens = parsed.tokens ?? [];
  const names = tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  if (new Set(names).size !== names.length) return undefined;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') return undefined;
    if (t.kind === 'option' && (!t.rawName.startsWith('--') || (t.value ?? '').startsWith('-'))) return undefined;
    if (t.kind === 'positional' && (t.value === '' || t.value.startsWith('-'))) return undefined;
  }
  if (parsed.positionals.length > flags.positionals.length) return undefined;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const out: Record<string, unknown> = {};
  flags.positionals.forEach((name, i) => {
    if (parsed.positionals[i] !== undefined) out[name] = parsed.positionals[i];
  });
  for (const b of booleans) out[b] = values[b] ?? false;
  for (const s of strings) if (values[s] !== undefined) out[s] = values[s];
  return out;
}
