/**
 * tmux, in crewmux's vocabulary (after claude-squad's tmux package). Every call goes through `exec`
 * with an explicit argv; targets are ids (%pane, @window) or `=name` for sessions, because
 * `-t name` does prefix matching and `=name` is exact. No environment is ever passed as `-e K=V`
 * (that is argv, readable by every local user): panes source a 0600 env file instead (app/workers/panes.ts).
 */
import { exec, ExecError, type ExecResult } from '../process/exec.js';
import { createTmuxControl } from './tmux-control.js';
import { tmuxArgvPrefix, type TmuxServer } from './tmux-argv.js';
import type { PanePlace, PaneInfo, ServerPane, SpawnPane, Tmux } from '../../app/ports/tmux.js';

export interface TmuxOptions extends TmuxServer {
  /** Observer of every argv sent, for unit tests and tracing. */
  onCommand?: (argv: string[]) => void;
  /** Milliseconds each tmux command may take before it is killed and counts as failed (default 15 000). */
  timeoutMs?: number;
  /**
   * The supervisor's: a control-mode client attached to this session carries the commands of a worker's start
   * (listPanes, startPane, selectLayout, killPane) without a tmux process each (tmux-control.ts); `close` ends it.
   */
  control?: { session: string };
}

/**
 * How a command may go over the control client: `retry` (it changes nothing, or the same again: when the client ends
 * before answering, the one-shot client asks again) or `once` (it must not run twice: that is an error).
 */
type Via = 'retry' | 'once';

const PANE_FORMAT =
  '#{pane_id}\t#{window_id}\t#{window_name}\t#{pane_index}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{pane_current_command}';

const ALL_PANES_FORMAT =
  '#{session_name}\t#{pane_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_current_path}\t#{window_index}\t#{pane_index}\t#{socket_path}';

