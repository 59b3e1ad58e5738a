/**
 * The page: index.html, app.js and style.css from src/dashboard/static (shipped as source, never
 * compiled), read once at build. The token is written into index.html's asset URLs (it is hex).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { readIfExists } from '../adapters/files.js';

/** src/dashboard/static of this package, from dist/src/dashboard (compiled) or src/dashboard (source). */
export function defaultStaticDir(): string {
  return fileURLToPath(new URL('../../../src/dashboard/static/', import.meta.url));
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Registers GET / and the assets; throws at build when a static file is missing. */
export function registerStaticRoutes(app: FastifyInstance, dir: string, token: string): void {
  const read = (name: string) => {
    const text = readIfExists(join(dir, name));
    if (text === undefined) throw new Error(`dashboard static file missing: ${join(dir, name)}`);
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
