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
