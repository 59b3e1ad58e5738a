/** The throwaway repository of `crewmux demo`: a tiny project with one commit and its verify command configured. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTempDir, removeTree, writeFileAtomic } from '../../adapters/system/files.js';
import { repoWorktreesDir, type Paths } from '../session/paths.js';
import type { Git } from '../ports/git.js';

/**
 * Creates a throwaway git repository with one commit (README.md, package.json, .crewmux/config.json naming the
 * verify command) in a new temp dir under `parent`
 * (default the OS temp dir) and returns its path; a git failure rejects.
 */
export async function createDemoRepo(git: Git, parent = tmpdir()): Promise<string> {
  const dir = makeTempDir(parent, 'crewmux-demo-');
  writeFileAtomic(join(dir, 'README.md'), '# crewmux demo\n\nA throwaway repository made by `crewmux demo`.\n', 0o644);
  writeFileAtomic(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'crewmux-demo', private: true, type: 'module' }, null, 2) + '\n',
    0o644,
  );
  // The demo's verify command is configured, so the scripted lead's `verify` runs a configured command.
  writeFileAtomic(
    join(dir, '.crewmux', 'config.json'),
    JSON.stringify({ verify: ['node test/greet.test.js'] }, null, 2) + '\n',
    0o644,
  );
  await git.raw(dir, ['init', '-q', '-b', 'main']);
  await git.raw(dir, ['add', '-A']);
  await git.raw(dir, [...(await git.identityFlags(dir)), 'commit', '-q', '-m', 'demo: initial commit']);
  return dir;
}

/**
 * Removes what `crewmux demo` made for the throwaway repository `repo`: crewmux's worktrees of it (the demo's
 * worker and integration worktrees, under the data dir) and the repository itself. Call it once the session has
 * ended and its supervisor has exited, so nothing is still writing there.
 */
export function removeDemoRepo(paths: Paths, repo: string): void {
  removeTree(repoWorktreesDir(paths, repo));
  removeTree(repo);
}
