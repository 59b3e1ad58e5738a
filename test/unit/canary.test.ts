/** The canary (scripts/canary.mjs) runs only when asked: never from npm test, in CI only with CREWMUX_CANARY=1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = new URL('../../../', import.meta.url).pathname;

test('canary: in CI without CREWMUX_CANARY=1 it exits 0 at once, having installed and run nothing', () => {
  const env: Record<string, string | undefined> = { ...process.env, CI: '1' };
  delete env.CREWMUX_CANARY;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'canary.mjs')], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'canary: skipped in CI (set CREWMUX_CANARY=1 to run it)\n');
});

test('canary: an agent that is not a verified npm agent is refused with the choices', () => {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.CI;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'canary.mjs'), 'aider'], { env, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /aider is not a verified npm agent; choose from claude, codex, gemini, qwen, opencode/);
});

test('canary: npm test never runs it, and .ci/run runs it only when CREWMUX_CANARY=1', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.canary, 'npm run build && node scripts/canary.mjs');
  for (const [name, script] of Object.entries(pkg.scripts))
    if (name !== 'canary') assert.doesNotMatch(script, /canary/, `npm run ${name}`);
  const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
  const lines = ci.split('\n').filter((l) => l.includes('canary') && !l.trim().startsWith('#'));
  assert.deepEqual(lines, ['if [ "${CREWMUX_CANARY:-0}" = 1 ]; then npm run canary; fi']);
});
