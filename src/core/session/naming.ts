/** Names of every crewmux artefact, derived from the session id: one place, so resume and gc agree. */

/** Session ids are 8 lowercase base-36 characters from the given random bytes (>= 8 bytes). */
export function sessionIdFrom(bytes: Uint8Array): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let id = '';
  for (let i = 0; i < 8; i++) id += alphabet[(bytes[i] ?? 0) % 36];
  // A leading letter keeps the id usable everywhere a name must not start with a digit.
  return 's' + id.slice(1);
}

/** Worker ids are w01, w02, ... w99, w100: numbered per session, never reused. */
export function workerId(num: number): string {
  return 'w' + String(num).padStart(2, '0');
}

export function integrationBranch(sid: string): string {
  return `crewmux/${sid}/integration`;
}

export function workerBranch(sid: string, num: number, perspective: string): string {
  return `crewmux/${sid}/${workerId(num)}-${perspective}`;
}

/** The branch of worktree pool entry `k` (app/workers/pool.ts); renamed to a worker's branch when taken. */
export function poolBranch(sid: string, k: number): string {
  return `crewmux/${sid}/pool-${k}`;
}

/** The prefix under which every branch of a session lives (for gc and status). */
export function sessionBranchPrefix(sid: string): string {
  return `crewmux/${sid}/`;
}

export function tmuxSessionName(sid: string): string {
  return `crewmux-${sid}`;
}

/** Overflow windows hold workers past the lead's window: workers-2, workers-3, ... */
export function overflowWindowName(index: number): string {
  return `workers-${index}`;
}

/** A filesystem-safe slug of a repository path, unique per path (name plus a short hash). */
export function repoSlug(repoName: string, hash: string): string {
  const base =
    repoName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'repo';
  return `${base.slice(0, 40)}-${hash.slice(0, 8)}`;
}
