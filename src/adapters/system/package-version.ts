/** crewmux's own package.json, the one source of its version string. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The `version` of the package.json at the package root (found from this module's place in
 * dist/src/adapters/system/, which the published package keeps). Throws when it is missing or has no version.
 */
export function readPackageVersion(file: URL = new URL('../../../../package.json', import.meta.url)): string {
  // Checked by hand, not with zod: `crewmux --version` and `status` read it, and zod costs ~100 ms to import.
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') throw new Error(`${fileURLToPath(file)} has no "version"`);
  return version;
}
