/**
 * The Tmux port: the terminal multiplexer in crewmux's vocabulary (sessions, windows, panes, paste
 * buffers). adapters/tmux/tmux.ts implements it with exact argv on a chosen socket; test/fakes/tmux.ts keeps
 * panes in memory for unit tests.
 */

export interface PaneInfo {
  paneId: string;
  windowId: string;
  windowName: string;
  paneIndex: number;
  pid: number;
  dead: boolean;
  deadStatus: number | null;
  deadSignal: number | null;
  currentCommand: string;
}

/**
 * What a new pane runs. There is deliberately no environment here: tmux's `-e K=V` puts values on its
 * command line, readable by every local user in /proc/PID/cmdline. A pane that needs variables sources a
 * 0600 file first (app/workers/panes.ts `withEnvFile`).
 */
export interface SpawnPane {
  cwd: string;
  /** Shell command line run by tmux's default shell; build it with shellJoin. */
  command: string;
}

/** Where `startPane` opens a pane: a split of a window, or a new window of a session. */
export type PanePlace = { split: string } | { session: string; window: string };

/** A pane as seen by `listAllPanes` (discovery across sessions). */
export interface ServerPane {
  session: string;
  paneId: string;
  pid: number;
  dead: boolean;
  cwd: string;
  /** `session:window.pane`, for people. */
  target: string;
  /** The server's socket path (matches the first field of a client's TMUX variable). */
  socketPath: string;
}

/**
 * The start gate of an agent pane: the pane's shell waits at it until crewmux has set up the pane's log,
 * so no output is missed. adapters/system/files.ts makes it a named pipe (app/workers/panes.ts FIFO_GATE);
 * test/fakes/tmux.ts has one that opens at once.
 */
export interface PaneGate {
  /** Creates the gate at `path`, replacing a stale one. */
  create(path: string): Promise<void>;
  /** Opens the gate once the pane waits at it; throws when the pane never does. */
  open(path: string): Promise<void>;
}

export interface Tmux {
  /** The argv prefix (binary and socket flags) for commands run elsewhere, e.g. attach. */
  argv(args: string[]): string[];
  /** The `-L` socket name, or undefined for the user's default server. */
  socket: string | undefined;
  /** `tmux -V` output, e.g. "tmux 3.3a". */
  version(): Promise<string>;
  /** Whether the session exists; throws when tmux does not answer (timed out, killed). */
  hasSession(name: string): Promise<boolean>;
  /** Creates a detached session whose first window runs `command`; returns its first pane. */
  newSession(
    name: string,
    window: string,
    p: SpawnPane,
    size?: { width: number; height: number },
  ): Promise<{ paneId: string; windowId: string }>;
  newWindow(
    session: string,
    window: string,
    p: SpawnPane,
    opts2?: { detached?: boolean },
  ): Promise<{ paneId: string; windowId: string }>;
  /**
   * Starts `p` in a new pane with its output piped to `pipeTo` (a shell command, e.g. `cat >> log`) and
   * remain-on-exit on, tiled, in ONE tmux invocation (a chained command list): tmux reads a pane's output and
   * reaps its process only between command lists, so the first byte and an instant exit are both kept, with no
   * start gate. `at` splits a window, or opens window `window` in `session`. The focus stays where it was. The
   * command runs in `/bin/sh -c` (not tmux's default-shell).
   */
  startPane(at: PanePlace, p: SpawnPane, pipeTo: string): Promise<{ paneId: string; windowId: string }>;
  /**
   * Starts `p` in a pane parked out of sight: a split of window `window` of `session` (made, detached, when there is
   * none), never taking the focus. Returns its ids and its process id. The command runs in `/bin/sh -c`.
   */
  parkPane(session: string, window: string, p: SpawnPane): Promise<{ paneId: string; windowId: string; pid: number }>;
  /**
   * Moves the existing pane `paneId` where a new pane would go (`at`, as startPane), with its output piped to `pipeTo`
   * ('' : it is piped already) and remain-on-exit on, in ONE tmux invocation; the focus stays where it was.
   */
  adoptPane(paneId: string, at: PanePlace, pipeTo: string): Promise<{ paneId: string; windowId: string }>;
  /**
   * The session's own environment (`show-environment -t`): what tmux puts in a new pane of it over the global
   * environment, as `update-environment` last copied it from an attaching client (DISPLAY, SSH_AUTH_SOCK, ...); a
   * variable tmux removes from new panes maps to undefined. Rejects when tmux does not answer.
   */
  sessionEnvironment(session: string): Promise<Map<string, string | undefined>>;
  /** Splits the window; returns the new pane's id. */
  splitWindow(targetWindowId: string, p: SpawnPane): Promise<string>;
  /** Replaces the pane's process (killing the old one) with `command`. */
  respawnPane(paneId: string, p: SpawnPane): Promise<void>;
  setWindowOption(windowId: string, name: string, value: string): Promise<void>;
  setSessionOption(session: string, name: string, value: string): Promise<void>;
  /**
   * Streams the pane's output to `shellCommand` (e.g. `cat >> log`); only output from now on. A pane that already
   * has a pipe gets it closed instead (tmux `pipe-pane -o` toggles); an empty command just closes it. The pipe
   * survives respawn-pane.
   */
  pipePane(paneId: string, shellCommand: string): Promise<void>;
  selectLayout(windowId: string, layout?: string): Promise<void>;
  selectWindow(windowId: string): Promise<void>;
  /**
   * Every pane of the session, dead ones included (remain-on-exit keeps them); [] when the session or its
   * server is gone. Throws when tmux fails or times out: that is never evidence that panes are gone.
   */
  listPanes(session: string): Promise<PaneInfo[]>;
  /** The pane's visible screen plus `history` lines of scrollback, escapes removed. */
  capturePane(paneId: string, history?: number): Promise<string>;
  /** Loads a file into a named paste buffer (text never passes through a shell). */
  loadBuffer(name: string, file: string): Promise<void>;
  /** Pastes and deletes a named buffer; `-p` uses bracketed paste when the app asked for it. */
  pasteBuffer(name: string, paneId: string): Promise<void>;
  /** Sends key names (e.g. `Enter`, `C-c`), not text. */
  sendKeys(paneId: string, ...keys: string[]): Promise<void>;
  /** Every pane of every session on this server; [] when no server runs; throws when tmux does not answer. */
  listAllPanes(): Promise<ServerPane[]>;
  /** Sets a named paste buffer to `text` (passed as one argv element, never through a shell). */
  setBuffer(name: string, text: string): Promise<void>;
  /** The tty of every client attached to the session ([] when none is, or the session is gone). */
  listClients(session: string): Promise<string[]>;
  /**
   * Shows `text` in the status line of every client attached to the session, for a few seconds. The text is
   * shown as is: `#` is doubled so tmux expands no format in it.
   */
  displayMessage(session: string, text: string): Promise<void>;
  killPane(paneId: string): Promise<void>;
  killSession(name: string): Promise<void>;
  killServer(): Promise<void>;
  /** Ends what the adapter keeps open (the supervisor's control-mode client); later calls still work. */
  close?(): Promise<void>;
}

/**
 * How the user's terminal was shown a session (adapters/system/terminal.ts): `attached` (a tmux client ran on this
 * terminal until it detached or the session ended), `switched` (inside tmux: the user's client was switched to
 * the session) or `window` (inside tmux, crewmux's server being another: a new window of the user's session
 * attached to it). The last two return at once, with a `note` to print once.
 */
export interface AttachResult {
  mode: 'attached' | 'switched' | 'window';
  /** tmux's exit status (0 on success). */
  code: number;
  note?: string;
}
