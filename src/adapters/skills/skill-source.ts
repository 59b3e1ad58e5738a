/**
 * Where `crewmux skill add` gets a skill from: a git URL (cloned shallowly with simple-git into a
 * folder the caller owns and removes) or a local folder (read in place).
 */
import { simpleGit } from 'simple-git';
import { UserError } from '../../core/errors.js';

/** Whether `source` names a git remote (`scheme://...` or scp-like `user@host:path`) rather than a local path. */
export function isGitUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[\w.-]+@[\w.-]+:/.test(source);
}

/**
 * `git clone --depth 1 --no-recurse-submodules url dest`; throws E_SKILL_SOURCE with git's message on
 * failure. `timeoutMs` (default 120 000) bounds a stalled transfer. Hooks never run: a clone has none.
 */
export async function cloneSkillRepo(url: string, dest: string, timeoutMs = 120_000): Promise<void> {
  // `ext::` and friends run commands; only the transports people host skills on are allowed.
  if (!/^(https?|ssh|git|file):\/\//i.test(url) && !/^[\w.-]+@[\w.-]+:/.test(url)) {
    throw new UserError(
      'E_SKILL_SOURCE',
      `Unsupported git URL ${url}: use https://, ssh://, git://, file:// or user@host:path.`,
    );
  }
  try {
    await simpleGit({ timeout: { block: timeoutMs } }).clone(url, dest, [
      '--depth',
      '1',
      '--no-recurse-submodules',
      '-q',
    ]);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).trim().split('\n').slice(-3).join(' ');
    throw new UserError('E_SKILL_SOURCE', `git clone ${url} failed: ${msg}`);
  }
}
