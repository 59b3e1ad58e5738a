/**
 * Loading skills and choosing them for a worker. The API the run loop calls:
 *
 *   selectSkillsForWorker(opts: { paths: Paths; projectRoot: string; task: string; fileScope?: string[];
 *     perspective: string; requireSigned: boolean; builtinDir?: string })
 *     : Promise<{ blocks: { title: string; text: string }[]; refused: { name: string; reason: string }[] }>
 *
 * `blocks` (title `Skill: <name>`, text = the skill's skill.md) go to buildWorkerPrompt's `optional`,
 * most specific first; buildWorkerPrompt keeps them inside its budget and reports `included`.
 * `refused` lists skills that would have matched but may not load (bad signature always; unsigned or
 * untrusted under requireSigned; broken manifest or unsafe folder). Skills come from three places, later
 * ones losing on a name clash: `<projectRoot>/.crewmux/skills`, `paths.skillsDir` (global), and the
 * package's `skills/` (built-in; trusted as part of the package). Throws only E_SKILL_TRUST_STORE.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Paths } from '../session/paths.js';
import { listSkillFolders, readSkillFolder } from '../../adapters/skills/skill-folder.js';
import { createTrustStore } from '../../adapters/skills/trust-store.js';
import { UserError } from '../../core/errors.js';
import { parseSkillManifest, SKILL_LIMITS, type SkillManifest } from '../../core/skills/manifest.js';
import {
  checkSkillSignature,
  toHex,
  skillDigest,
  trustRefusal,
  type SkillFile,
  type SkillTrust,
  type TrustedKey,
} from '../../core/skills/signature.js';
import { matchSkill } from '../../core/skills/match.js';

export type SkillSource = 'project' | 'global' | 'builtin';

/** One skill folder as found on disk, whether usable or not. */
export interface LoadedSkill {
  name: string;
  source: SkillSource;
  dir: string;
  manifest?: SkillManifest;
  /** skill.md text, when the folder is readable and valid. */
  text?: string;
  trust: SkillTrust;
  /** SHA-512 hex of the canonical digest, when the folder was readable. */
  digest?: string;
  /** Why this skill may not load (manifest, safety, signature or policy); undefined when usable. */
  refusal?: string;
  /** Sources of same-named skills this one hides. */
  overrides: SkillSource[];
}

export interface SkillRoots {
  paths: Paths;
  projectRoot?: string;
  /** The package's built-in skills folder; defaults to `<package>/skills`. */
  builtinDir?: string;
}

/** The package's `skills/` folder (resolved from this module's location in dist/src/app). */
export function defaultBuiltinSkillsDir(): string {
  return fileURLToPath(new URL('../../../../skills/', import.meta.url));
}

/** The folder that holds a project's skills. */
export function projectSkillsDir(projectRoot: string): string {
  return join(projectRoot, '.crewmux', 'skills');
}

/** Skill roots in precedence order (highest first). */
export function skillRoots(r: SkillRoots): { source: SkillSource; dir: string }[] {
  const roots: { source: SkillSource; dir: string }[] = [];
  if (r.projectRoot) roots.push({ source: 'project', dir: projectSkillsDir(r.projectRoot) });
  roots.push(
    { source: 'global', dir: r.paths.skillsDir },
    { source: 'builtin', dir: r.builtinDir ?? defaultBuiltinSkillsDir() },
  );
  return roots;
}

/** Reads one skill folder and judges it; never throws for problems of the folder itself. */
export function loadSkillFolder(
  dir: string,
  folderName: string,
  source: SkillSource,
  trusted: readonly TrustedKey[],
  requireSigned: boolean,
): LoadedSkill {
  let files: SkillFile[];
  try {
    files = readSkillFolder(dir);
  } catch (e) {
    if (e instanceof UserError)
      return { name: folderName, source, dir, trust: { status: 'unsigned' }, overrides: [], refusal: e.message };
    throw e;
  }
  return judgeSkillFiles(files, { dir, folderName, source, trusted, requireSigned });
}

/**
 * Judges a skill's files already in memory: manifest, skill.md, size, signature and policy. With no
 * `folderName` the manifest's name is used (install sources may be named anything).
 */
export function judgeSkillFiles(
  files: readonly SkillFile[],
  o: { dir: string; folderName?: string; source: SkillSource; trusted: readonly TrustedKey[]; requireSigned: boolean },
): LoadedSkill {
  const base: LoadedSkill = {
    name: o.folderName ?? '',
    source: o.source,
    dir: o.dir,
    trust: { status: 'unsigned' },
    overrides: [],
  };
  try {
    base.digest = toHex(skillDigest(files));
    const manifestFile = files.find((f) => f.path === 'skill.toml');
    if (!manifestFile) return { ...base, refusal: 'no skill.toml' };
    const manifest = parseSkillManifest(new TextDecoder().decode(manifestFile.content), join(o.dir, 'skill.toml'));
    base.name = manifest.name;
    if (o.folderName !== undefined && manifest.name !== o.folderName) {
      return {
        ...base,
        name: o.folderName,
        manifest,
        refusal: `the folder is named ${o.folderName} but skill.toml says ${manifest.name}`,
      };
    }
    const md = files.find((f) => f.path === 'skill.md');
    if (!md) return { ...base, manifest, refusal: 'no skill.md' };
    if (md.content.byteLength > SKILL_LIMITS.maxSkillMdBytes)
      return { ...base, manifest, refusal: `skill.md is larger than ${SKILL_LIMITS.maxSkillMdBytes} bytes` };
    const trust: SkillTrust = o.source === 'builtin' ? { status: 'builtin' } : checkSkillSignature(files, o.trusted);
    return {
      ...base,
      manifest,
      trust,
      text: new TextDecoder().decode(md.content),
      refusal: trustRefusal(trust, o.requireSigned),
    };
  } catch (e) {
    if (e instanceof UserError) return { ...base, refusal: e.message };
    if (e instanceof Error) return { ...base, refusal: e.message };
    throw e;
  }
}

