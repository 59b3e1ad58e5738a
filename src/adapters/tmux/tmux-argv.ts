/**
 * Which tmux server a command goes to, as argv: the binary and its `-L` socket and `-f` config flags. A module of its
 * own so that the composition root can answer Tmux.argv and Tmux.socket without loading tmux.ts (and exec,
 * tmux-control) for commands that never run tmux (`crewmux status`).
 */

/** A tmux server: the socket, config file and binary every command to it is run with. */
export interface TmuxServer {
  /** `-L` socket name; undefined uses the user's default server. */
  socket?: string;
  /** `-f` config file; tests pass /dev/null so a user's tmux.conf cannot change behaviour. */
  configFile?: string;
  /** Binary, default `tmux`. */
  binary?: string;
}

/** `[binary, ...flags]` of every command to `server`: e.g. `['tmux', '-L', 'sock', '-f', '/dev/null']`. */
export function tmuxArgvPrefix(server: TmuxServer): [string, ...string[]] {
  return [
    server.binary ?? 'tmux',
    ...(server.socket ? ['-L', server.socket] : []),
    ...(server.configFile ? ['-f', server.configFile] : []),
  ];
}
