/**
 * One long-lived tmux control-mode client (`tmux -C attach-session`), owned by the supervisor: a tmux command sent
 * over it costs a line on a pipe instead of a tmux client process (about 5 ms on a quiet machine, 60 ms and more on
 * a busy one), which is most of a worker's pane start (issue 15). tmux.ts sends the commands it routes here and
 * runs the one-shot client itself whenever this one cannot carry a command: not started yet, ended (its session
 * killed, the server restarted), or a command it cannot encode on one line.
 *
 * The protocol (tmux(1) "CONTROL MODE"): every command's output comes between `%begin TIME NUM FLAGS` and
 * `%end`/`%error` with the same numbers, FLAGS 1 for the commands this client sent (0: the attach itself);
 * notifications (`%window-add`, `%exit`, ...) are lines outside a block. A command list yields one block per
 * command, and tmux skips the rest of a list after an error, so each request is followed by a line of its own
 * (`display-message -p TOKEN`) whose block closes the request. The client is attached with `ignore-size` (it never
 * sizes a window) and `no-output` (no `%output` of every pane); its tty is empty, so `list-clients`' ttys (who is
 * attached) never include it.
 */
import { execPiped, type ExecResult, type PipedProcess } from '../process/exec.js';
import { redactSecrets } from '../../core/text/redact.js';

/** What became of a request: tmux's answer, or why it has none (`unsent`: never reached tmux, safe to resend). */
export type ControlOutcome = { kind: 'answered'; result: ExecResult } | { kind: 'unsent' } | { kind: 'lost' };

export interface TmuxControl {
  /** Sends one tmux command list (argv per command); never rejects. */
  run(commands: string[][], timeoutMs: number): Promise<ControlOutcome>;
  /** Detaches the client (stdin closed, then SIGTERM, SIGKILL); later requests are `unsent`. */
  close(): Promise<void>;
}

export interface TmuxControlOptions {
  /** The tmux argv prefix (binary, `-L`, `-f`). */
  argv: string[];
  /** The session the client attaches to (any session of the server can be targeted once attached). */
  session: string;
}

/**
 * One tmux word: single-quoted (nothing inside is expanded: no `$`, `~`, `#{}`, `;` or `{`), a `'` as `"'"`;
 * undefined for a word tmux's line-based protocol cannot carry (a newline or another control character but tab).
 */
