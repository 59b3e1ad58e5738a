#!/usr/bin/env node
// Runs the compiled tests with node's test runner, tier by tier: unit, integration, e2e.
// Usage: node scripts/run-tests.mjs [tier...]   (default: all tiers). Build first (npm test does).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];
const root = new URL('../dist/test/', import.meta.url).pathname;

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return collect(p);
    return name.endsWith('.test.js') ? [p] : [];
  }).sort();
}

let failed = false;
for (const tier of tiers) {
  const files = collect(join(root, tier));
  if (files.length === 0) continue;
  process.stdout.write(`\n# tier: ${tier} (${files.length} files)\n`);
  const concurrency = tier === 'unit' ? '4' : '2';
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, CREWMUX_TEST_TIER: tier },
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
