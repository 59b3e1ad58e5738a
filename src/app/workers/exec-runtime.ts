/**
 * The `exec:` WorkerRuntime: a user's script runs workers where crewmux has no client (a container, a pod, a
 * batch host). crewmux calls it as `SCRIPT <op>` with one JSON object on stdin and reads one JSON object from
 * its stdout (docs/runtimes.md): `start`, `stop`, `is-running`, `send-text`, `read-output`, `capabilities`.
 * Exit 2 means "unsupported op" (that capability is then false, and never asked again); any other failure is
 * E_RUNTIME_SCRIPT naming the script, the op, how it ended and its stderr tail (secrets redacted). Nothing but
 * the op ever goes on the script's command line: the worker's environment (API keys, its MCP token) travels
 * on stdin.
 */
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { redactSecrets } from '../../core/text/redact.js';
import type { ProcessRunner } from '../ports/process-runner.js';
import type { RuntimeCapabilities, WorkerHandle, WorkerRuntime } from '../ports/worker-runtime.js';

export interface ExecRuntimeDeps {
  /** The runtime's name in config `runtimes` (the runtime is `exec:NAME`). */
  name: string;
  /** Absolute path of the script (a repo's only after `crewmux trust`: it comes from trusted config). */
  script: string;
  runner: ProcessRunner;
  /** The script's environment (default: the supervisor's). */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds one call may take (default 60 000; `start` may pull an image). */
  timeoutMs?: number;
}

/** The ops of the protocol, as the script sees them in argv[1]. */
export const EXEC_OPS = ['capabilities', 'start', 'stop', 'is-running', 'send-text', 'read-output'] as const;
export type ExecOp = (typeof EXEC_OPS)[number];

const Replies = {
  capabilities: z.object({ sendText: z.boolean().optional(), readOutput: z.boolean().optional() }),
  start: z.object({ id: z.string().min(1).max(512) }),
  stop: z.object({ wasRunning: z.boolean().optional() }),
  'is-running': z.object({ running: z.boolean() }),
  'send-text': z.object({}),
  'read-output': z.object({ text: z.string() }),
} satisfies Record<ExecOp, z.ZodType>;

const UNSUPPORTED = Symbol('unsupported');

/** Creates the runtime `exec:NAME`; nothing runs until an operation is called. */
export function createExecRuntime(d: ExecRuntimeDeps): WorkerRuntime {
  const label = `runtime "exec:${d.name}" (${d.script})`;
  const unsupported = new Set<ExecOp>();

  async function call<O extends ExecOp>(
    op: O,
    input: object,
  ): Promise<z.infer<(typeof Replies)[O]> | typeof UNSUPPORTED> {
    if (unsupported.has(op)) return UNSUPPORTED;
    let r;
    try {
      r = await d.runner.exec(d.script, [op], {
        input: JSON.stringify(input),
        env: d.env,
        reject: false,
        timeoutMs: d.timeoutMs ?? 60_000,
      });
    } catch (e) {
      throw new UserError('E_RUNTIME_SCRIPT', `${label} could not be run for "${op}": ${(e as Error).message}`);
    }
    if (r.exitCode === 2) {
      unsupported.add(op);
      return UNSUPPORTED;
    }
    if (r.exitCode !== 0) {
      const how = r.timedOut ? 'timed out' : r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode}`;
      const tail = redactSecrets(r.stderr.trim().split('\n').slice(-5).join('\n'));
      throw new UserError('E_RUNTIME_SCRIPT', `${label} ${how} on "${op}"${tail ? `: ${tail}` : ''}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(r.stdout.trim() || '{}');
    } catch {
      json = undefined;
    }
    const parsed = Replies[op].safeParse(json);
    if (!parsed.success)
      throw new UserError(
        'E_RUNTIME_SCRIPT',
        `${label} answered "${op}" with ${JSON.stringify(redactSecrets(r.stdout.trim().slice(0, 200)))}, not the expected JSON (${parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ')})`,
      );
    return parsed.data as z.infer<(typeof Replies)[O]>;
  }

  const required = <T>(op: ExecOp, v: T | typeof UNSUPPORTED): T => {
    if (v === UNSUPPORTED)
      throw new UserError('E_RUNTIME_SCRIPT', `${label} exited 2 (unsupported) on "${op}", which every runtime needs`);
    return v;
  };
  const handle = (h: WorkerHandle) => ({ id: h.id });

  return {
    name: `exec:${d.name}`,
    async capabilities(): Promise<RuntimeCapabilities> {
      const c = await call('capabilities', {});
      // Without a capabilities op, an optional op counts as supported until it exits 2.
      const said = c === UNSUPPORTED ? {} : c;
      return {
        sendText: (said.sendText ?? true) && !unsupported.has('send-text'),
        readOutput: (said.readOutput ?? true) && !unsupported.has('read-output'),
      };
    },
    async start(spec) {
      const r = required('start', await call('start', spec));
      return { id: r.id };
    },
    async stop(h) {
      const r = required('stop', await call('stop', handle(h)));
      return r.wasRunning ?? true;
    },
    async isRunning(h) {
      return required('is-running', await call('is-running', handle(h))).running;
    },
    async sendText(h, text) {
      if ((await call('send-text', { ...handle(h), text })) === UNSUPPORTED)
        throw new UserError('E_RUNTIME_UNSUPPORTED', `${label} cannot type text into a worker (send-text exited 2)`);
    },
    async readOutput(h, lines) {
      const r = await call('read-output', { ...handle(h), lines });
      return r === UNSUPPORTED ? undefined : r.text;
    },
  };
}