export function tmuxWord(word: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(word)) return undefined;
  if (/^[A-Za-z0-9_%@=:./,+-]+$/.test(word) && !/^[~#]/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** A tmux command list as one control-mode line (`a ; b`), or undefined when a word cannot be carried. */
export function tmuxLine(commands: string[][]): string | undefined {
  const words = commands.map((c) => c.map(tmuxWord));
  if (words.some((c) => c.some((w) => w === undefined))) return undefined;
  return words.map((c) => c.join(' ')).join(' ; ');
}

interface Request {
  line: string;
  token: string;
  command: string;
  started: number;
  out: string[];
  err: string[] | undefined;
  timer?: NodeJS.Timeout;
  settle(o: ControlOutcome): void;
}

/** Seconds after an attach that failed before another is tried (a session that is gone is not asked every call). */
const RETRY_MS = 1_000;

/** A control client of session `o.session`, started on the first request (and again after it ends). */
export function createTmuxControl(o: TmuxControlOptions): TmuxControl {
  let proc: PipedProcess | undefined;
  let ready = false;
  let closed = false;
  let failedAt = -Infinity;
  let seq = 0;
  /** Written, waiting for their answer, in order. */
  const sent: Request[] = [];
  /** Waiting for the attach to finish. */
  const queued: Request[] = [];
  let block: { num: string; mine: boolean; lines: string[] } | undefined;
  let partial = '';

  const end = (why: 'unsent' | 'lost', p: PipedProcess | undefined) => {
    if (p !== proc) return;
    if (why === 'unsent' || !ready) failedAt = performance.now();
    proc = undefined;
    ready = false;
    block = undefined;
    partial = '';
    for (const r of queued.splice(0)) r.settle({ kind: 'unsent' });
    for (const r of sent.splice(0)) r.settle({ kind: 'lost' });
    void p?.stop(500);
  };

  function onLine(line: string): void {
    const head = /^%(begin|end|error) \d+ (\d+) (\d+)$/.exec(line);
    if (!block) {
      if (head?.[1] === 'begin') block = { num: head[2]!, mine: head[3] === '1', lines: [] };
      else if (line === '%exit' || line.startsWith('%exit ')) end('lost', proc);
      return;
    }
    if (!head || head[1] === 'begin' || head[2] !== block.num) {
      block.lines.push(line);
      return;
    }
    const b = block;
    block = undefined;
    if (!b.mine) {
      // The attach's own block: commands may go now (or never, when it failed).
      if (head[1] === 'end') {
        ready = true;
        for (const r of queued.splice(0)) write(r);
      } else end('unsent', proc);
      return;
    }
    const r = sent[0];
    if (!r) return;
    if (b.lines.length === 1 && b.lines[0] === r.token) {
      sent.shift();
      const failed = r.err !== undefined;
      r.settle({
        kind: 'answered',
        result: {
          command: r.command,
          exitCode: failed ? 1 : 0,
          signal: null,
          stdout: r.out.length ? `${r.out.join('\n')}\n` : '',
          stderr: failed ? `${r.err!.join('\n')}\n` : '',
          timedOut: false,
          durationMs: performance.now() - r.started,
        },
      });
    } else if (head[1] === 'error') r.err = [...(r.err ?? []), ...b.lines];
    else r.out.push(...b.lines);
  }

  function start(): PipedProcess | undefined {
    if (proc) return proc;
    if (closed || performance.now() - failedAt < RETRY_MS) return undefined;
    const [file, ...prefix] = o.argv;
    const p = execPiped(file!, [
      ...prefix,
      '-C',
      'attach-session',
      '-t',
      `=${o.session}`,
      '-f',
      'ignore-size,no-output',
    ]);
    proc = p;
    p.stdout.on('data', (d: string) => {
      if (p !== proc) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine(l.endsWith('\r') ? l.slice(0, -1) : l);
    });
    void p.exited.then((x) => end(x.error || !ready ? 'unsent' : 'lost', p));
    return p;
  }

  function write(r: Request): void {
    sent.push(r);
    proc!.stdin.write(`${r.line}\ndisplay-message -p ${r.token}\n`);
  }

  return {
    run(commands, timeoutMs) {
      const line = tmuxLine(commands);
      if (line === undefined || !start()) return Promise.resolve({ kind: 'unsent' });
      return new Promise<ControlOutcome>((resolve) => {
        const r: Request = {
          line,
          token: `crewmux-control-${process.pid}-${++seq}`,
          command: redactSecrets([...o.argv, ...commands.flatMap((c, i) => (i ? [';', ...c] : c))].join(' ')),
          started: performance.now(),
          out: [],
          err: undefined,
          settle: (x) => {
            clearTimeout(r.timer);
            resolve(x);
          },
        };
        // A server that stops answering: this request timed out, and the client goes (the next one starts afresh).
        r.timer = setTimeout(() => {
          for (const list of [sent, queued]) if (list.includes(r)) list.splice(list.indexOf(r), 1);
          r.settle({
            kind: 'answered',
            result: {
              command: r.command,
              exitCode: null,
              signal: null,
              stdout: '',
              stderr: '',
              timedOut: true,
              durationMs: performance.now() - r.started,
            },
          });
          end('lost', proc);
        }, timeoutMs);
        if (ready) write(r);
        else queued.push(r);
      });
    },
    async close() {
      closed = true;
      const p = proc;
      end('lost', p);
      await p?.exited;
    },
  };
}
