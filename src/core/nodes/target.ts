/**
 * Node names and ssh targets: `crewmux node add NAME [user@]host[:port]` parsed and checked before anything
 * reaches ssh. A host starting with `-` would be read by ssh as an option (CVE-2017-1000117's family), so it
 * is refused, as are whitespace and control characters; ports are 1..65535. Pure.
 */
import { UserError } from '../errors.js';

/** Where a node's sshd is: `host` as ssh resolves it (a name from ~/.ssh/config works), optional user and port. */
export interface NodeTarget {
  host: string;
  user?: string;
  port?: number;
}

/** A node name: lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 32 characters. */
export const NODE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Why `host` cannot be an ssh host, or undefined when it can. */
export function hostProblem(host: string): string | undefined {
  if (host === '') return 'the host is empty';
  if (host.startsWith('-')) return `the host ${JSON.stringify(host)} starts with "-" (ssh would read it as an option)`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(host)) return `the host ${JSON.stringify(host)} holds whitespace or a control character`;
  if (host.includes('@')) return `the host ${JSON.stringify(host)} holds a second "@"`;
  return undefined;
}

/** Why `user` cannot be an ssh login name, or undefined when it can. */
export function userProblem(user: string): string | undefined {
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user))
    return `the user ${JSON.stringify(user)} is not a login name (letters, digits, ".", "_", "-"; not starting with "-")`;
  return undefined;
}

function badHost(why: string, text: string): UserError {
  return new UserError(
    'E_NODE_BAD_HOST',
    `Cannot use ${JSON.stringify(text)} as a node host: ${why}.`,
    'Give `[user@]host[:port]`, e.g. `crewmux node add gpu1 me@gpu1.lan:2222` (an IPv6 address in brackets: `[fd00::5]:22`).',
  );
}

/**
 * Parses `[user@]host[:port]` (an IPv6 address as `[addr]` or `[addr]:port`). Throws E_NODE_BAD_HOST naming
 * what is wrong: an empty or `-`-prefixed host, a bad user, a port outside 1..65535.
 */
export function parseNodeTarget(text: string): NodeTarget {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  if (user !== undefined) {
    const why = user === '' ? 'the user before "@" is empty' : userProblem(user);
    if (why) throw badHost(why, text);
  }
  let port: number | undefined;
  let host: string;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1] ?? '';
    rest = bracketed[2] ?? '';
    if (bracketed[2] !== undefined) port = parsePort(rest, text);
  } else {
    const colons = rest.split(':').length - 1;
    if (colons === 1) {
      host = rest.slice(0, rest.indexOf(':'));
      port = parsePort(rest.slice(rest.indexOf(':') + 1), text);
    } else host = rest; // no port, or a bare IPv6 address
  }
  const why = hostProblem(host);
  if (why) throw badHost(why, text);
  return { host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

function parsePort(s: string, text: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw badHost(`the port ${JSON.stringify(s)} is not a number from 1 to 65535`, text);
  return n;
}

/** `user@host:port` as a person writes it (IPv6 in brackets when a port follows). */
export function formatTarget(t: NodeTarget): string {
  const host = t.port !== undefined && t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user !== undefined ? `${t.user}@` : ''}${host}${t.port !== undefined ? `:${t.port}` : ''}`;
}

/** Throws E_NODE_BAD_NAME unless `name` matches NODE_NAME_PATTERN. */
export function checkNodeName(name: string): string {
  if (!NODE_NAME_PATTERN.test(name))
    throw new UserError(
      'E_NODE_BAD_NAME',
      `${JSON.stringify(name)} is not a node name: use lowercase letters, digits, "-" and "_" (at most 32, starting with a letter or digit).`,
    );
  return name;
}
