import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../scripts/run-tests.mjs', import.meta.url));

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 10_000 });

test('run-tests with an unknown tier exits non-zero naming the known tiers (it used to run nothing and exit 0)', () => {
  const r = run(SCRIPT, ['bogus']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown tier "bogus"; the tiers are unit, integration, security, e2e/);
  assert.doesNotMatch(r.stdout, /# tier:/);
});

test('run-tests refuses a known tier with no compiled test files, before running any tier', () => {
  // The script finds tests in ../dist/test/ next to itself: a copy beside an empty unit dir.
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-run-tests-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'dist', 'test', 'unit'), { recursive: true });
    copyFileSync(SCRIPT, join(dir, 'scripts', 'run-tests.mjs'));
    const r = run(join(dir, 'scripts', 'run-tests.mjs'), ['unit']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no test files for tier unit under .*dist\/test\/ \(run `npm run build` first\)/);
    assert.doesNotMatch(r.stdout, /# tier:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
