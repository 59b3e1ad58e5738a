/**
 * The one place crewmux builds an ssh command line (docs/architecture.md "Worker nodes", docs/security.md "SSH
 * nodes"). Every argv is `<ssh> <fixed options> <CREWMUX_SSH_COMMAND's own words> <defaults> [-p PORT]
 * [user@]host -- <remote command>`:
 * - the ssh program and its first words come from CREWMUX_SSH_COMMAND (split without a shell,
 *   core/nodes/ssh-words.ts), default `ssh`; the user's ~/.ssh/config applies as usual;
 * - fixed (ssh keeps the first value it gets for an option, so these come before the user's words and cannot
 *   be overridden): BatchMode (never a prompt), StrictHostKeyChecking=yes (an unknown or changed host key is
 *   refused, never added), connection sharing on a control socket under crewmux's runtime dir (0700),
 *   ClearAllForwardings (no forward from a config file opens a port), -a (no agent forwarding), -x (no X11);
 * - defaults the user's words may override: ControlPersist, ConnectTimeout, ServerAlive*.
 * The remote command is shell-quoted word by word: sshd hands it to the node user's shell as one string.
 * A host starting with `-` is refused here too (E_NODE_BAD_HOST), whatever the caller checked.
 */
import { connect } from 'node:net';
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../system/files.js';
import { exec, ExecError, type ExecResult } from '../process/exec.js';
import { UserError } from '../../core/errors.js';
import { splitWords } from '../../core/nodes/ssh-words.js';
import { hostProblem, type NodeTarget } from '../../core/nodes/target.js';
import { shellJoin } from '../../core/text/shell-quote.js';

/** What the ssh adapter is built from; only the composition root reads the environment. */
export interface SshConfig {
  /** CREWMUX_SSH_COMMAND as set (undefined or blank: `ssh`). */
  command?: string;
  /** crewmux's runtime dir; control sockets go in `<runtimeDir>/ssh/`. */
  runtimeDir: string;
  /** Seconds an idle shared connection stays up (ControlPersist, default 60). */
  persistSeconds?: number;
  /** Seconds to wait for a TCP connection and the banner (ConnectTimeout, default 15). */
  connectTimeoutSeconds?: number;
}

export type SshControlOp = 'check' | 'exit' | 'forward' | 'cancel';

export interface Ssh {
  /** The ssh program and CREWMUX_SSH_COMMAND's other words. */
  readonly base: readonly string[];
  /** `<runtimeDir>/ssh`: the control sockets (0700). */
  readonly controlDir: string;
  /** The argv (program first) running `remote` on `target`; `tty` asks for a terminal (-t), else -T. */
  argv(target: NodeTarget, remote: readonly string[], o?: { tty?: boolean }): string[];
  /** The argv of `ssh -O op` on `target`'s shared connection; `forward`/`cancel` take an `-R` spec. */
  controlArgv(target: NodeTarget, op: SshControlOp, remoteForward?: string): string[];
  /**
   * The command for GIT_SSH_COMMAND (git appends host and command, and `-p` for a port): the same program,
   * options and control socket, shell-quoted. Empty words and quotes survive git's `sh -c`.
   */
  gitSshCommand(): string;
  /** Creates the control dir (0700), checks the socket path fits, and removes stale sockets. */
  prepare(): Promise<void>;
  /** Removes control sockets nobody listens on (a master that died); returns the removed paths. */
  cleanStale(): Promise<string[]>;
  /** Runs `remote` on `target` and collects its output (never rejects on a failed exit; ENOENT does reject). */
  run(
    target: NodeTarget,
    remote: readonly string[],
    o?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<ExecResult>;
  /** Runs `ssh -O op` on `target`'s shared connection. */
  control(target: NodeTarget, op: SshControlOp, remoteForward?: string): Promise<ExecResult>;
  /**
   * Gives the node a loopback port relayed to `to` on this host: a loopback port number, or the path of a Unix
   * socket (`ssh -O forward -R 127.0.0.1:NODEPORT:127.0.0.1:PORT`, or `...:NODEPORT:/path`, on the shared
   * connection, started first when there is none): how a node worker reaches the lead's MCP server without any port
   * opened on either host. `nodePort` 0 (the default) lets the node's sshd pick one; another asks for that port (a
   * forward made again after the connection was lost). Resolves with the node's port; rejects with the ssh error.
   */
  forwardRemote(target: NodeTarget, to: number | string, nodePort?: number): Promise<number>;
  /**
   * Cancels the forward forwardRemote made to `to` (`ssh -O cancel` with the spec as requested; with port 0 ssh
   * matches it and cancels the port it was given); resolves false when ssh refused. One forward per target per
   * node: every worker of a node shares its session's.
   */
  cancelForward(target: NodeTarget, to: number | string, nodePort?: number): Promise<boolean>;
  /**
   * The pid of the master process of `target`'s shared connection (`ssh -O check`), undefined when none runs. A
   * forward lives as long as its master: another pid means the forwards were lost with the last one.
   */
  masterPid(target: NodeTarget): Promise<number | undefined>;
}

/** Longest Unix socket path (macOS sun_path is 104 with the NUL) minus ssh's `.XXXXXXXXXXXXXXXX` temp suffix. */
const MAX_CONTROL_PATH = 103 - 17;
/** ControlPath's `%C`: a 40-hex hash of local host, remote host, port and user. */
const CONTROL_NAME = /^[0-9a-f]{40}$/;

/** CREWMUX_SSH_COMMAND's words (default `ssh`); E_SSH_COMMAND when it cannot be split or names nothing. */
export function sshBaseCommand(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return ['ssh'];
  const split = splitWords(raw);
  if ('error' in split)
    throw new UserError('E_SSH_COMMAND', `CREWMUX_SSH_COMMAND cannot be split into words: ${split.error}.`);
  if (split.words.length === 0 || split.words[0] === '')
    throw new UserError('E_SSH_COMMAND', 'CREWMUX_SSH_COMMAND names no program.');
  return split.words;
}

function refuseBadHost(t: NodeTarget): void {
  const why = hostProblem(t.host);
  if (why) throw new UserError('E_NODE_BAD_HOST', `Cannot ssh to ${JSON.stringify(t.host)}: ${why}.`);
}

function destination(t: NodeTarget): string[] {
  return [
    ...(t.port !== undefined ? ['-p', String(t.port)] : []),
    t.user !== undefined ? `${t.user}@${t.host}` : t.host,
  ];
}

/** True when a Unix socket at `path` refuses connections (nobody listens: a dead master's leftover). */
function refused(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.once('connect', () => done(false));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED'));
  });
}

