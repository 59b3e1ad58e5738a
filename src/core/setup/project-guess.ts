/**
 * `crewmux init`'s guesses from a repository's files: the verify commands for `## How to verify`.
 * Pure: it gets the file names at the top level and package.json's scripts.
 */

export function guessVerifyCommands(
  files: readonly string[],
  packageScripts: Record<string, string> | undefined,
): string[] {
  const has = (f: string) => files.includes(f);
  const out: string[] = [];
  if (packageScripts) {
    const runner = has('pnpm-lock.yaml') ? 'pnpm' : has('yarn.lock') ? 'yarn' : 'npm';
    for (const s of ['build', 'lint', 'typecheck']) if (packageScripts[s]) out.push(`${runner} run ${s}`);
    if (packageScripts.test && !/no test specified/.test(packageScripts.test))
      out.push(runner === 'npm' ? 'npm test' : `${runner} test`);
  }
  if (has('Cargo.toml')) out.push('cargo build', 'cargo test');
  if (has('go.mod')) out.push('go vet ./...', 'go test ./...');
  if (has('pyproject.toml') || has('pytest.ini') || has('setup.py') || has('tox.ini')) out.push('python3 -m pytest -q');
  if (has('Makefile') && !out.length) out.push('make', 'make test');
  return out;
}

/** Lockfiles crewmux knows: the folder their install fills and the command that installs from them exactly. */
export const LOCKFILES: readonly { lock: string; dir: string; install: string }[] = [
  { lock: 'package-lock.json', dir: 'node_modules', install: 'npm ci' },
  { lock: 'npm-shrinkwrap.json', dir: 'node_modules', install: 'npm ci' },
  { lock: 'pnpm-lock.yaml', dir: 'node_modules', install: 'pnpm install --frozen-lockfile' },
  { lock: 'yarn.lock', dir: 'node_modules', install: 'yarn install --frozen-lockfile' },
  { lock: 'bun.lockb', dir: 'node_modules', install: 'bun install --frozen-lockfile' },
  { lock: 'uv.lock', dir: '.venv', install: 'uv sync --frozen' },
  { lock: 'poetry.lock', dir: '.venv', install: 'poetry install' },
  { lock: 'Pipfile.lock', dir: '.venv', install: 'pipenv sync' },
  { lock: 'Gemfile.lock', dir: 'vendor/bundle', install: 'bundle install' },
];

/**
 * `crewmux init`'s guess of a worktree bootstrap (the "worktree" config key): for each known lockfile whose
 * dependency folder is not vendored (`tracked`: folders git tracks), the folder is cloned when the checkout has it
 * (`present`), else its install command becomes a setup step. Empty when nothing is needed.
 */
export function guessWorktreeBootstrap(
  files: readonly string[],
  tracked: readonly string[],
  present: readonly string[],
): { clone?: string[]; setup?: string[] } {
  const clone = new Set<string>();
  const setup = new Set<string>();
  for (const l of LOCKFILES) {
    if (!files.includes(l.lock) || tracked.includes(l.dir)) continue;
    if (present.includes(l.dir)) clone.add(l.dir);
    else setup.add(l.install);
  }
  return { ...(clone.size ? { clone: [...clone] } : {}), ...(setup.size ? { setup: [...setup] } : {}) };
}
