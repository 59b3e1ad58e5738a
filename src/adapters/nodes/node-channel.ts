/**
 * The lead side of the node channel: `ssh ... -- crewmux node serve --stdio` (ssh.ts builds the argv) spoken to
 * in JSON-RPC lines (core/nodes/protocol.ts). Replies settle their call by id; notifications go to listeners;
 * anything on stdout that is not a protocol line ends the channel (a login script printing to stdout would
 * otherwise be read as an answer). When ssh ends, every open call rejects with why (its exit code and stderr
 * tail, read into an error code by core/nodes/ssh-failure.ts).
 */
import { createInterface } from 'node:readline';
import { execPiped, type PipedProcess } from '../process/exec.js';
import { RpcNotificationSchema, RpcReplySchema } from '../../core/nodes/protocol.js';
import { NodeLinkError, type NodeLinkFailure } from '../../core/nodes/ssh-failure.js';
import type { NodeSpec } from '../../core/nodes/node-config.js';
import type { NodeChannel, NodeConnector } from '../../app/ports/nodes.js';
import type { Ssh } from './ssh.js';

/** The remote argv of the channel: the node's crewmux (its `crewmuxPath`, else `crewmux` on its PATH). */
export function serveArgv(spec: NodeSpec): string[] {
  return [spec.crewmuxPath ?? 'crewmux', 'node', 'serve', '--stdio'];
}

/** A NodeChannel over the pipes of `proc` (an ssh process, or any process speaking the protocol). */
export function channelOver(proc: PipedProcess, program: string): NodeChannel {
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  const listeners: ((method: string, params: unknown) => void)[] = [];
  let nextId = 1;
  let failure: NodeLinkFailure | undefined;
  let closing = false;

  const fail = (f: NodeLinkFailure) => {
    failure ??= f;
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new NodeLinkError(failure));
      pending.delete(id);
    }
  };

  const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      raw = undefined;
    }
    const reply = RpcReplySchema.safeParse(raw);
    if (reply.success && typeof reply.data.id === 'number') {
      const p = pending.get(reply.data.id);
      if (!p) return;
      pending.delete(reply.data.id);
      clearTimeout(p.timer);
      const err = reply.data.error;
      if (err) p.reject(new NodeLinkError({ kind: 'remote', code: err.code, message: err.message }));
      else p.resolve(reply.data.result);
      return;
    }
    const note = RpcNotificationSchema.safeParse(raw);
    if (note.success && !(raw && typeof raw === 'object' && 'id' in raw)) {
      for (const fn of listeners) fn(note.data.method, note.data.params);
      return;
    }
    fail({ kind: 'protocol', detail: JSON.stringify(line.slice(0, 200)) });
    void proc.stop();
  });

  const closed = proc.exited.then((e): NodeLinkFailure => {
    const f: NodeLinkFailure = e.error
      ? { kind: 'spawn', program, message: e.error.code === 'ENOENT' ? 'not installed (not on PATH)' : e.error.message }
      : { kind: 'exited', exitCode: closing && !failure ? 0 : e.exitCode, signal: e.signal, stderr: proc.stderrTail() };
    fail(f);
    return failure ?? f;
  });

  return {
    call(method, params, timeoutMs = 30_000) {
      if (failure) return Promise.reject(new NodeLinkError(failure));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new NodeLinkError({ kind: 'timeout', method, timeoutMs }));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }) + '\n');
      });
    },
    onNotification(fn) {
      listeners.push(fn);
    },
    closed,
    async close() {
      closing = true;
      // EOF first: `node serve` ends by itself; a signal only when it does not within 3 s.
      proc.stdin.end();
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3_000))),
      ]);
      clearTimeout(timer);
      if (!ended) await proc.stop();
      await closed;
    },
  };
}

/** Opens node channels through `ssh` (prepare, then `ssh ... crewmux node serve --stdio`). */
export function createNodeConnector(o: { ssh: Ssh; env?: NodeJS.ProcessEnv }): NodeConnector {
  const target = (spec: NodeSpec) => ({
    host: spec.host,
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.port !== undefined ? { port: spec.port } : {}),
  });
  return {
    async open(spec) {
      await o.ssh.prepare();
      const [file, ...args] = o.ssh.argv(target(spec), serveArgv(spec));
      return channelOver(execPiped(file!, args, { env: o.env }), file!);
    },
    async disconnect(spec) {
      try {
        await o.ssh.control(target(spec), 'exit');
      } catch {
        /* no master, or ssh gone: nothing to end */
      }
    },
  };
}
