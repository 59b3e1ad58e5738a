/** The ACP port: a JSON-RPC 2.0 conversation with an agent started with its ACP flag (adapters/acp/acp-connection.ts). */

/** A JSON-RPC error: the agent's error reply to a request, or crewmux's to the agent's (`code` as in JSON-RPC). */
export class AcpRpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'AcpRpcError';
    this.code = code;
  }
}

/** How the agent's process ended: exit code or signal, the tail of its stderr, or why it could not start. */
export interface AcpExit {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  /** Set when it could not start (ENOENT: not installed). */
  error?: string;
}

export interface AcpConnection {
  /** Sends request `method`; resolves its result, rejects with AcpRpcError (an error reply) or Error (the agent ended). */
  request(method: string, params: unknown): Promise<unknown>;
  /** Sends notification `method` (no reply). */
  notify(method: string, params: unknown): void;
  /** Called with each notification from the agent. */
  onNotification(fn: (method: string, params: unknown) => void): void;
  /** Answers the agent's requests: the handler's value is the result; a thrown AcpRpcError is the error reply. */
  onRequest(fn: (method: string, params: unknown) => Promise<unknown>): void;
  /** Resolves once the agent has exited. */
  closed: Promise<AcpExit>;
  /** Ends the agent politely (stdin closed, SIGTERM, SIGKILL) and resolves when it has exited. */
  close(): Promise<AcpExit>;
}

/** An `fs/*` request for a path the worktree does not serve; the message says why (outside it, in `.git`, ...). */
export class AcpPathRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcpPathRefused';
  }
}

/**
 * A worktree's text files as crewmux serves them to its ACP agent (adapters/acp/worktree-files.ts): only below the
 * worktree once every symlink is resolved, never in `.git`, only regular files. Both throw AcpPathRefused otherwise.
 */
export interface AcpFiles {
  /** The text of the file at absolute `path`, or undefined when there is none. */
  read(path: string): string | undefined;
  /** Writes `content` to absolute `path` (missing folders made); false when the file already held exactly that. */
  write(path: string, content: string): boolean;
}
