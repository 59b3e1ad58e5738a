/**
 * A worker's agent driven over the Agent Client Protocol (core/acp/), run by the ACP pane process
 * (compose/acp-worker-pane.ts) in the worker's pane: it opens a session in the worktree with crewmux's MCP server,
 * sends the worker's prompt, prints the agent's updates as a transcript, sends each line typed into the pane (by the
 * user, or by send_to_worker's delivery) as the next turn, answers permission requests by crewmux's policy
 * (core/acp/permission.ts) and leaves the others to a person typing an option's number, and reports the agent's
 * activity as signals (source `acp`): busy when a prompt is sent, idle at its stopReason, waiting on a permission
 * request it could not answer. The model calls the agent reports in its updates (core/acp/usage.ts) go to `usage`.
 * crewmux offers the agent no file system, but serves `fs/read_text_file` and `fs/write_text_file` to one that asks
 * anyway (OpenCode 1.18.33 writes each edit crewmux allowed through the client too) from `files`: the worktree's
 * files only; any other path is refused with an error the agent reads and a line in the pane.
 */
import { isAbsolute, relative } from 'node:path';
import {
  INVALID_PARAMS,
  InitializeResultSchema,
  METHOD_NOT_FOUND,
  NewSessionResultSchema,
  PATH_REFUSED,
  PermissionRequestSchema,
  PromptResultSchema,
  RESOURCE_NOT_FOUND,
  ReadTextFileSchema,
  SessionUpdateSchema,
  WriteTextFileSchema,
  initializeParams,
  newSessionParams,
  permissionOutcome,
  promptParams,
  textLines,
  type PermissionOption,
} from '../../core/acp/protocol.js';
import { choosePermission } from '../../core/acp/permission.js';
import { closeStream, newTranscript, renderStop, renderUpdate } from '../../core/acp/transcript.js';
import { acpCallUsage, sessionModel, type AcpUsageLine } from '../../core/acp/usage.js';
import type { AcpSignalEvent } from '../../core/workers/signals.js';
import { escapeControls } from '../../core/text/terminal-text.js';
import { AcpPathRefused, AcpRpcError, type AcpConnection, type AcpExit, type AcpFiles } from '../ports/acp.js';

export interface AcpWorkerDeps {
  conn: AcpConnection;
  /** Writes pane text (already escaped; CRLF line ends). */
  print(text: string): void;
  /** Appends one signal (the signals file; core/workers/signals.ts decides from it). */
  signal(event: AcpSignalEvent, detail?: { type?: string; message?: string }): void;
  /** Records one model call the agent reported (absent: its reports are not read). */
  usage?(line: AcpUsageLine): void;
  /** The worktree's files, served to the agent's `fs/*` requests (absent: answered "method not found"). */
  files?: AcpFiles;
}

export interface AcpWorkerInput {
  /** The worktree: the session's cwd and the permission policy's root. */
  cwd: string;
  /** The worker's first prompt. */
  prompt: string;
  /** crewmux's MCP server for session/new (the worker's token as its bearer header). */
  mcp: { url: string; token: string };
  /** crewmux's version, for clientInfo. */
  version: string;
}

/** A running ACP worker: feed it typed lines and Ctrl-C; `done` resolves with the pane's exit code. */
export interface AcpWorker {
  /** A line typed into the pane: the next prompt, or the answer to a permission question shown. */
  typed(line: string): void;
  /** Ctrl-C: cancels the running turn; with none running, ends the agent. */
  interrupt(): void;
  done: Promise<number>;
}

const say = (text: string) => `\x1b[2mcrewmux: ${escapeControls(text)}\x1b[0m\r\n`;

