/**
 * One crewmux-shim run: the agent on a pty, its output log, the JSON-RPC socket, the card and the mDNS
 * advert. Start is all-or-nothing (rolled back in reverse order); close() removes every trace and is
 * safe to call more than once. The user's terminal is not touched here (see src/shim/main.ts).
 */
import { spawnPty, type PtyExit } from '../../adapters/external/pty.js';
import { listenRpc, RpcError, type RpcServer } from '../../adapters/external/json-rpc-server.js';
import { createCardStore } from '../../adapters/external/card-store.js';
import { advertise, type MdnsAdvert } from '../../adapters/external/mdns.js';
import { createOutputBuffer } from '../../core/text/output-buffer.js';
import { bracketPaste, createPasteModeTracker, escapeControls, toPlainText } from '../../core/text/terminal-text.js';
import {
  CARD_VERSION,
  InfoParams,
  KillParams,
  MDNS_SERVICE_TYPE,
  MdnsTxtSchema,
  ReadParams,
  RPC_ERRORS,
  SendParams,
  type AgentCard,
  type InfoResult,
  type ReadResult,
  type SendResult,
} from '../../core/external/shim-protocol.js';
import { UserError } from '../../core/errors.js';
import type { Clock } from '../../core/clock.js';
import { recognizeCommand } from '../../core/agents/recognition.js';
import type { z } from 'zod';

export interface ShimOptions {
  /** Directory of cards and sockets, `<runtimeDir>/agents`. */
  agentsDir: string;
  /** The agent command as the user typed it (its basename names the agent). */
  command: string;
  /** Absolute path of the executable (resolved on PATH by the caller). */
  file: string;
  args: string[];
  cwd: string;
  /** The agent's environment. */
  env: Record<string, string>;
  cols: number;
  rows: number;
  hostname: string;
  /** The shim's own pid; it names the card (`shim-<pid>`). */
  pid: number;
  tmuxPane?: string;
  tmuxSocket?: string;
  crewmuxRole?: string;
  /** Advertise over mDNS (default true). */
  mdns?: boolean;
  /** Every chunk of agent output, for the user's terminal. */
  onOutput(data: string): void;
  /** mDNS socket trouble; the shim keeps running without it. */
  onWarning?(message: string): void;
  /** Output log size in bytes, default 1 MiB. */
  logBytes?: number;
  /** Time for the delay before Enter (default the system clock). */
  clock: Clock;
}

export interface ShimSession {
  readonly id: string;
  readonly agentPid: number;
  readonly socketPath: string;
  readonly cardPath: string;
  /** Keystrokes from the user's terminal. */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Signals the agent's process group (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the agent exits. */
  readonly exited: Promise<PtyExit>;
  /** Removes the card, the mDNS advert (goodbye) and the socket. */
  close(): Promise<void>;
  /** Synchronous removal of card and socket file, for paths that cannot wait (uncaught errors). */
  closeSync(): void;
}

