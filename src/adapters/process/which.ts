/** PATH lookup without spawning a shell. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Absolute path of the first executable named `name` on `pathVar`, or undefined. */
export function which(name: string, pathVar: string | undefined): string | undefined {
  const candidates =
    isAbsolute(name) || name.includes('/')
      ? [name]
      : (pathVar ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
