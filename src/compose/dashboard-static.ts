/** The dashboard page's static files, read from this package's src/dashboard/static (shipped as source). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIfExists } from '../adapters/system/files.js';
import type { StaticReader } from '../dashboard/static-routes.js';

/** src/dashboard/static of this package, from dist/src/compose (compiled). */
export function packageStaticDir(): string {
  return fileURLToPath(new URL('../../../src/dashboard/static/', import.meta.url));
}

/** A reader of the page's files in `dir` (default: the package's own). */
export function staticReader(dir = packageStaticDir()): StaticReader {
  return (name) => readIfExists(join(dir, name));
}
