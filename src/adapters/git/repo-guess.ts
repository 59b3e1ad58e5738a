/**
 * Git's repository discovery read from the `.git` files, without a git process (Git.repoRootGuess). A module of its
 * own so that `crewmux status`, which needs only this, does not load the git adapter (git.ts, exec, git-refs).
 */
import { lstatSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** Variables with which git may find another repository than the `.git` entries say: repoRootGuess does not guess. */
const DISCOVERY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
];

/** The common dir of the git dir `gitDir`: where its `commondir` file points (a linked worktree's), else itself. */
function commonDirOf(gitDir: string): string {
  try {
    return resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    return gitDir;
  }
}

/**
 * Git's discovery from `cwd` read from the files (Git.repoRootGuess): the first directory upwards with a `.git`
 * directory (a main work tree) or a `.git` file `gitdir: PATH` (a linked worktree, a submodule). Undefined when
 * unsure: `env` has a variable of DISCOVERY_VARIABLES, `cwd` is inside a git dir, a `.git` is a symlink or unreadable.
 */
export function guessRepoRoot(cwd: string, env: NodeJS.ProcessEnv): { root: string; commonDir: string } | undefined {
  if (DISCOVERY_VARIABLES.some((k) => env[k] !== undefined)) return undefined;
  if (cwd.split(sep).includes('.git')) return undefined;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    let stat;
    try {
      stat = lstatSync(dotGit);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) return { root: dir, commonDir: commonDirOf(dotGit) };
    if (stat?.isFile()) {
      let text: string;
      try {
        text = readFileSync(dotGit, 'utf8');
      } catch {
        return undefined;
      }
      const m = /^gitdir: (.+)$/m.exec(text);
      return m ? { root: dir, commonDir: commonDirOf(resolve(dir, m[1]!.trim())) } : undefined;
    }
    if (stat) return undefined;
    if (dirname(dir) === dir) return undefined;
  }
}
