/**
 * Agents that read MCP config only from the project (crush, cursor-agent, kiro) get a file with
 * crewmux's bearer token inside their worktree. Before it is written: the repository must not track that
 * path (crewmux would overwrite the repo's own file, and the change would be committable), and the path is
 * added to info/exclude of the repository's common git dir (worktrees share it), so neither the agent's
 * own `git add -A` nor the snapshot commit picks it up. The snapshot also unstages it by pathspec
 * (app/workers/turns.ts), and the write itself never follows a symlink (adapters/system/agent-files.ts).
 */
import { appendText, readIfExists } from '../../adapters/system/files.js';
import type { Git } from '../ports/git.js';

/** The exclude line for `rel` (a path relative to the worktree root): anchored, so only that path matches. */
export function excludeLine(rel: string): string {
  return `/${rel.replace(/^\/+/, '')}`;
}

/**
 * Refuses (throws an Error naming the file and the fix) when the repository of `worktree` tracks one of
 * `rels`; otherwise adds each to info/exclude. Does nothing for an empty list.
 */
export async function guardProjectFiles(git: Git, worktree: string, agent: string, rels: readonly string[]) {
  if (rels.length === 0) return;
  const tracked = (await git.raw(worktree, ['ls-files', '--', ...rels])).split('\n').filter(Boolean);
  if (tracked.length)
    throw new Error(
      `the repository tracks ${tracked.join(', ')}, where ${agent} reads its MCP config; crewmux would have to overwrite it with a file holding a bearer token, which could then be committed. Use another agent for this repository`,
    );
  const commonDir = await git.raw(worktree, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  for (const rel of rels)
    await git.ensureExcluded(commonDir, excludeLine(rel), { read: readIfExists, append: appendText });
}