/** Starts the conversation described in the file comment; never throws (failures end `done` with 1). */
export function runAcpWorker(deps: AcpWorkerDeps, input: AcpWorkerInput): AcpWorker {
  const { conn } = deps;
  const transcript = newTranscript();
  const queue: string[] = [input.prompt];
  let sessionId: string | undefined;
  let model = 'unknown';
  let calls = 0;
  let turn = false;
  let wake: (() => void) | undefined;
  let quit = false;
  let asking: { options: PermissionOption[]; answer: (optionId: string | undefined) => void } | undefined;
  const print = (text: string) => deps.print(closeStream(transcript) + text);

  conn.onNotification((method, params) => {
    if (method !== 'session/update') return;
    const u = SessionUpdateSchema.safeParse(params);
    if (!u.success) return;
    deps.print(renderUpdate(transcript, u.data.update));
    const tokens = deps.usage ? acpCallUsage(u.data.update) : undefined;
    if (tokens) deps.usage?.({ key: `${u.data.sessionId}#${++calls}`, model, ...tokens });
  });

  /** Serves `fs/read_text_file` and `fs/write_text_file` from deps.files, inside the worktree only. */
  const serveFile = (method: string, params: unknown): Record<string, unknown> => {
    const files = deps.files;
    if (!files) throw new AcpRpcError(METHOD_NOT_FOUND, `crewmux does not serve ${method}`);
    const read = method === 'fs/read_text_file';
    const parsed = read ? ReadTextFileSchema.safeParse(params) : WriteTextFileSchema.safeParse(params);
    if (!parsed.success)
      throw new AcpRpcError(INVALID_PARAMS, `${method}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const p = parsed.data;
    if (p.sessionId !== sessionId)
      throw new AcpRpcError(INVALID_PARAMS, `${method}: session ${p.sessionId} is not this worker's`);
    const rel = relative(input.cwd, p.path);
    const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p.path;
    try {
      if (!read) {
        const wrote = files.write(p.path, WriteTextFileSchema.parse(p).content);
        print(say(wrote ? `wrote ${shown} for the agent (${method})` : `${shown} already held what the agent wrote`));
        return {};
      }
      const text = files.read(p.path);
      if (text === undefined) throw new AcpRpcError(RESOURCE_NOT_FOUND, `${method}: ${p.path} does not exist`);
      const { line, limit } = ReadTextFileSchema.parse(p);
      return { content: textLines(text, line, limit) };
    } catch (e) {
      if (e instanceof AcpRpcError) throw e;
      if (e instanceof AcpPathRefused) {
        print(say(`refused the agent's ${method}: ${e.message}`));
        throw new AcpRpcError(PATH_REFUSED, `crewmux serves files inside the worker's worktree only: ${e.message}`);
      }
      throw new AcpRpcError(-32603, `${method} of ${p.path} failed: ${(e as Error).message}`);
    }
  };

  conn.onRequest(async (method, params) => {
    if (method === 'fs/read_text_file' || method === 'fs/write_text_file') return serveFile(method, params);
    if (method !== 'session/request_permission')
      throw new AcpRpcError(METHOD_NOT_FOUND, `crewmux does not serve ${method}`);
    const req = PermissionRequestSchema.parse(params);
    const title = req.toolCall.title ?? req.toolCall.kind ?? 'a tool call';
    const choice = choosePermission(req, input.cwd);
    if (choice.kind === 'allow') {
      print(say(`allowed ${title} (${choice.why})`));
      return permissionOutcome(choice.optionId);
    }
    deps.signal('permission', { message: title.slice(0, 200) });
    print(
      say(`the agent asks to run ${title}; crewmux does not answer it: ${choice.why}.`) +
        req.options.map((o, i) => `  ${i + 1}. ${escapeControls(o.name)} (${o.kind})\r\n`).join('') +
        say('type the number of your answer and Enter'),
    );
    const optionId = await new Promise<string | undefined>((answer) => (asking = { options: req.options, answer }));
    deps.signal('permission-answered', { message: optionId ?? 'cancelled' });
    return permissionOutcome(optionId);
  });

  const nextPrompt = async (): Promise<string | undefined> => {
    while (!queue.length && !quit) await new Promise<void>((r) => (wake = r));
    return quit ? undefined : queue.shift();
  };

  async function converse(): Promise<number> {
    const init = InitializeResultSchema.parse(await conn.request('initialize', initializeParams(input.version)));
    const http = init.agentCapabilities?.mcpCapabilities?.http === true;
    const agent = `${init.agentInfo?.name ?? 'agent'} ${init.agentInfo?.version ?? ''}`.trim();
    print(say(`${agent} over ACP; crewmux's MCP server ${http ? 'given in session/new' : 'from its settings file'}`));
    const session = await conn.request('session/new', newSessionParams(input.cwd, input.mcp, http));
    sessionId = NewSessionResultSchema.parse(session).sessionId;
    model = sessionModel(session) ?? model;
    for (let text = await nextPrompt(); text !== undefined; text = await nextPrompt()) {
      turn = true;
      deps.signal('prompt');
      try {
        const r = PromptResultSchema.parse(await conn.request('session/prompt', promptParams(sessionId, text)));
        deps.signal('stop', { type: r.stopReason });
        deps.print(renderStop(transcript, r.stopReason));
      } catch (e) {
        if (!(e instanceof AcpRpcError)) throw e;
        deps.signal('prompt-error', { message: e.message.slice(0, 200) });
        print(`✕ ${escapeControls(e.message)}\r\n`);
      } finally {
        turn = false;
      }
    }
    return 0;
  }

  const done = Promise.race([
    converse().catch((e: unknown) => {
      print(`✕ ${escapeControls((e as Error).message)}\r\n`);
      return 1;
    }),
    conn.closed.then((x: AcpExit) => {
      const how = x.error ?? `the agent exited (${x.signal ?? `code ${x.exitCode}`})`;
      print(
        say(how) +
          (x.stderr.trim()
            ? escapeControls(x.stderr.trim().split('\n').slice(-10).join('\n')).replace(/\n/g, '\r\n') + '\r\n'
            : ''),
      );
      return quit ? 0 : 1;
    }),
  ]).then(async (code) => {
    await conn.close();
    return code;
  });

  return {
    typed(line) {
      if (asking) {
        const n = Number(line.trim());
        const option = Number.isInteger(n) ? asking.options[n - 1] : undefined;
        if (!option) {
          print(say(`type a number from 1 to ${asking.options.length}`));
          return;
        }
        const a = asking;
        asking = undefined;
        a.answer(option.optionId);
        return;
      }
      queue.push(line);
      if (turn) print(say('queued: it is sent when this turn ends'));
      wake?.();
    },
    interrupt() {
      if (turn && sessionId) {
        asking?.answer(undefined);
        asking = undefined;
        conn.notify('session/cancel', { sessionId });
        print(say('cancelling the turn (Ctrl-C again when idle ends the agent)'));
        return;
      }
      quit = true;
      wake?.();
    },
    done,
  };
}
