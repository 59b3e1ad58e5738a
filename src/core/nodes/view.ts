/**
 * A node worker's live pane at home (docs/architecture.md "Worker nodes"): the worker's pane in the lead host's tmux
 * session runs a small POSIX shell loop that attaches, over ssh (the node channel's argv builder, with a terminal),
 * to the worker's tmux session on the node, so the user sees the agent's screen and what they type reaches it. When
 * the view drops (the link is cut) the pane says so and attaches again with a backoff; the agent on the node is not
 * touched. When the worker's session on the node is gone, the pane says so and ends. Pure: builds text only.
 */
import { shellJoin, shellQuote } from '../text/shell-quote.js';

/** The tmux socket name of a node user's crewmux workers is this prefix and the user's uid (`tmux -L`). */
export const NODE_TMUX_SOCKET_PREFIX = 'crewmux-node-';

/** The exit status of the remote command when the worker's session does not exist (any more) on the node. */
export const VIEW_SESSION_GONE = 3;

/** The longest pause between two attach attempts, in seconds. */
export const VIEW_MAX_BACKOFF_S = 30;

/** The tmux session of worker `workerId` of session `sid` on its node. */
export function nodeWorkerSession(sid: string, workerId: string): string {
  return `crewmux-${sid}-${workerId}`;
}

/**
 * The command run on the node (as argv for ssh's one quoted string): exit VIEW_SESSION_GONE when the worker's session
 * is not on the node user's crewmux tmux server, else attach to it. `-u`: sshd gives the command no locale, and the
 * agent's screen is UTF-8. A TERM the node has no terminfo for (the lead's tmux sets `tmux-256color`) falls back to
 * `screen`, which every terminfo has.
 */
export function nodeAttachRemote(session: string): string[] {
  const tmux = `tmux -u -L "${NODE_TMUX_SOCKET_PREFIX}$(id -u)"`;
  const script = [
    `${tmux} has-session -t "=$1" 2>/dev/null || exit ${VIEW_SESSION_GONE}`,
    'if command -v infocmp >/dev/null 2>&1 && ! infocmp "$TERM" >/dev/null 2>&1; then TERM=screen; export TERM; fi',
    `exec ${tmux} attach-session -t "=$1"`,
  ].join('; ');
  return ['sh', '-c', script, 'sh', session];
}

export interface NodeViewLoop {
  /** The ssh argv (program first) that runs nodeAttachRemote on the node with a terminal. */
  sshArgv: readonly string[];
  /** The worker's id (for the pane's messages). */
  workerId: string;
  /** The node's name (for the pane's messages). */
  node: string;
  /** Seconds before the first new attempt after a drop (default 1); doubled each time, at most VIEW_MAX_BACKOFF_S. */
  firstBackoffS?: number;
}

/**
 * The shell command of the home pane: attach; on ssh's exit 255 (the link or the connection failed) or another
 * failure, say so and try again after a backoff (1 s, doubling to 30 s; back to the first once a view lasted 30 s);
 * after a plain detach (exit 0), look again at once; when the session is gone (VIEW_SESSION_GONE), say so and end.
 * The messages name only crewmux's own ids: nothing from the agent or the node reaches this shell as code.
 */
export function nodeViewCommand(o: NodeViewLoop): string {
  const first = Math.max(1, Math.round(o.firstBackoffS ?? 1));
  const who = `${o.workerId} on node ${o.node}`;
  const say = (text: string, ...args: string[]) =>
    `printf ${shellQuote(`\\r\\ncrewmux: ${text}\\r\\n`)} ${args.join(' ')}`;
  return [
    `d=${first}`,
    'while :; do',
    't=$(date +%s)',
    `${shellJoin(o.sshArgv)}`,
    's=$?',
    `[ $(( $(date +%s) - t )) -ge ${VIEW_MAX_BACKOFF_S} ] && d=${first}`,
    'case $s in',
    `${VIEW_SESSION_GONE}) ${say(`the session of ${who} has ended; this view is closed.`)}; exit 0;;`,
    `0) d=${first}; sleep 1;;`,
    `255) ${say(`the view of ${who} dropped (the link to the node is down); the worker keeps running there. Attaching again in %ss.`, '"$d"')}; sleep "$d"; d=$((d * 2));;`,
    `*) ${say(`the view of ${who} ended (exit %s); attaching again in %ss.`, '"$s"', '"$d"')}; sleep "$d"; d=$((d * 2));;`,
    'esac',
    `[ "$d" -gt ${VIEW_MAX_BACKOFF_S} ] && d=${VIEW_MAX_BACKOFF_S}`,
    'done',
  ].join('\n');
}
