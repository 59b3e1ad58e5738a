/**
 * crewmux-shim AGENT [ARGS...]: runs an agent CLI on a pty inside the user's terminal (raw mode, window
 * size passed through, both restored on exit) and publishes it for discovery (card, mDNS, JSON-RPC
 * socket; docs/shim.md). The exit code is the agent's (128 + signal when a signal ended it). This is
 * an entry surface: it alone reads argv and process.env here.
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { which } from '../adapters/process/which.js';
import { stopPolitely } from '../adapters/process/exec.js';
import { usePrivateUmask } from '../adapters/system/umask.js';
import { systemClock } from '../adapters/system/clock.js';
import { resolvePaths } from '../app/session/paths.js';
import { startShim, type ShimSession } from '../app/external/shim-session.js';
import { EXIT, UserError } from '../core/errors.js';

const USAGE = `Usage: crewmux-shim [--no-mdns] AGENT [ARGS...]
Runs AGENT in this terminal and lets crewmux discover it, read its output and type into it.
  --no-mdns   do not advertise the agent over mDNS (the card and socket still let crewmux find it)
Environment: CREWMUX_RUNTIME_DIR (cards and sockets), CREWMUX_MDNS=0 (same as --no-mdns). See docs/shim.md.`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE + '\n');
    return EXIT.ok;
  }
  usePrivateUmask(); // cards and sockets are 0600 even before their chmod; the agent gets the user's umask
  // The shim's own flags come before AGENT; everything after AGENT is the agent's.
  let mdns = env.CREWMUX_MDNS !== '0';
  while (argv[0] === '--no-mdns') {
    mdns = false;
    argv = argv.slice(1);
  }
  if (argv[0] === '--') argv = argv.slice(1);
  const [command, ...args] = argv;
  if (!command) throw new UserError('E_SHIM_USAGE');
  const file = which(command, env.PATH);
  if (!file) throw new UserError('E_SHIM_SPAWN', `${command} was not found on PATH.`);
  const paths = resolvePaths(env, env.HOME || homedir(), process.getuid?.() ?? 0);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const tty = stdin.isTTY === true;
  const childEnv = Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined));

  const session: ShimSession = await startShim({
    agentsDir: join(paths.runtimeDir, 'agents'),
    command,
    file,
    args,
    cwd: process.cwd(),
    env: { ...childEnv, CREWMUX_SHIM_ID: `shim-${process.pid}` },
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    hostname: hostname(),
    pid: process.pid,
    tmuxPane: env.TMUX_PANE || undefined,
    // TMUX is "socket_path,server_pid,session_index".
    tmuxSocket: env.TMUX ? env.TMUX.split(',')[0] : undefined,
    crewmuxRole: env.CREWMUX_ROLE || undefined,
    mdns,
    clock: systemClock,
    onOutput: (d) => {
      stdout.write(d);
    },
    onWarning: (m) => {
      if (env.CREWMUX_SHIM_DEBUG) process.stderr.write(`crewmux-shim: ${m}\r\n`);
    },
  });

  // Every local user can browse the advert (it names the agent, the host and the pid; no path or user name).
  if (mdns)
    process.stderr.write(
      `crewmux-shim: advertising ${session.id} (${command}) over mDNS as _crewmux-agent._tcp; other local users can see it. Turn it off with --no-mdns or CREWMUX_MDNS=0.\n`,
    );

  const restore = () => {
    if (tty && stdin.isTTY) {
      try {
        stdin.setRawMode(false);
      } catch {
        /* terminal gone */
      }
    }
    stdin.pause();
  };
  process.on('uncaughtException', (err) => {
    restore();
    session.closeSync();
    session.kill('SIGKILL');
    process.stderr.write(`crewmux-shim: internal error\n${err.stack ?? String(err)}\n`);
    process.exit(EXIT.failed);
  });

  if (tty) stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.on('data', (d: string) => session.write(d));
  stdin.on('error', () => {
    /* terminal closed; SIGHUP follows */
  });
  stdin.resume();
  const onResize = () => session.resize(stdout.columns || 80, stdout.rows || 24);
  stdout.on('resize', onResize);

  // Forward termination requests to the agent; if it ignores them, SIGKILL after a grace period.
  let exited = false;
  void session.exited.then(() => {
    exited = true;
  });
  let stopping: Promise<unknown> | undefined;
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stopping) session.kill(sig);
      else
        stopping = stopPolitely(
          { signal: (s) => session.kill(s), alive: () => !exited },
          { firstSignal: sig, graceMs: 3_000, killWaitMs: 0 },
        );
    });
  }

  const exit = await session.exited;
  stdout.off('resize', onResize);
  restore();
  await session.close();
  return exit.signal ? 128 + exit.signal : exit.exitCode;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(`crewmux-shim: ${err.message} [${err.code}]\n  fix: ${err.hint}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`crewmux-shim: internal error\n${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(EXIT.failed);
  },
);
