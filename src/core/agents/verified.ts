/**
 * Which versions of an agent CLI crewmux was verified on, and what to tell a user whose installed version lies
 * outside them. Agent CLIs ship weekly and change their screens, dialogs and MCP start-up; a version newer than
 * the verified range is where a status detector starts to lie (docs/agents.md "Agent versions").
 */

/** The oldest and newest versions crewmux's launch entry was run end to end against (both ends tested). */
export interface VerifiedRange {
  min: string;
  max: string;
}

/**
 * How an installed version relates to the verified range: `verified` inside it, `newer` above its max, `older`
 * below its min, `unverified` when the agent has no range (from docs only), `unknown` when no version was read.
 */
export type VersionFit = 'verified' | 'newer' | 'older' | 'unverified' | 'unknown';

interface Parsed {
  nums: number[];
  /** What follows the numbers (`-beta.1`, `-g7618fb`); '' for a release. */
  pre: string;
}

function parse(v: string): Parsed | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(.*)$/.exec(v.trim());
  if (!m) return undefined;
  return { nums: m[1]!.split('.').map(Number), pre: m[2]!.replace(/^\+.*$/, '') };
}

/**
 * Compares two dotted versions numerically (`2.1.40` < `2.1.332`; a missing part is 0); with equal numbers a
 * pre-release suffix sorts before the release and two suffixes compare as text. Text that is no version sorts
 * first. Returns a negative number, 0 or a positive number, like a sort comparator.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  for (let i = 0; i < Math.max(pa.nums.length, pb.nums.length); i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return 0;
  if (!pa.pre) return 1;
  if (!pb.pre) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

/** Where `version` falls against `range` (see VersionFit). */
export function versionFit(version: string | undefined, range: VerifiedRange | undefined): VersionFit {
  if (!range) return 'unverified';
  if (!version || !parse(version)) return 'unknown';
  if (compareVersions(version, range.max) > 0) return 'newer';
  if (compareVersions(version, range.min) < 0) return 'older';
  return 'verified';
}

/** `2.1.197 to 2.1.332`, or the one version when both ends are the same. */
export function describeRange(range: VerifiedRange): string {
  return range.min === range.max ? range.min : `${range.min} to ${range.max}`;
}

/** The install command for version `v` of an agent whose install hint is `install` (npm hints get `@v`). */
function installAt(install: string | undefined, v: string): string {
  const npm = /^(npm (?:install|i) (?:-g )?)(\S+)$/.exec(install ?? '');
  return npm ? `${npm[1]}${npm[2]}@${v}` : `version ${v}`;
}

/**
 * The warning for agent `name` at `version` when it lies outside its verified range, with what may break and what
 * to do; undefined inside the range, without a range, or without a version.
 */
export function versionWarning(
  name: string,
  version: string | undefined,
  range: VerifiedRange | undefined,
  install?: string,
): string | undefined {
  const fit = versionFit(version, range);
  if (!range || (fit !== 'newer' && fit !== 'older')) return undefined;
  const span = describeRange(range);
  if (fit === 'older')
    return (
      `${name} ${version} is older than the versions crewmux was verified on (${span}): ` +
      `update it (${installAt(install, range.max)}).`
    );
  return (
    `${name} ${version} is newer than the versions crewmux was verified on (${span}): its screens, dialogs or MCP ` +
    `start-up may have changed, so a worker's state (ready, busy, waiting), a pre-answered dialog or the lead's ` +
    `start may be wrong. If a run misbehaves, install the verified one (${installAt(install, range.max)}) and ` +
    `report the version with the worker's pane log (docs/agents.md#agent-versions).`
  );
}
