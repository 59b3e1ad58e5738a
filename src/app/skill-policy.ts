/**
 * Whether signed skills are required: `--require-signed-skills`, or `requireSignedSkills: true` in the
 * global or the project config. Any one of them turns it on and none turns it off, so a cloned
 * repository's config cannot weaken the user's global choice.
 * (Reads only this key; the run loop's own config loader can replace `readConfigFile` when it lands.)
 */
import { join } from 'node:path';
import type { Paths } from './paths.js';
import { readIfExists } from '../adapters/files.js';
import { ConfigSchema, describeConfigError, type Config } from '../core/config-schema.js';
import { UserError } from '../core/errors.js';

/** Parses one config.json; {} when missing. Throws E_CONFIG_UNREADABLE / E_CONFIG_INVALID naming the file. */
export function readConfigFile(file: string): Config {
  const text = readIfExists(file);
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UserError('E_CONFIG_UNREADABLE', `${file}: ${(e as Error).message}`);
  }
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError('E_CONFIG_INVALID', `${file}: ${describeConfigError(r.error)}`);
  return r.data;
}

/** The effective require-signed policy (see the top of the file). */
export function requireSignedSkills(o: { flag?: boolean; paths: Paths; projectRoot?: string }): boolean {
  if (o.flag === true) return true;
  if (readConfigFile(join(o.paths.configDir, 'config.json')).requireSignedSkills === true) return true;
  return o.projectRoot !== undefined && readConfigFile(join(o.projectRoot, '.crewmux', 'config.json')).requireSignedSkills === true;
}
