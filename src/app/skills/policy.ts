/**
 * Whether signed skills are required: `--require-signed-skills`, or `requireSignedSkills: true` in the
 * global or the project config. Any one of them turns it on and none turns it off, so a cloned
 * repository's config cannot weaken the user's global choice.
 */
import { join } from 'node:path';
import type { Paths } from '../session/paths.js';
import { loadConfigFile as readConfigFile } from '../session/config.js';

/** The effective require-signed policy (see the top of the file). */
export function requireSignedSkills(o: { flag?: boolean; paths: Paths; projectRoot?: string }): boolean {
  if (o.flag === true) return true;
  if (readConfigFile(join(o.paths.configDir, 'config.json')).requireSignedSkills === true) return true;
  return (
    o.projectRoot !== undefined &&
    readConfigFile(join(o.projectRoot, '.crewmux', 'config.json')).requireSignedSkills === true
  );
}
