/**
 * The light path of main.ts (src/cli/fast-args.ts): what parseFast accepts for a command, yargs parses to the same
 * values with that command's own builder; what it refuses (help, misuse, anything unusual) is left to yargs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { parseFast } from '../../src/cli/fast-args.js';
import type { CommandEntry } from '../../src/cli/command.js';

/** The handler's arguments when yargs parses `crewmux NAME ...args` with the command's builder, or its error. */
async function viaYargs(entry: CommandEntry, args: string[]): Promise<Record<string, unknown> | Error> {
  const command = await entry.load();
  const name = entry.command.split(' ')[0]!;
  let got: Record<string, unknown> | undefined;
  try {
    await yargs([name, ...args])
      .strict()
      .exitProcess(false)
      .version(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .command(command.command, command.describe, command.builder, (a) => {
        got = a;
      })
      .parseAsync();
  } catch (e) {
    return e as Error;
  }
  // What a handler reads: every option and positional yargs set, without its bookkeeping.
  return Object.fromEntries(Object.entries(got ?? {}).filter(([k, v]) => k !== '_' && k !== '$0' && v !== undefined));
}

const ACCEPTED: string[][] = [
  [],
  ['20261130-abcd'],
  ['--json'],
  ['--all'],
  ['abc', '--json', '--all'],
  ['--json', 'abc'],
  ['--all', '--json', 'abc'],
  ['--explain', 'w01'],
  ['--explain=w01'],
  ['--explain', 'w01', 'abc', '--json'],
  ['123'],
  ['1e3'],
  ['0x1f'],
  ['007'],
  ['--explain', '12'],
  ['--explain', 'true'],
];

const REFUSED: string[][] = [
  ['--help'],
  ['-h'],
  ['--version'],
  ['--json=false'],
  ['--no-json'],
  ['--json', '--json'],
  ['--explain', 'w01', '--explain', 'w02'],
  ['a', 'b'],
  ['--', 'a'],
  ['--explain'],
  ['--explain', '-x'],
  ['--explain', '--json'],
  ['--bogus'],
  ['-j'],
  ['--JSON'],
  ['-'],
  [''],
];

test('every light-path command: what parseFast accepts, yargs parses to the same values with its builder', async () => {
  const fast = COMMANDS.filter((c) => c.fast);
  assert.deepEqual(
    fast.map((c) => c.command),
    ['status [sid]'],
  );
  for (const entry of fast)
    for (const args of ACCEPTED) {
      const light = parseFast(entry.fast!, args);
      assert.ok(light, `parseFast refused ${entry.command} ${args.join(' ')}`);
      assert.deepEqual(light, await viaYargs(entry, args), `${entry.command} ${JSON.stringify(args)}`);
    }
});

test('parseFast leaves help, repeated, negated, unknown and extra arguments to yargs', () => {
  const status = COMMANDS.find((c) => c.command === 'status [sid]')!;
  for (const args of REFUSED) assert.equal(parseFast(status.fast!, args), undefined, JSON.stringify(args));
});
