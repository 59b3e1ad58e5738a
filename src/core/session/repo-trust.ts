/**
 * Repository config is code: a repo's .crewmux/config.json (verify, custom agent commands, and whatever
 * later keys run), .crewmux/hooks.json and the `## How to verify` section of .crewmux/PROJECT.md choose
 * commands crewmux runs. This file says which bytes are trusted together (the "material"), how they are
 * hashed, and which repo keys are never taken from a repo at all (base URLs that receive API keys).
 */
import { createHash } from 'node:crypto';
import type { Config } from './config-schema.js';

/** The trusted bytes of a repository, by name; a missing part is absent. */
export interface RepoConfigMaterial {
  /** .crewmux/config.json, exact bytes. */
  'config.json'?: string;
  /** .crewmux/hooks.json, exact bytes. */
  'hooks.json'?: string;
  /** The `## How to verify` section of .crewmux/PROJECT.md (heading to the next `## `), exact text. */
  'PROJECT.md#how-to-verify'?: string;
  /** The `scripts.setup` command of a conductor.json at the repo root (run in each new worktree without `worktree.setup`). */
  'conductor.json#scripts.setup'?: string;
}

export const MATERIAL_PARTS = [
  'config.json',
  'hooks.json',
  'PROJECT.md#how-to-verify',
  'conductor.json#scripts.setup',
] as const;

/** The `## How to verify` section of a PROJECT.md, heading included; undefined when there is none. */
export function verifySection(markdown: string): string | undefined {
  const m = /^##\s+How to verify\s*$/im.exec(markdown);
  if (!m) return undefined;
  const rest = markdown.slice(m.index + m[0].length);
  const end = rest.search(/^##\s/m);
  return m[0] + (end < 0 ? rest : rest.slice(0, end));
}

/**
 * The material of a repository from its files' texts: config.json and hooks.json when present, the How
 * to verify section only when it holds at least one command (`commandsOf` extracts them), conductor.json's
 * setup script when there is one.
 */
export function repoConfigMaterial(
  files: { configJson?: string; hooksJson?: string; projectMd?: string; conductorSetup?: string },
  commandsOf: (section: string) => string[],
): RepoConfigMaterial {
  const section = files.projectMd === undefined ? undefined : verifySection(files.projectMd);
  return {
    ...(files.conductorSetup !== undefined ? { 'conductor.json#scripts.setup': files.conductorSetup } : {}),
    ...(files.configJson !== undefined ? { 'config.json': files.configJson } : {}),
    ...(files.hooksJson !== undefined ? { 'hooks.json': files.hooksJson } : {}),
    ...(section !== undefined && commandsOf(section).length ? { 'PROJECT.md#how-to-verify': section } : {}),
  };
}

/** True when the repository has config that can run something, so it needs the user's trust. */
export function needsTrust(material: RepoConfigMaterial): boolean {
  return MATERIAL_PARTS.some((p) => material[p] !== undefined);
}

/**
 * sha256 (hex) over the material: each present part as `name NUL length NUL bytes`, in MATERIAL_PARTS
 * order, after a version tag. Any change of a byte, or a part appearing or vanishing, changes it.
 */
export function repoConfigHash(material: RepoConfigMaterial): string {
  const h = createHash('sha256').update('crewmux-repo-config-v1\0');
  for (const part of MATERIAL_PARTS) {
    const text = material[part];
    if (text === undefined) continue;
    const bytes = Buffer.from(text, 'utf8');
    h.update(`${part}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest('hex');
}

/**
 * A repo's config.json without the keys a repository may never set: the router's provider base URLs
 * and the research base URL (requests there carry the user's API keys), and `nodes` (hosts to run work on).
 * Each dropped key is a warning.
 */
export function withoutRepoOnlyForbidden(project: Config): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  const why = 'ignored: base URLs come only from the global config or the environment';
  let config = project;
  if (project.router?.providers) {
    const providers = { ...project.router.providers };
    for (const [name, p] of Object.entries(providers) as [
      keyof typeof providers,
      (typeof providers)[keyof typeof providers],
    ][]) {
      if (p?.baseUrl === undefined) continue;
      warnings.push(`.crewmux/config.json router.providers.${name}.baseUrl is ${why}`);
      const { baseUrl: _dropped, ...rest } = p;
      providers[name] = rest;
    }
    config = { ...config, router: { ...project.router, providers } };
  }
  if (project.research?.baseUrl !== undefined) {
    warnings.push(`.crewmux/config.json research.baseUrl is ${why}`);
    const { baseUrl: _dropped, ...rest } = project.research;
    config = { ...config, research: rest };
  }
  if (project.nodes !== undefined) {
    // A repository never sends work to a host: nodes come from `crewmux node add` (the global config) only.
    warnings.push('.crewmux/config.json nodes is ignored: nodes come only from the global config (`crewmux node add`)');
    const { nodes: _dropped, ...rest } = config;
    config = rest;
  }
  return { config, warnings };
}
