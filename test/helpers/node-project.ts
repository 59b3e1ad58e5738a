/**
 * A fixture node project that looks real, for worktree bootstrap tests and the bench: package.json whose test script
 * (`node test.js`) requires a module from node_modules and reads .env; node_modules (git-ignored) with `modules`
 * filler files; `.env` and `.env.local` git-ignored and listed in .worktreeinclude.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, type TestEnv } from './env.js';

export const FIXTURE_SECRET = 'API_KEY=fixture-not-a-secret';

/** Creates the project (committed: package.json, test.js, .gitignore, .worktreeinclude) and returns its root. */
export function createNodeProject(t: TestEnv, opts: { modules?: number } = {}): string {
  const repo = createRepo(t, {
    'package.json': JSON.stringify(
      { name: 'fixture-app', version: '1.0.0', scripts: { test: 'node test.js' } },
      null,
      2,
    ),
    'test.js': [
      "const pad = require('left-pad-fixture');",
      "const fs = require('fs');",
      "const env = fs.readFileSync('.env', 'utf8');",
      "if (!env.includes('API_KEY=')) throw new Error('.env has no API_KEY');",
      "console.log('ok', pad('7', 3), 'port', process.env.CREWMUX_PORT || '-');",
      '',
    ].join('\n'),
    '.gitignore': 'node_modules/\n.env\n.env.local\n',
    '.worktreeinclude': '# copied into each worktree when git ignores them\n.env\n.env.local\n',
  });
  const mod = join(repo, 'node_modules', 'left-pad-fixture');
  mkdirSync(mod, { recursive: true });
  writeFileSync(join(mod, 'package.json'), JSON.stringify({ name: 'left-pad-fixture', main: 'index.js' }));
  writeFileSync(join(mod, 'index.js'), "module.exports = (s, n) => String(s).padStart(n, '0');\n");
  const filler = join(repo, 'node_modules', 'filler');
  const n = opts.modules ?? 300;
  for (let i = 0; i < n; i += 100) {
    const d = join(filler, `pkg-${i / 100}`);
    mkdirSync(d, { recursive: true });
    for (let j = i; j < Math.min(n, i + 100); j++)
      writeFileSync(join(d, `m${j}.js`), `module.exports = ${j}; // ${'x'.repeat(200)}\n`);
  }
  writeFileSync(join(repo, '.env'), `${FIXTURE_SECRET}\n`);
  writeFileSync(join(repo, '.env.local'), 'LOCAL_ONLY=1\n');
  return repo;
}
