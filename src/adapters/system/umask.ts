/**
 * crewmux's own umask. Its processes run with 0o077, a second line of defence behind the exact modes that
 * files.ts gives every file (a forgotten mode still yields 0600), while the programs it starts (git, tmux,
 * verify commands, the dashboard) get the user's umask back: a `run --merge` checkout in the user's repo,
 * or a tmux server the user keeps using, must not turn their files private. The umask is process-wide
 * state, so the user's is remembered here, once per process.
 */
let userUmask: number | undefined;

/** Sets this process's umask to 0o077 and remembers the one it had (idempotent). */
export function usePrivateUmask(): void {
  const previous = process.umask(0o077);
  userUmask ??= previous;
}

/**
 * Runs `start` (which must start a child synchronously, as spawn() does: the child inherits the umask at
 * fork) under the user's umask, then restores 0o077. Without usePrivateUmask it just runs `start`.
 */
export function withUserUmask<T>(start: () => T): T {
  if (userUmask === undefined) return start();
  const mine = process.umask(userUmask);
  try {
    return start();
  } finally {
    process.umask(mine);
  }
}
