/** crewmux's own package.json, the one source of its version string. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PackageJsonSchema = z.object({ version: z.string().min(1) });

/**
 * The `version` of the package.json at the package root (found from this module's place in
 * dist/src/adapters/, which the published package keeps). Throws when it is missing or has no version.
 */
export function readPackageVersion(file: URL = new URL('../../../package.json', import.meta.url)): string {
  return PackageJsonSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).version;
}