/** tmux on the server named by `opts.socket` (default: the user's server); every call has a timeout (default 15 s). */
export function createTmux(opts: TmuxOptions = {}): Tmux {
  const [binary, ...base] = tmuxArgvPrefix(opts);

  const control = opts.control && createTmuxControl({ argv: [binary, ...base], session: opts.control.session });

  async function run(args: string[], reject = true, via?: Via): Promise<ExecResult> {
    const argv = [...base, ...args];
    opts.onCommand?.([binary, ...argv]);
    const timeoutMs = opts.timeoutMs ?? 15_000;
    if (control && via) {
      const chain = args.reduce<string[][]>((cs, a) => (a === ';' ? [...cs, []] : (cs.at(-1)!.push(a), cs)), [[]]);
      const o = await control.run(chain, timeoutMs);
      const lost = o.kind === 'lost' && via === 'once';
      if (o.kind === 'answered' || lost) {
        const r: ExecResult =
          o.kind === 'answered'
            ? o.result
            : {
                command: [binary, ...argv].join(' '),
                exitCode: null,
                signal: null,
                stdout: '',
                stderr: 'the tmux control client ended before tmux answered',
                timedOut: false,
                durationMs: 0,
              };
        if (reject && (r.exitCode !== 0 || r.timedOut)) throw new ExecError(r);
        return r;
      }
    }
    return exec(binary, argv, { timeoutMs, reject });
  }
  // A tmux that did not answer (timed out, killed) has said nothing about what exists.
  const noAnswer = (r: ExecResult) => r.timedOut || r.signal !== null;
  /** True only when tmux answered that the session (or its server) does not exist. */
  async function listClients(session: string): Promise<string[]> {
    // A control-mode client (the supervisor's, tmux-control.ts) has an empty tty: it is nobody attached.
    const r = await run(['list-clients', '-t', `=${session}`, '-F', '#{client_tty}'], false);
    if (r.exitCode !== 0) return [];
    return r.stdout.split('\n').filter(Boolean);
  }

  async function sessionGone(name: string): Promise<boolean> {
    const r = await run(['has-session', '-t', `=${name}`], false);
    return r.exitCode === 1 && !noAnswer(r);
  }
  /** The argv tail that starts `command` in `p.cwd` and prints the new pane's `format` (`-P -F`). */
  function startIn(p: SpawnPane, command = [p.command], format = '#{pane_id}\t#{window_id}'): string[] {
    return ['-c', p.cwd, '-P', '-F', format, ...command];
  }
  const ids = (r: ExecResult) => {
    const [paneId, windowId] = r.stdout.trim().split('\t');
    return { paneId: paneId!, windowId: windowId! };
  };

  return {
    /** The argv prefix (binary and socket flags) for commands run elsewhere, e.g. attach. */
    argv: (args: string[]) => [binary, ...base, ...args],
    socket: opts.socket,

    async version(): Promise<string> {
      const r = await run(['-V']);
      return r.stdout.trim();
    },

    async hasSession(name: string): Promise<boolean> {
      const r = await run(['has-session', '-t', `=${name}`], false);
      if (noAnswer(r)) throw new ExecError(r);
      return r.exitCode === 0;
    },

    /** Creates a detached session whose first window runs `command`; returns its first pane. */
    async newSession(name: string, window: string, p: SpawnPane, size = { width: 200, height: 50 }) {
      const r = await run([
        'new-session',
        '-d',
        '-s',
        name,
        '-n',
        window,
        '-x',
        String(size.width),
        '-y',
        String(size.height),
        ...startIn(p),
      ]);
      return ids(r);
    },

    async newWindow(session: string, window: string, p: SpawnPane, opts2: { detached?: boolean } = {}) {
      const r = await run([
        'new-window',
        ...(opts2.detached === false ? [] : ['-d']),
        '-t',
        `=${session}:`,
        '-n',
        window,
        ...startIn(p),
      ]);
      return ids(r);
    },

    async startPane(at: PanePlace, p: SpawnPane, pipeTo: string) {
      // Without -d the new pane becomes the chain's current target, so the commands after it apply to it;
      // last-pane / last-window then give the focus back. The command runs in /bin/sh, started by tmux itself (more
      // than one word: no default-shell in between), so the pane's start costs one small shell whatever the user's.
      const start = startIn(p, ['/bin/sh', '-c', p.command]);
      const chain =
        'split' in at
          ? [
              ['split-window', '-t', at.split, ...start],
              ['pipe-pane', '-o', pipeTo],
              ['select-layout', 'tiled'],
              ['last-pane'],
            ]
          : [
              ['new-window', '-t', `=${at.session}:`, '-n', at.window, ...start],
              ['set-option', '-w', 'remain-on-exit', 'on'],
              ['pipe-pane', '-o', pipeTo],
              ['last-window'],
            ];
      return ids(
        await run(
          chain.flatMap((c, i) => (i ? [';', ...c] : c)),
          true,
          'once',
        ),
      );
    },

    async parkPane(session: string, window: string, p: SpawnPane) {
      // -d everywhere: a parked pane never takes the focus, and the user's current window stays. The window is found by
      // its exact name (`=name`); when there is none (or no room in it), a new hidden window holds the pane.
      const start = startIn(p, ['/bin/sh', '-c', p.command], '#{pane_id}\t#{window_id}\t#{pane_pid}');
      const target = `=${session}:=${window}`;
      const split = await run(
        ['split-window', '-d', '-t', target, ...start, ';', 'select-layout', '-t', target, 'tiled'],
        false,
        'once',
      );
      const r =
        split.exitCode === 0 && !split.timedOut
          ? split
          : await run(['new-window', '-d', '-t', `=${session}:`, '-n', window, ...start], true, 'once');
      const [paneId, windowId, pid] = r.stdout.trim().split('\t');
      return { paneId: paneId!, windowId: windowId!, pid: Number(pid) };
    },

    async adoptPane(paneId: string, at: PanePlace, pipeTo: string) {
      // One command list, as startPane's: the pipe is set before the pane's command starts (the caller opens its gate
      // after this; '' when the pane is piped already), remain-on-exit is set on the pane itself (it keeps it in any
      // window), and -d keeps the focus.
      const head = [
        ...(pipeTo ? [['pipe-pane', '-t', paneId, '-o', pipeTo]] : []),
        ['set-option', '-p', '-t', paneId, 'remain-on-exit', 'on'],
      ];
      const chain =
        'split' in at
          ? [...head, ['join-pane', '-d', '-s', paneId, '-t', at.split], ['select-layout', '-t', at.split, 'tiled']]
          : [
              ...head,
              // break-pane -P prints nothing when the pane is its window's only one (tmux 3.3 then moves that window
              // itself, renamed), so the ids are asked for after it.
              ['break-pane', '-d', '-s', paneId, '-t', `=${at.session}:`, '-n', at.window],
              ['display-message', '-p', '-t', paneId, '#{pane_id}\t#{window_id}'],
            ];
      const r = await run(
        chain.flatMap((c, i) => (i ? [';', ...c] : c)),
        true,
        'once',
      );
      return 'split' in at ? { paneId, windowId: at.split } : ids(r);
    },

    async sessionEnvironment(session: string): Promise<Map<string, string | undefined>> {
      const r = await run(['show-environment', '-t', `=${session}`], true, 'retry');
      const env = new Map<string, string | undefined>();
      for (const line of r.stdout.split('\n')) {
        const removed = /^-([A-Za-z_][A-Za-z0-9_]*)$/.exec(line);
        const set = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (removed) env.set(removed[1]!, undefined);
        else if (set) env.set(set[1]!, set[2]);
      }
      return env;
    },

    async splitWindow(targetWindowId: string, p: SpawnPane): Promise<string> {
      const r = await run(['split-window', '-d', '-t', targetWindowId, ...startIn(p, [p.command], '#{pane_id}')]);
      return r.stdout.trim();
    },

    /** Replaces the pane's process (killing the old one) with `command`. */
    async respawnPane(paneId: string, p: SpawnPane): Promise<void> {
      await run(['respawn-pane', '-k', '-t', paneId, '-c', p.cwd, p.command]);
    },

    async setWindowOption(windowId: string, name: string, value: string): Promise<void> {
      await run(['set-option', '-w', '-t', windowId, name, value]);
    },

    async setSessionOption(session: string, name: string, value: string): Promise<void> {
      // set-option's -t is a target pane: tmux 3.3 answers "no such session" for `=name`, not for `=name:`.
      await run(['set-option', '-t', `=${session}:`, name, value]);
    },

    /**
     * Streams the pane's output to `shellCommand` (e.g. `cat >> log`); only output from now on. With -o, a pane
     * that already has a pipe gets it closed instead (a toggle); an empty `shellCommand` just closes it. The pipe
     * survives respawn-pane.
     */
    async pipePane(paneId: string, shellCommand: string): Promise<void> {
      await run(['pipe-pane', '-o', '-t', paneId, shellCommand]);
    },

    async selectLayout(windowId: string, layout = 'tiled'): Promise<void> {
      await run(['select-layout', '-t', windowId, layout], false, 'retry');
    },

    async selectWindow(windowId: string): Promise<void> {
      await run(['select-window', '-t', windowId], false);
    },

    /**
     * Every pane of the session, dead ones included (remain-on-exit keeps them); [] only when tmux says the
     * session or its server is gone. A tmux that fails or times out throws: that is not evidence that panes
     * are gone (a slow tmux once made the monitor end a run and mark every worker crashed).
     */
    async listPanes(session: string): Promise<PaneInfo[]> {
      const r = await run(['list-panes', '-s', '-t', `=${session}`, '-F', PANE_FORMAT], false, 'retry');
      // tmux's client exits 0 on SIGTERM: a timed-out listing looks like a clean, empty one.
      if (noAnswer(r)) throw new ExecError(r);
      if (r.exitCode !== 0) {
        if (!(await sessionGone(session))) throw new ExecError(r);
        return [];
      }
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [paneId, windowId, windowName, idx, pid, dead, status, signal, cmd] = line.split('\t');
          return {
            paneId: paneId!,
            windowId: windowId!,
            windowName: windowName!,
            paneIndex: Number(idx),
            pid: Number(pid),
            dead: dead === '1',
            deadStatus: status ? Number(status) : null,
            deadSignal: signal ? Number(signal) : null,
            currentCommand: cmd ?? '',
          };
        });
    },

    /** The pane's visible screen plus `history` lines of scrollback, escapes removed. */
    async capturePane(paneId: string, history = 0): Promise<string> {
      const r = await run(
        ['capture-pane', '-p', '-J', '-t', paneId, ...(history > 0 ? ['-S', String(-history)] : [])],
        false,
      );
      return r.exitCode === 0 ? r.stdout : '';
    },

    /** Loads a file into a named paste buffer (text never passes through a shell). */
    async loadBuffer(name: string, file: string): Promise<void> {
      await run(['load-buffer', '-b', name, file]);
    },

    /** Pastes and deletes a named buffer; `-p` uses bracketed paste when the app asked for it. */
    async pasteBuffer(name: string, paneId: string): Promise<void> {
      await run(['paste-buffer', '-d', '-p', '-b', name, '-t', paneId]);
    },

    /** Sends key names (e.g. `Enter`, `C-c`), not text. */
    async sendKeys(paneId: string, ...keys: string[]): Promise<void> {
      await run(['send-keys', '-t', paneId, ...keys]);
    },

    /** Every pane of every session on this server; [] when no server runs; throws when tmux does not answer. */
    async listAllPanes(): Promise<ServerPane[]> {
      const r = await run(['list-panes', '-a', '-F', ALL_PANES_FORMAT], false);
      if (noAnswer(r)) throw new ExecError(r);
      if (r.exitCode !== 0) return [];
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [session, paneId, pid, dead, cwd, win, idx, socketPath] = line.split('\t');
          return {
            session: session!,
            paneId: paneId!,
            pid: Number(pid),
            dead: dead === '1',
            cwd: cwd ?? '',
            target: `${session}:${win}.${idx}`,
            socketPath: socketPath ?? '',
          };
        });
    },

    /** Sets a named paste buffer to `text` (passed as one argv element, never through a shell). */
    listClients,

    async displayMessage(session: string, text: string): Promise<void> {
      // display-message's text is a format: `##` is a literal `#`, so nothing in it expands.
      const shown = text.replace(/#/g, '##');
      for (const client of await listClients(session))
        await run(['display-message', '-c', client, '-d', '10000', '--', shown], false);
    },

    async setBuffer(name: string, text: string): Promise<void> {
      await run(['set-buffer', '-b', name, '--', text]);
    },

    async killPane(paneId: string): Promise<void> {
      await run(['kill-pane', '-t', paneId], false, 'retry');
    },

    async killSession(name: string): Promise<void> {
      await run(['kill-session', '-t', `=${name}`], false);
    },

    async killServer(): Promise<void> {
      await run(['kill-server'], false);
    },

    async close(): Promise<void> {
      await control?.close();
    },
  };
}
