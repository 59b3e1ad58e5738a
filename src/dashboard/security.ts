/**
 * The dashboard's guard: every request needs the token (query `token` or `Authorization: Bearer`),
 * a loopback Host naming the listening port (DNS-rebinding protection), and no foreign Origin or
 * cross-site fetch. Every response carries the security headers below.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Content Security Policy: only our own script and style, no framing, no forms, no base URI. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers sent on every response (also written by hand on hijacked SSE responses). */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token a request carries, from `?token=` or `Authorization: Bearer`, else undefined. */
export function requestToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = req.query as Record<string, unknown> | undefined;
  return typeof q?.token === 'string' ? q.token : undefined;
}

/** Splits a Host header into hostname and port (80 when absent); undefined when malformed. */
export function parseHost(host: string | undefined): { hostname: string; port: number } | undefined {
  if (!host) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return undefined;
  return { hostname: m[1]!.toLowerCase(), port: m[2] ? Number(m[2]) : 80 };
}

/**
 * The extra rules of the dashboard's writes (answers, approvals), on top of the guard: the token only in the
 * Authorization header (a form or an image cannot set one) and only a JSON body (a cross-origin JSON POST needs a
 * preflight the guard's Origin check refuses). Sends the refusal (401, 415) and returns true when it refuses;
 * `example` is the body to show, e.g. `{"answer": "..."}`.
 */
export function refuseUnsafeWrite(req: FastifyRequest, reply: FastifyReply, example: string): boolean {
  if (!req.headers.authorization?.startsWith('Bearer ')) {
    void reply.code(401).send({ error: 'unauthorized', message: 'Writes need the token in an Authorization header.' });
    return true;
  }
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    void reply.code(415).send({ error: 'bad_request', message: `Send the body as JSON: ${example}.` });
    return true;
  }
  return false;
}

export interface GuardOptions {
  token: string;
  /** The port the server listens on, or undefined before listen (inject() in tests). */
  listeningPort(): number | undefined;
}

/** A fastify onRequest hook enforcing Host, Origin, fetch-site and token; refusals are 403/401 JSON. */
export function createGuard(opts: GuardOptions) {
  const want = digest(opts.token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const host = parseHost(req.headers.host);
    const port = opts.listeningPort();
    if (!host || !LOOPBACK_HOSTS.has(host.hostname) || (port !== undefined && host.port !== port)) {
      return reply.code(403).send({ error: 'bad_host', message: 'The Host header must name this loopback server.' });
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      return reply.code(403).send({ error: 'bad_origin', message: 'Cross-origin requests are refused.' });
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      return reply.code(403).send({ error: 'cross_site', message: 'Cross-site requests are refused.' });
    }
    const token = requestToken(req);
    if (token === undefined || !timingSafeEqual(digest(token), want)) {
      return reply.code(401).send({
        error: 'unauthorized',
        message: 'Open the URL that `crewmux dashboard` printed; it carries the token.',
      });
    }
    return undefined;
  };
}
