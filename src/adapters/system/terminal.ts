/**
 * Attaching the user's terminal to a session. Outside tmux: `tmux attach-session`, blocking until the user
 * detaches or the session ends. Inside tmux ($TMUX set) a tmux client is never nested in the user's pane:
 * - crewmux's session is on the user's own server (crewmux's tmux has no -L, so tmux itself picks $TMUX's server;
 *   or CREWMUX_TMUX_SOCKET names that same server): `switch-client` moves the user's client to it, and
 *   `detach-on-destroy off` on crewmux's session sends the client back to the user's last session when the run
 *   ends, instead of detaching it from tmux altogether;
 * - crewmux's session is on another server (CREWMUX_TMUX_SOCKET names another socket): switch-client cannot
 *   reach it, so a new window of the user's session runs `tmux -L <socket> attach-session` (a nested client,
 *   but in its own window, and said so: both tmux use the same prefix key).
 */
import { exec, execAttached } from '../process/exec.js';
import { shellJoin } from '../../core/text/shell-quote.js';
import type { AttachResult, Tmux } from '../../app/ports/tmux.js';

/** The user's tmux server socket path: the first field of $TMUX (`path,pid,session`), undefined outside tmux. */
export function userTmuxSocket(env: NodeJS.ProcessEnv): string | undefined {
  const path = env.TMUX?.split(',')[0];
  return path ? path : undefined;
}

/** Name of the window opened in the user's session when crewmux's server is another one. */
export const attachWindowName = (session: string) => `crewmux:${session}`;

/**
 * The argv that shows `session` to the user: `attach-session` outside tmux (`userSocket` undefined),
 * `switch-client` when `sameServer`, else `new-window` on the user's server (plain `tmux`, which follows $TMUX)
 * running crewmux's `tmux -L <socket> attach-session` without $TMUX.
 */
export function attachArgv(
  tmux: Pick<Tmux, 'argv'>,
  session: string,
  where: { userSocket: string | undefined; sameServer: boolean; binary?: string },
): string[] {
  if (!where.userSocket) return tmux.argv(['attach-session', '-t', `=${session}`]);
  if (where.sameServer) return tmux.argv(['switch-client', '-t', `=${session}`]);
  const inner = ['env', '-u', 'TMUX', ...tmux.argv(['attach-session', '-t', `=${session}`])];
  return [where.binary ?? 'tmux', 'new-window', '-n', attachWindowName(session), shellJoin(inner)];
}

/** The socket path of the server `tmux` talks to (asked of the server holding `session`); undefined if it fails. */
async function serverSocket(tmux: Tmux, session: string): Promise<string | undefined> {
  const argv = tmux.argv(['display-message', '-p', '-t', `=${session}`, '#{socket_path}']);
  const r = await exec(argv[0]!, argv.slice(1), { reject: false, timeoutMs: 15_000 });
  return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
}

/**
 * Shows tmux session `session` to the user (see the file comment): outside tmux blocks until the user detaches
 * or the session ends; inside tmux switches the client or opens a window and returns at once with a note.
 */
export async function attachTerminal(tmux: Tmux, session: string, env: NodeJS.ProcessEnv): Promise<AttachResult> {
  const userSocket = userTmuxSocket(env);
  if (!userSocket) {
    const argv = attachArgv(tmux, session, { userSocket, sameServer: false });
    return { mode: 'attached', code: execAttached(argv[0]!, argv.slice(1)) };
  }
  // Without -L, tmux talks to $TMUX's server: crewmux's sessions are then on the user's own server.
  const sameServer = !tmux.socket || (await serverSocket(tmux, session)) === userSocket;
  const argv = attachArgv(tmux, session, { userSocket, sameServer });
  if (sameServer) {
    // Killing the session at the end of the run would otherwise detach the user's client from tmux.
    await tmux.setSessionOption(session, 'detach-on-destroy', 'off').catch(() => undefined);
    const r = await exec(argv[0]!, argv.slice(1), { reject: false, timeoutMs: 15_000 });
    return {
      mode: 'switched',
      code: r.exitCode ?? 1,
      note:
        r.exitCode === 0
          ? `you are inside tmux, so this tmux client was switched to crewmux's session ${session} instead of nesting one; back to your session: prefix then L (or \`tmux switch-client -l\`).`
          : `could not switch this tmux client to crewmux's session ${session}: ${r.stderr.trim()}`,
    };
  }
  const r = await exec(argv[0]!, argv.slice(1), { reject: false, timeoutMs: 15_000 });
  return {
    mode: 'window',
    code: r.exitCode ?? 1,
    note:
      r.exitCode === 0
        ? `you are inside tmux, and crewmux's session ${session} is on its own tmux server (${tmux.socket}), which switch-client cannot reach: it opened in a new window of your session, "${attachWindowName(session)}". That window holds a second tmux client with the same prefix key: press the prefix twice to reach crewmux's tmux (prefix prefix d detaches it and closes the window).`
        : `could not open a window for crewmux's session ${session}: ${r.stderr.trim()}`,
  };
}