function parse<T extends z.ZodType>(schema: T, params: unknown): z.infer<T> {
  const r = schema.safeParse(params === null ? undefined : params);
  if (!r.success)
    throw new RpcError(
      RPC_ERRORS.invalidParams,
      `invalid params: ${r.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Starts the agent and publishes it; throws UserError E_SHIM_SOCKET or E_SHIM_SPAWN, leaving nothing behind. */
export async function startShim(o: ShimOptions): Promise<ShimSession> {
  const id = `shim-${o.pid}`;
  const clock = o.clock;
  const cards = createCardStore(o.agentsDir);
  const socketPath = cards.socketPath(id);
  // sun_path holds 108 bytes on Linux (104 on macOS).
  if (Buffer.byteLength(socketPath) > 100) {
    throw new UserError('E_SHIM_SOCKET', `The shim's socket path is too long (${socketPath}).`);
  }
  const log = createOutputBuffer(o.logBytes);
  const paste = createPasteModeTracker();
  let size = { cols: o.cols, rows: o.rows };
  const startedAt = new Date().toISOString();
  // A known agent CLI by its name (`node /usr/bin/gemini` is gemini), else the command's basename.
  const agentName = recognizeCommand([o.file, ...o.args]) ?? basename(o.command);

  let pty;
  try {
    pty = spawnPty(o.file, o.args, { cwd: o.cwd, env: o.env, cols: o.cols, rows: o.rows });
  } catch (e) {
    throw new UserError('E_SHIM_SPAWN', `Cannot start ${o.command}: ${(e as Error).message}`);
  }
  const agent = pty;
  let exitInfo: PtyExit | undefined;
  const exited = new Promise<PtyExit>((resolve) =>
    agent.onExit((e) => {
      exitInfo = e;
      resolve(e);
    }),
  );
  agent.onData((d) => {
    log.append(d);
    paste.feed(d);
    o.onOutput(d);
  });
  const killGroup = (signal: NodeJS.Signals) => {
    // node-pty makes the agent a session leader, so its pid is its process group id.
    try {
      process.kill(-agent.pid, signal);
    } catch {
      agent.kill(signal);
    }
  };
  const ensureRunning = () => {
    if (exitInfo)
      throw new RpcError(
        RPC_ERRORS.agentExited,
        `the agent exited (code ${exitInfo.exitCode}, signal ${exitInfo.signal})`,
      );
  };

  const methods = {
    info: (p: unknown): InfoResult => {
      parse(InfoParams, p);
      return {
        id,
        agent: agentName,
        command: o.command,
        args: o.args,
        cwd: o.cwd,
        pid: o.pid,
        agentPid: agent.pid,
        startedAt,
        cols: size.cols,
        rows: size.rows,
        bracketedPaste: paste.bracketedPaste(),
        end: log.end(),
        exited: !!exitInfo,
      };
    },
    send: async (p: unknown): Promise<SendResult> => {
      const q = parse(SendParams, p);
      ensureRunning();
      const cursor = log.end();
      const mode = q.paste ?? 'auto';
      const bracketed = mode === 'bracketed' || (mode === 'auto' && paste.bracketedPaste());
      // Text is never keys: control characters (ESC[201~, CR, Ctrl-C) arrive escaped; Enter is `enter`.
      const text = escapeControls(q.text);
      const data = bracketed ? bracketPaste(text) : text;
      if (data.length) agent.write(data);
      if (q.enter) {
        await clock.sleep(q.enterDelayMs ?? 300);
        ensureRunning();
        agent.write('\r');
      }
      return { bytes: Buffer.byteLength(data), enter: !!q.enter, bracketed, cursor };
    },
    read: (p: unknown): ReadResult => {
      const q = parse(ReadParams, p) ?? {};
      const s = log.read(q.cursor, q.maxBytes, q.newest);
      return { ...s, text: q.strip ? toPlainText(s.text) : s.text, exited: !!exitInfo };
    },
    kill: (p: unknown) => {
      const q = parse(KillParams, p) ?? {};
      ensureRunning();
      const signal = q.signal ?? 'SIGTERM';
      setImmediate(() => killGroup(signal));
      return { signal, agentPid: agent.pid };
    },
  };

  let rpc: RpcServer | undefined;
  let cardPath = cards.cardPath(id);
  let advert: MdnsAdvert | undefined;
  try {
    cards.ensure();
    rpc = await listenRpc(socketPath, methods);
    const card: AgentCard = {
      version: CARD_VERSION,
      id,
      agent: agentName,
      command: o.command,
      args: o.args,
      cwd: o.cwd,
      pid: o.pid,
      agentPid: agent.pid,
      socket: socketPath,
      host: o.hostname,
      startedAt,
      ...(o.tmuxPane ? { tmuxPane: o.tmuxPane } : {}),
      ...(o.tmuxSocket ? { tmuxSocket: o.tmuxSocket } : {}),
      ...(o.crewmuxRole ? { crewmuxRole: o.crewmuxRole } : {}),
    };
    cardPath = cards.write(card);
    if (o.mdns !== false) {
      const txt = MdnsTxtSchema.parse({
        v: '1',
        id,
        pid: String(o.pid),
        agent: card.agent.slice(0, 100),
        host: o.hostname.slice(0, 200),
        ...(o.crewmuxRole ? { role: o.crewmuxRole.slice(0, 20) } : {}),
      });
      const name = `crewmux ${card.agent.slice(0, 20)} ${o.hostname.slice(0, 20)} ${o.pid}`;
      // SRV needs a port; the shim has no TCP port (its transport is the Unix socket `<agentsDir>/<id>.sock`, which
      // the advert does not name), so 9 (discard).
      advert = advertise(name, MDNS_SERVICE_TYPE, 9, txt, { onError: (e) => o.onWarning?.(`mDNS: ${e.message}`) });
    }
  } catch (e) {
    await advert?.close();
    cards.remove(cardPath);
    await rpc?.close();
    killGroup('SIGKILL');
    if (e instanceof UserError) throw e;
    throw new UserError('E_SHIM_SOCKET', `Cannot publish the shim: ${(e as Error).message}`);
  }

  let closing: Promise<void> | undefined;
  const server = rpc;
  return {
    id,
    agentPid: agent.pid,
    socketPath,
    cardPath,
    exited,
    write: (d) => agent.write(d),
    resize(cols, rows) {
      size = { cols, rows };
      agent.resize(cols, rows);
    },
    kill: killGroup,
    close() {
      closing ??= (async () => {
        cards.remove(cardPath);
        await Promise.all([advert?.close(), server.close()]);
      })();
      return closing;
    },
    closeSync() {
      cards.remove(cardPath);
      server.unlinkNow();
    },
  };
}
