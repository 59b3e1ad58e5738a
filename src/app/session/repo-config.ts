/**
 * A repository's crewmux config as one snapshot: the trusted material (src/core/session/repo-trust.ts) read
 * from the user's checkout when a run starts (or resumes), parsed, and stored in the session dir
 * (`repo-config.json`, 0600). The supervisor, hooks and verify read the session's copy, never the
 * checkout or the integration worktree again, so what runs is what the user trusted.
 */
import { join } from 'node:path';
import { z } from 'zod';
import {
  needsTrust,
  repoConfigHash,
  repoConfigMaterial,
  withoutRepoOnlyForbidden,
  type RepoConfigMaterial,
} from '../../core/session/repo-trust.js';
import { ConfigSchema, mergeConfigs, type Config } from '../../core/session/config-schema.js';
import { HooksFileSchema, hookCommands, type HookCommand } from '../../core/session/hooks.js';
import { verifyCommandsFromProject } from '../../core/integration/verify-commands.js';
import { conductorSetupScript } from '../../core/worktrees/bootstrap.js';
import { readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import { loadConfigFile, parseJsonText } from './config.js';
import type { Runtime } from '../runtime.js';

/** The repo config a session runs with: where it came from, its bytes and their hash. */
export interface RepoConfigSnapshot {
  /** The repository root (git's toplevel, symlinks resolved): the trust store's key. */
  root: string;
  material: RepoConfigMaterial;
  /** repoConfigHash(material). */
  hash: string;
}

const SnapshotSchema = z.object({
  root: z.string(),
  material: z.object({
    'config.json': z.string().optional(),
    'hooks.json': z.string().optional(),
    'PROJECT.md#how-to-verify': z.string().optional(),
    'conductor.json#scripts.setup': z.string().optional(),
  }),
  hash: z.string(),
});

/** The commands verify runs when the lead passes none, and where they came from. */
export interface ConfiguredVerify {
  source: string;
  commands: string[];
}

/** A snapshot parsed: the repo's config.json (forbidden keys dropped), hooks, verify commands, warnings. */
export interface ParsedRepoConfig {
  config: Config;
  hooks: HookCommand[];
  /** PROJECT.md's How to verify commands (config.json `verify` is in `config`). */
  projectVerify: string[];
  /** conductor.json's `scripts.setup` (used for new worktrees when config.json has no `worktree.setup`). */
  conductorSetup?: string;
  /** Keys of the repo's config.json that were ignored, one sentence each. */
  warnings: string[];
}

/** Reads the material from the checkout at `root` (git's toplevel) and hashes it. */
export function readRepoConfig(root: string): RepoConfigSnapshot {
  const dir = join(root, '.crewmux');
  const material = repoConfigMaterial(
    {
      configJson: readIfExists(join(dir, 'config.json')),
      hooksJson: readIfExists(join(dir, 'hooks.json')),
      projectMd: readIfExists(join(dir, 'PROJECT.md')),
      conductorSetup: conductorSetupScript(readIfExists(join(root, 'conductor.json'))),
    },
    verifyCommandsFromProject,
  );
  return { root, material, hash: repoConfigHash(material) };
}

/** A snapshot with nothing in it (a session recorded before snapshots existed: no repo config runs). */
export function emptyRepoConfig(root: string): RepoConfigSnapshot {
  return { root, material: {}, hash: repoConfigHash({}) };
}

/** Whether the snapshot holds anything that needs the user's trust. */
export function repoConfigNeedsTrust(snap: RepoConfigSnapshot): boolean {
  return needsTrust(snap.material);
}

/** Parses a snapshot; a broken file is E_CONFIG_UNREADABLE / E_CONFIG_INVALID naming it. */
export function parseRepoConfig(snap: RepoConfigSnapshot): ParsedRepoConfig {
  const m = snap.material;
  const raw =
    m['config.json'] !== undefined ? parseJsonText(m['config.json'], '.crewmux/config.json', ConfigSchema) : {};
  const { config, warnings } = withoutRepoOnlyForbidden(raw);
  const hooksFile =
    m['hooks.json'] !== undefined ? parseJsonText(m['hooks.json'], '.crewmux/hooks.json', HooksFileSchema) : undefined;
  return {
    config,
    hooks: hooksFile ? hookCommands([{ source: 'project .crewmux/hooks.json', file: hooksFile }]) : [],
    projectVerify: m['PROJECT.md#how-to-verify'] ? verifyCommandsFromProject(m['PROJECT.md#how-to-verify']) : [],
    conductorSetup: m['conductor.json#scripts.setup'],
    warnings,
  };
}

/** The effective config of a run: the global config.json (always trusted), the snapshot's on top. */
export function effectiveConfig(configDir: string, parsed: ParsedRepoConfig): Config {
  return mergeConfigs(loadConfigFile(join(configDir, 'config.json')), parsed.config);
}

/** Verify's configured commands: config.json `verify` (project over global), else PROJECT.md's How to verify. */
export function configuredVerify(config: Config, parsed: ParsedRepoConfig): ConfiguredVerify {
  if (config.verify?.length)
    return {
      source: parsed.config.verify?.length ? '.crewmux/config.json' : 'the global config.json',
      commands: config.verify,
    };
  return { source: '.crewmux/PROJECT.md', commands: parsed.projectVerify };
}

/** Where a session keeps its snapshot. */
export function sessionRepoConfigFile(sessionDir: string): string {
  return join(sessionDir, 'repo-config.json');
}

/** Stores the snapshot in the session dir (0600, atomic: never through a planted symlink). */
export function saveSessionRepoConfig(sessionDir: string, snap: RepoConfigSnapshot): void {
  writeFileAtomic(sessionRepoConfigFile(sessionDir), JSON.stringify(snap, null, 2) + '\n', 0o600);
}

/** The session's stored snapshot; undefined when there is none (or it is unreadable). */
export function loadSessionRepoConfig(sessionDir: string): RepoConfigSnapshot | undefined {
  const text = readIfExists(sessionRepoConfigFile(sessionDir));
  if (text === undefined) return undefined;
  try {
    return SnapshotSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Sets `rt.config` and `rt.configuredVerify` from the user's checkout at `rt.repoRoot` as it is now, as if
 * the session started here (tests; the supervisor uses the stored snapshot through openRuntime).
 */
export function bindSessionRepoConfig(rt: Runtime): void {
  const parsed = parseRepoConfig(readRepoConfig(rt.repoRoot));
  rt.config = effectiveConfig(rt.paths.configDir, parsed);
  rt.configuredVerify = configuredVerify(rt.config, parsed);
}
