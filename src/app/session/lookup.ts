/** Finding a session by id, id prefix, or "the latest" (of the current repository, or of any with --all). */
import { dirname } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { SessionRow } from '../../core/session/rows.js';
import type { Git } from '../ports/git.js';
import type { Store } from '../ports/store.js';

/**
 * The session with id `sid`, else the only one whose id starts with `sid`, else (no `sid`) the latest; UserError
 * E_NO_SESSIONS or E_SESSION_NOT_FOUND (also for an ambiguous prefix) otherwise.
 */
export function findSession(store: Store, sid?: string): SessionRow {
  if (!sid) {
    const latest = store.listSessions()[0];
    if (!latest) throw new UserError('E_NO_SESSIONS');
    return latest;
  }
  const exact = store.getSession(sid);
  if (exact) return exact;
  const ids = store.findSessionIds(sid);
  if (ids.length === 1) return store.getSession(ids[0]!)!;
  throw new UserError(
    'E_SESSION_NOT_FOUND',
    ids.length ? `Session id "${sid}" is ambiguous: ${ids.join(', ')}.` : `No session "${sid}".`,
  );
}

/**
 * The repository roots `cwd` belongs to: its work tree's root and, for a linked worktree (a crewmux worker's or
 * integration worktree included), the main work tree's root; undefined outside a git repository.
 */
export async function repoRootsOf(git: Git, cwd: string): Promise<string[] | undefined> {
  const info = await git.repoRoot(cwd).catch(() => undefined);
  return info && rootsOf(info);
}

const rootsOf = (info: { root: string; commonDir: string }) => [...new Set([info.root, dirname(info.commonDir)])];

/**
 * The session `status`, `attach`, `stop` and `resume` act on: `sid` (an id or unique prefix, of any repository);
 * else with `all` the latest of any repository; else the latest of the repository `cwd` is in. UserError
 * E_NOT_GIT_REPO outside a repository (the hint names --all and an id), E_NO_SESSIONS when the repository has
 * none (the hint names the sessions of other repositories). The repository is read from its `.git` files when they
 * name a session's (Git.repoRootGuess: no git process, most of a `crewmux status` start-up), else asked of git.
 */
export async function resolveSession(
  ctx: { store(): Store; git: Git; cwd: string },
  sid: string | undefined,
  all: boolean,
  command: string,
): Promise<SessionRow> {
  const store = ctx.store();
  if (sid || all) return findSession(store, sid);
  const guess = ctx.git.repoRootGuess(ctx.cwd);
  if (guess) {
    const guessed = rootsOf(guess);
    const known = store.listSessions().find((s) => guessed.includes(s.repo_root));
    if (known) return known;
  }
  const roots = await repoRootsOf(ctx.git, ctx.cwd);
  if (!roots)
    throw new UserError(
      'E_NOT_GIT_REPO',
      `${ctx.cwd} is not in a git repository, so there is no "latest session of this repository".`,
      `Run \`crewmux ${command} --all\` for the latest session of any repository, or name one: \`crewmux ${command} SID\` (ids: \`crewmux sessions\`).`,
    );
  const sessions = store.listSessions();
  const mine = sessions.find((s) => roots.includes(s.repo_root));
  if (mine) return mine;
  if (!sessions.length) throw new UserError('E_NO_SESSIONS');
  throw new UserError(
    'E_NO_SESSIONS',
    `No crewmux session of this repository (${roots[0]}); ${sessions.length} of other repositories.`,
    `Run \`crewmux ${command} --all\` for the latest of any repository, or see them with \`crewmux sessions\`.`,
  );
}
