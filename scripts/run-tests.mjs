#!/usr/bin/env node
// Runs the compiled tests with node's test runner, tier by tier: unit, integration, security, e2e.
// Usage: node scripts/run-tests.mjs [tier...]   (default: all tiers). Build first (npm test does).
// An unknown tier, or a tier with no compiled test files (not built?), is an error: exit 2, nothing run.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const TIERS = ['unit', 'integration', 'security', 'e2e'];
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : TIERS;
const root = new URL('../dist/test/', import.meta.url).pathname;

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return collect(p);
      return name.endsWith('.test.js') ? [p] : [];
    })
    .sort();
}

function usage(message) {
  process.stderr.write(`run-tests: ${message}\n`);
  process.exit(2);
}

const unknown = tiers.filter((t) => !TIERS.includes(t));
if (unknown.length) usage(`unknown tier ${unknown.map((t) => `"${t}"`).join(', ')}; the tiers are ${TIERS.join(', ')}`);
const plan = tiers.map((tier) => ({ tier, files: collect(join(root, tier)) }));
const empty = plan.filter((p) => p.files.length === 0).map((p) => p.tier);
if (empty.length) usage(`no test files for tier ${empty.join(', ')} under ${root} (run \`npm run build\` first)`);

let failed = false;
for (const { tier, files } of plan) {
  process.stdout.write(`\n# tier: ${tier} (${files.length} files)\n`);
  const concurrency = tier === 'unit' ? '4' : '2';
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
    {
      stdio: 'inherit',
      env: { ...process.env, CREWMUX_TEST_TIER: tier },
    },
  );
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
