/**
 * crewmux's version for `crewmux --version` and crash reports: a module of its own so that those load only this and
 * package-version.ts, not app-context.ts (which brings the store, its sub-stores and SQLite).
 */
import { readPackageVersion } from '../adapters/system/package-version.js';

/** crewmux's version, from package.json (throws when it cannot be read). */
export const crewmuxVersion = readPackageVersion;
