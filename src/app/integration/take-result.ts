/**
 * `crewmux run --merge`: at the end of a done run, fast-forward the user's current branch to the
 * integration branch, only when that is a fast-forward and the user's tree is clean. Says what it did.
 */
import type { AppServices } from '../services.js';

/**
 * Fast-forwards the user's branch to session `sid`'s integration branch when the run is done, the tree clean and
 * the move a fast-forward; returns the line to print, and a refusal is that line, not an error.
 */
export async function fastForwardToIntegration(ctx: AppServices, sid: string): Promise<string> {
  const s = ctx.store().getSession(sid);
  if (!s) return `--merge: session ${sid} not found`;
  if (s.status !== 'done') return `--merge: not merged, the goal ended ${s.status}`;
  const repo = await ctx.git.repoInfo(s.repo_root);
  if (!repo?.branch) return `--merge: not merged, ${s.repo_root} is not on a branch (detached HEAD)`;
  // Untracked files do not block a fast-forward (git itself refuses one that would overwrite them).
  const dirty = await ctx.git.dirtyPaths(s.repo_root, false);
  if (dirty.length)
    return `--merge: not merged, your working tree has changes (${dirty.slice(0, 3).join(', ')}${dirty.length > 3 ? ', ...' : ''}); run: git merge ${s.integration_branch}`;
  const target = await ctx.git.revParse(s.repo_root, s.integration_branch);
  if (!(await ctx.git.isAncestor(s.repo_root, repo.head!, target))) {
    return `--merge: not merged, ${repo.branch} moved since the run started, so this is not a fast-forward; run: git merge ${s.integration_branch}`;
  }
  if (!(await ctx.git.fastForward(s.repo_root, s.integration_branch)))
    return `--merge: git refused the fast-forward; run: git merge ${s.integration_branch}`;
  ctx
    .store()
    .addEvent(
      sid,
      null,
      'session.merged',
      `${repo.branch} fast-forwarded to ${s.integration_branch} (${target.slice(0, 10)})`,
    );
  return `--merge: ${repo.branch} fast-forwarded to ${s.integration_branch} (${target.slice(0, 10)})`;
}