/**
 * Every skill visible from a project, one per name (project over global over built-in), sorted by
 * name; `overrides` tells which lower copies were hidden. Throws E_SKILL_TRUST_STORE.
 */
export function loadSkills(r: SkillRoots & { requireSigned: boolean }): LoadedSkill[] {
  const trusted = createTrustStore(r.paths.configDir).list();
  const byName = new Map<string, LoadedSkill>();
  for (const root of skillRoots(r)) {
    for (const { name, dir } of listSkillFolders(root.dir)) {
      const seen = byName.get(name);
      if (seen) {
        seen.overrides.push(root.source);
        continue;
      }
      byName.set(name, loadSkillFolder(dir, name, root.source, trusted, r.requireSigned));
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Finds one visible skill by name (after precedence), or undefined. */
export function findSkill(r: SkillRoots & { requireSigned: boolean }, name: string): LoadedSkill | undefined {
  return loadSkills(r).find((s) => s.name === name);
}

export interface SelectSkillsOptions {
  paths: Paths;
  projectRoot: string;
  task: string;
  fileScope?: string[];
  perspective: string;
  requireSigned: boolean;
  /** Tests point this at a fixture; defaults to the package's skills/. */
  builtinDir?: string;
  /** Skills already loaded (the supervisor caches them between spawns). */
  preloaded?: LoadedSkill[];
}

/** loadSkills, remembered for `ttlMs` (default 10 000): skill folders change rarely during a run. */
export function createSkillCache(r: SkillRoots & { requireSigned: boolean }, now: () => number, ttlMs = 10_000) {
  let cached: { at: number; skills: LoadedSkill[] } | undefined;
  return (): LoadedSkill[] => {
    if (!cached || now() - cached.at > ttlMs) cached = { at: now(), skills: loadSkills(r) };
    return cached.skills;
  };
}

/**
 * Runs the matcher over every skill's triggers twice with a made-up worker: V8 compiles a keyword's Unicode,
 * case-folding RegExp on its first use and to machine code on its second (~45 ms for the shipped skills, measured),
 * and the compiled code is kept by source. Called at the supervisor's start, so the first spawns do not pay it.
 */
export function warmSkillMatcher(skills: readonly LoadedSkill[]): void {
  const input = { task: 'warm up the skill matcher', fileScope: ['src/index.ts'], perspective: 'implementer' };
  for (let i = 0; i < 2; i++) for (const s of skills) if (s.manifest) matchSkill(s.manifest.triggers, input);
}

const SOURCE_RANK: Record<SkillSource, number> = { project: 0, global: 1, builtin: 2 };

/**
 * The skills matching a worker (see the top of this file): blocks ordered by match score, then
 * project before global before built-in, then name; refusals for matching skills that may not load
 * (a skill whose manifest cannot be read is refused whether or not it would have matched).
 */
export async function selectSkillsForWorker(
  opts: SelectSkillsOptions,
): Promise<{ blocks: { title: string; text: string }[]; refused: { name: string; reason: string }[] }> {
  const skills =
    opts.preloaded ??
    loadSkills({
      paths: opts.paths,
      projectRoot: opts.projectRoot,
      builtinDir: opts.builtinDir,
      requireSigned: opts.requireSigned,
    });
  const input = { task: opts.task, fileScope: opts.fileScope, perspective: opts.perspective };
  const chosen: { skill: LoadedSkill; score: number }[] = [];
  const refused: { name: string; reason: string }[] = [];
  for (const skill of skills) {
    if (!skill.manifest) {
      refused.push({ name: skill.name, reason: skill.refusal ?? 'unreadable' });
      continue;
    }
    const m = matchSkill(skill.manifest.triggers, input);
    if (!m.matched) continue;
    if (skill.refusal || skill.text === undefined) {
      refused.push({ name: skill.name, reason: `${skill.source} skill: ${skill.refusal ?? 'unreadable'}` });
      continue;
    }
    chosen.push({ skill, score: m.score });
  }
  chosen.sort(
    (a, b) =>
      b.score - a.score ||
      SOURCE_RANK[a.skill.source] - SOURCE_RANK[b.skill.source] ||
      a.skill.name.localeCompare(b.skill.name),
  );
  return {
    blocks: chosen.map(({ skill }) => ({ title: `Skill: ${skill.name}`, text: skill.text! })),
    refused,
  };
}
