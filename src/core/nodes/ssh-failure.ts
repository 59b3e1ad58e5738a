/**
 * What an ssh failure means, from its exit status and stderr: OpenSSH exits 255 for its own errors and
 * prints a stable line for each (host key unknown or changed, authentication refused, no route, refused,
 * timed out, unknown name); the remote shell exits 127 when the command is not found. Each maps to an error
 * code with its fix (core/errors.ts). Matching on OpenSSH's messages is the only way to tell them apart: ssh
 * has no machine-readable failure reason. Pure.
 */
import type { ErrorCode } from '../errors.js';

/** The error code for a failed ssh to a node, and the ssh line it was read from (for the message). */
export interface SshFailure {
  code: Extract<
    ErrorCode,
    | 'E_NODE_HOST_KEY_UNKNOWN'
    | 'E_NODE_HOST_KEY_CHANGED'
    | 'E_NODE_AUTH'
    | 'E_NODE_UNREACHABLE'
    | 'E_NODE_NO_CREWMUX'
    | 'E_NODE_PROTOCOL'
  >;
  /** The line of ssh's (or the remote shell's) stderr that decided it, or a short description. */
  detail: string;
}

const RULES: { code: SshFailure['code']; match: RegExp }[] = [
  { code: 'E_NODE_HOST_KEY_CHANGED', match: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/ },
  { code: 'E_NODE_HOST_KEY_UNKNOWN', match: /No \S+ host key is known for|Host key verification failed/ },
  { code: 'E_NODE_AUTH', match: /Permission denied \(|Too many authentication failures|Authentication failed/ },
  {
    code: 'E_NODE_UNREACHABLE',
    match:
      /Could not resolve hostname|Name or service not known|Connection refused|Connection timed out|timed out during banner exchange|No route to host|Network is unreachable|Connection closed by|Connection reset by|Broken pipe|port \d+: Operation timed out/,
  },
];

/** The last non-blank line of `text`, trimmed to 300 characters. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}

/**
 * Classifies a failed `ssh ... crewmux node serve`: exit 127 (or "command not found") is crewmux missing on the
 * node; 255 is ssh's own failure, read from its stderr (an unrecognised one is unreachable); anything else is
 * the node side failing to speak the protocol.
 */
export function classifySshFailure(exitCode: number | null, stderr: string): SshFailure {
  const line = (re: RegExp) =>
    stderr
      .split('\n')
      .find((l) => re.test(l))
      ?.trim() ?? lastLine(stderr);
  if (exitCode === 255) {
    for (const r of RULES) if (r.match.test(stderr)) return { code: r.code, detail: line(r.match) };
    return { code: 'E_NODE_UNREACHABLE', detail: lastLine(stderr) || 'ssh exited 255' };
  }
  if (exitCode === 127 || /command not found/.test(stderr))
    return { code: 'E_NODE_NO_CREWMUX', detail: line(/not found|No such file/) };
  return {
    code: 'E_NODE_PROTOCOL',
    detail: lastLine(stderr) || `the node command exited ${exitCode ?? 'on a signal'} before answering`,
  };
}

/** Why a node channel ended or one of its calls failed, as the adapter saw it. */
export type NodeLinkFailure =
  /** ssh, or the command it ran on the node, ended (before answering, or while a call was open). */
  | { kind: 'exited'; exitCode: number | null; signal?: string | null; stderr: string }
  /** ssh itself could not be started (ENOENT: not installed). */
  | { kind: 'spawn'; program: string; message: string }
  | { kind: 'timeout'; method: string; timeoutMs: number }
  /** The node printed something that is not the protocol (a login banner on stdout, another program). */
  | { kind: 'protocol'; detail: string }
  /** The node answered the call with an error. */
  | { kind: 'remote'; code: number; message: string };

/** A NodeLinkFailure as an Error, thrown by the node channel (adapters/nodes/node-channel.ts). */
export class NodeLinkError extends Error {
  readonly failure: NodeLinkFailure;
  constructor(failure: NodeLinkFailure) {
    super(describeFailure(failure));
    this.name = 'NodeLinkError';
    this.failure = failure;
  }
}

function describeFailure(f: NodeLinkFailure): string {
  switch (f.kind) {
    case 'exited':
      return `the node channel ended (${f.signal ? `signal ${f.signal}` : `exit ${f.exitCode}`})${f.stderr.trim() ? `: ${lastLine(f.stderr)}` : ''}`;
    case 'spawn':
      return `cannot start ${f.program}: ${f.message}`;
    case 'timeout':
      return `no answer to ${f.method} within ${f.timeoutMs} ms`;
    case 'protocol':
      return `the node printed something that is not the protocol: ${f.detail}`;
    case 'remote':
      return f.message;
  }
}

/** The error code and one-line reason for `failure` (an exited channel is read by classifySshFailure). */
export function failureCode(failure: NodeLinkFailure): SshFailure | { code: 'E_SSH_COMMAND'; detail: string } {
  switch (failure.kind) {
    case 'exited':
      return classifySshFailure(failure.exitCode, failure.stderr);
    case 'spawn':
      return { code: 'E_SSH_COMMAND', detail: describeFailure(failure) };
    case 'timeout':
      return { code: 'E_NODE_UNREACHABLE', detail: describeFailure(failure) };
    case 'protocol':
    case 'remote':
      return { code: 'E_NODE_PROTOCOL', detail: describeFailure(failure) };
  }
}
