/**
 * `crewmux --help` prints a precomputed text without loading yargs (src/cli/help-text.ts): it must be exactly what
 * yargs prints at that width, so the registry or a global option cannot change without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BIN } from '../helpers/env.js';
import { TOP_HELP } from '../../src/cli/help-text.js';

/** `crewmux ARGS` with stdout `width` columns wide (through yargs when `yargsHelp`). */
function help(width: number, args: string[], yargsHelp: boolean): string {
  const columns = `data:text/javascript,Object.defineProperty(process.stdout,'columns',{value:${width}})`;
  const env: NodeJS.ProcessEnv = { ...process.env, CREWMUX_YARGS_HELP: yargsHelp ? '1' : '' };
  return execFileSync(process.execPath, ['--import', columns, BIN, ...args], { encoding: 'utf8', env });
}

test("the precomputed --help text is yargs' own at each width (else: npm run build && node scripts/help-text.mjs)", () => {
  assert.deepEqual(Object.keys(TOP_HELP), ['100', '110']);
  for (const width of [100, 110])
    assert.equal(TOP_HELP[width], help(width, ['--help'], true), `width ${width}: run node scripts/help-text.mjs`);
});

test('--help, -h, help and bare crewmux print the precomputed text; other widths ask yargs', () => {
  for (const args of [['--help'], ['-h'], ['help'], []]) assert.equal(help(100, args, false), TOP_HELP[100]);
  assert.equal(help(110, ['--help'], false), TOP_HELP[110]);
  const narrow = help(80, ['--help'], false);
  assert.match(narrow, /^crewmux <command>\n/);
  assert.notEqual(narrow, TOP_HELP[100]);
});
