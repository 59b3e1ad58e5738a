/**
 * Which base URLs crewmux sends API keys to: https anywhere, plain http only to this machine (127.0.0.0/8,
 * ::1, localhost), so a key never crosses a network in clear text.
 */

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

/** True when `host` (a URL's hostname) names this machine: localhost, ::1 or 127.0.0.0/8. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/** Why `url` may not be a service's base URL (not http(s), or http to another machine); undefined when it may. */
export function serviceUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol !== 'http:') return `${JSON.stringify(url)} is not an http(s) URL`;
  if (isLoopbackHost(u.hostname)) return undefined;
  return `${JSON.stringify(url)} uses plain http to another machine; use https (http only to 127.0.0.1, ::1 or localhost)`;
}
