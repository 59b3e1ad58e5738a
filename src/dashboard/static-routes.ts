/**
 * The page: index.html, app.js and style.css from src/dashboard/static (shipped as source, never
 * compiled), read once at build. The token is written into index.html's asset URLs (it is hex).
 */
import type { FastifyInstance } from 'fastify';

/** Reads one of the page's static files by name (index.html, app.js, style.css); undefined when missing. */
export type StaticReader = (name: string) => string | undefined;

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Registers GET / and the assets; throws at build when a static file is missing. */
export function registerStaticRoutes(app: FastifyInstance, readStatic: StaticReader, token: string): void {
  const read = (name: string) => {
    const text = readStatic(name);
    if (text === undefined) throw new Error(`dashboard static file missing: ${name}`);
    return text;
  };
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('the dashboard token must be URL-safe');
  const index = read('index.html').replaceAll('__TOKEN__', token);
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(index));
  for (const [name, type] of Object.entries(ASSETS)) {
    const body = read(name);
    app.get(`/${name}`, async (_req, reply) => reply.type(type).send(body));
  }
}