/** An `-R` spec: the node's loopback port (0: sshd picks) relayed to a loopback port or a Unix socket here. */
function forwardSpec(to: number | string, nodePort: number): string {
  return `127.0.0.1:${nodePort}:${typeof to === 'number' ? `127.0.0.1:${to}` : to}`;
}

/** The ssh adapter for `cfg` (see the file comment for the argv). Throws E_SSH_COMMAND for a bad CREWMUX_SSH_COMMAND. */
export function createSsh(cfg: SshConfig): Ssh {
  const [program, ...userWords] = sshBaseCommand(cfg.command);
  const controlDir = join(cfg.runtimeDir, 'ssh');
  const fixed = [
    ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
    ...['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(controlDir, '%C')}`],
    ...['-o', 'ClearAllForwardings=yes', '-a', '-x'],
  ];
  const defaults = [
    ...['-o', `ControlPersist=${cfg.persistSeconds ?? 60}`, '-o', `ConnectTimeout=${cfg.connectTimeoutSeconds ?? 15}`],
    ...['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'],
  ];
  const options = [...fixed, ...userWords, ...defaults];

  const ssh: Ssh = {
    base: [program!, ...userWords],
    controlDir,
    argv(target, remote, o = {}) {
      refuseBadHost(target);
      return [program!, ...options, o.tty ? '-t' : '-T', ...destination(target), '--', shellJoin(remote)];
    },
    controlArgv(target, op, remoteForward) {
      refuseBadHost(target);
      const fwd = remoteForward !== undefined ? ['-R', remoteForward] : [];
      // ClearAllForwardings would clear this request's own -R too; the master it talks to keeps it.
      const opts = fwd.length
        ? options.filter((o, i) => o !== 'ClearAllForwardings=yes' && options[i + 1] !== 'ClearAllForwardings=yes')
        : options;
      return [program!, ...opts, '-O', op, ...fwd, ...destination(target)];
    },
    gitSshCommand: () => shellJoin([program!, ...options]),
    async prepare() {
      if (join(controlDir, 'x'.repeat(40)).length > MAX_CONTROL_PATH)
        throw new UserError(
          'E_NODE_CONTROL_PATH',
          `The ssh control socket dir ${controlDir} is too long for a Unix socket path (at most ${MAX_CONTROL_PATH - 41} characters).`,
        );
      ensureDir(controlDir, 0o700);
      await ssh.cleanStale();
    },
    async cleanStale() {
      const removed: string[] = [];
      let names: string[];
      try {
        names = readdirSync(controlDir);
      } catch {
        return removed;
      }
      for (const name of names.filter((n) => CONTROL_NAME.test(n))) {
        const path = join(controlDir, name);
        try {
          if (!lstatSync(path).isSocket() || !(await refused(path))) continue;
          unlinkSync(path);
          removed.push(path);
        } catch {
          /* gone meanwhile */
        }
      }
      return removed;
    },
    async run(target, remote, o = {}) {
      await ssh.prepare();
      const [file, ...args] = ssh.argv(target, remote);
      return exec(file!, args, { input: o.input, timeoutMs: o.timeoutMs ?? 60_000, env: o.env, reject: false });
    },
    async control(target, op, remoteForward) {
      await ssh.prepare();
      const [file, ...args] = ssh.controlArgv(target, op, remoteForward);
      return exec(file!, args, { timeoutMs: 20_000, reject: false });
    },
    async forwardRemote(target, to, nodePort = 0) {
      // -O forward needs a running master: a no-op command starts one (ControlMaster=auto, ControlPersist).
      if ((await ssh.control(target, 'check')).exitCode !== 0) {
        const up = await ssh.run(target, ['true'], { timeoutMs: 60_000 });
        if (up.exitCode !== 0) throw new ExecError(up);
      }
      const r = await ssh.control(target, 'forward', forwardSpec(to, nodePort));
      if (r.exitCode !== 0) throw new ExecError(r);
      if (nodePort > 0) return nodePort;
      // With port 0, ssh prints the port the node's sshd allocated.
      const port = Number(/^\s*(\d+)\s*$/.exec(r.stdout)?.[1]);
      if (!(port > 0)) throw new ExecError({ ...r, exitCode: 1 });
      return port;
    },
    async cancelForward(target, to, nodePort = 0) {
      const r = await ssh.control(target, 'cancel', forwardSpec(to, nodePort)).catch(() => undefined);
      return r?.exitCode === 0;
    },
    async masterPid(target) {
      const r = await ssh.control(target, 'check').catch(() => undefined);
      // OpenSSH says `Master running (pid=N)` on stderr.
      const pid = Number(/\(pid=(\d+)\)/.exec(r?.stderr ?? '')?.[1]);
      return r?.exitCode === 0 && pid > 0 ? pid : undefined;
    },
  };
  return ssh;
}
