/**
 * Installing and removing skills. `addSkills` is all-or-nothing: it reads and checks every skill of the
 * source (safety, size, manifest, signature policy) before writing anything, writes the checked bytes
 * (not the source again) into a staging folder beside the target, renames them into place, and removes
 * the staging folder whatever happens.
 */
import { join, resolve } from 'node:path';
import type { Paths } from '../session/paths.js';
import { judgeSkillFiles, projectSkillsDir, type LoadedSkill, type SkillSource } from './catalog.js';
import {
  isFile,
  listSkillFolders,
  makeStagingDir,
  movePath,
  pathExists,
  readSkillFolder,
  removeStaleStaging,
  removeTree,
  writeSkillFiles,
} from '../../adapters/skills/skill-folder.js';
import { cloneSkillRepo, isGitUrl } from '../../adapters/skills/skill-source.js';
import { createTrustStore } from '../../adapters/skills/trust-store.js';
import { UserError } from '../../core/errors.js';
import { assertSkillName } from '../../core/skills/manifest.js';
import type { TrustedKey } from '../../core/skills/signature.js';

export type InstallScope = 'global' | 'project';

export interface AddSkillsOptions {
  paths: Paths;
  /** Required for scope `project`. */
  projectRoot?: string;
  /** A git URL or a local folder (one skill, or a folder whose subfolders or `skills/` hold skills). */
  source: string;
  scope: InstallScope;
  /** Replace installed skills of the same name. */
  force: boolean;
  requireSigned: boolean;
  /** Resolves a relative local source (callers pass it; process.cwd() is not read here). */
  cwd: string;
  /** Milliseconds since the epoch; for aging out staging folders of killed installs. Default Date.now. */
  now?: () => number;
}

/** A staging folder untouched this long (ms) belonged to an install that was killed. */
const STALE_STAGING_MS = 60 * 60 * 1000;

export interface InstalledSkill {
  name: string;
  version: string;
  dir: string;
  trust: LoadedSkill['trust'];
  replaced: boolean;
}

/** The install folder for a scope; throws E_SKILL_SOURCE for `project` outside a repository. */
export function scopeDir(paths: Paths, scope: InstallScope, projectRoot?: string): string {
  if (scope === 'global') return paths.skillsDir;
  if (!projectRoot)
    throw new UserError(
      'E_NOT_GIT_REPO',
      'Project skills need a git repository.',
      'cd into your repository, or install globally (without --project).',
    );
  return projectSkillsDir(projectRoot);
}

/** Installs every skill found at `opts.source` (see the top of the file); returns what was installed. */
export async function addSkills(opts: AddSkillsOptions): Promise<InstalledSkill[]> {
  const targetRoot = scopeDir(opts.paths, opts.scope, opts.projectRoot);
  const trusted = createTrustStore(opts.paths.configDir).list();
  removeStaleStaging(targetRoot, STALE_STAGING_MS, (opts.now ?? Date.now)());
  const staging = makeStagingDir(targetRoot, opts.scope === 'project');
  try {
    let sourceDir: string;
    if (isGitUrl(opts.source)) {
      sourceDir = join(staging, 'clone');
      await cloneSkillRepo(opts.source, sourceDir);
    } else {
      sourceDir = resolve(opts.cwd, opts.source);
      if (!pathExists(sourceDir)) throw new UserError('E_SKILL_SOURCE', `${opts.source}: no such file or folder.`);
    }
    const candidates = findSkillDirs(sourceDir);
    if (candidates.length === 0)
      throw new UserError(
        'E_SKILL_SOURCE',
        `${opts.source} holds no skill.toml (at its top, in its subfolders, or under skills/).`,
      );

    const checked = candidates.map((dir) => checkForInstall(dir, trusted, opts.requireSigned));
    const names = new Set<string>();
    for (const c of checked) {
      if (names.has(c.name)) throw new UserError('E_SKILL_SOURCE', `${opts.source} holds two skills named ${c.name}.`);
      names.add(c.name);
      if (pathExists(join(targetRoot, c.name)) && !opts.force) {
        throw new UserError(
          'E_SKILL_EXISTS',
          `A ${opts.scope} skill named ${c.name} is already installed at ${join(targetRoot, c.name)}.`,
        );
      }
    }
    for (const c of checked) writeSkillFiles(join(staging, 'out', c.name), c.files, opts.scope === 'project');
    return swapIntoPlace(
      targetRoot,
      staging,
      checked.map((c) => c.name),
    ).map((replaced, i) => {
      const c = checked[i]!;
      return { name: c.name, version: c.version, dir: join(targetRoot, c.name), trust: c.trust, replaced };
    });
  } finally {
    removeTree(staging);
  }
}

function findSkillDirs(sourceDir: string): string[] {
  if (isFile(join(sourceDir, 'skill.toml'))) return [sourceDir];
  const direct = listSkillFolders(sourceDir).map((s) => s.dir);
  return direct.length ? direct : listSkillFolders(join(sourceDir, 'skills')).map((s) => s.dir);
}

function checkForInstall(dir: string, trusted: readonly TrustedKey[], requireSigned: boolean) {
  // One read: the bytes judged here are the bytes installed, whatever happens to the source meanwhile.
  const files = readSkillFolder(dir); // throws E_SKILL_UNSAFE / E_SKILL_TOO_LARGE / E_SKILL_SOURCE
  const s = judgeSkillFiles(files, { dir, source: 'global', trusted, requireSigned });
  if (!s.manifest) throw new UserError('E_SKILL_MANIFEST', s.refusal ?? `${dir}: no valid skill.toml.`);
  const name = assertSkillName(s.manifest.name);
  if (s.trust.status === 'invalid')
    throw new UserError('E_SKILL_BAD_SIGNATURE', `Skill ${name} (${dir}): ${s.trust.reason}.`);
  if (requireSigned && s.trust.status === 'unsigned')
    throw new UserError('E_SKILL_UNSIGNED', `Skill ${name} (${dir}) is not signed, and signed skills are required.`);
  if (requireSigned && s.trust.status === 'untrusted')
    throw new UserError(
      'E_SKILL_UNTRUSTED',
      `Skill ${name} (${dir}) is signed by ${s.trust.publicKey}, which is not a trusted key, and trusted signatures are required.`,
    );
  if (s.refusal) throw new UserError('E_SKILL_MANIFEST', `Skill ${name} (${dir}): ${s.refusal}.`);
  return { name, version: s.manifest.version, trust: s.trust, files };
}

/** Moves staged skills into place, keeping replaced ones until all moves succeed; returns "replaced" flags. */
function swapIntoPlace(targetRoot: string, staging: string, names: string[]): boolean[] {
  const done: { name: string; replaced: boolean; movedIn: boolean }[] = [];
  try {
    for (const name of names) {
      const dest = join(targetRoot, name);
      const step = { name, replaced: pathExists(dest), movedIn: false };
      done.push(step);
      if (step.replaced) movePath(dest, join(staging, `old-${name}`));
      movePath(join(staging, 'out', name), dest);
      step.movedIn = true;
    }
  } catch (e) {
    for (const step of done.reverse()) {
      const dest = join(targetRoot, step.name);
      if (step.movedIn) removeTree(dest);
      if (step.replaced && pathExists(join(staging, `old-${step.name}`)))
        movePath(join(staging, `old-${step.name}`), dest);
    }
    throw e;
  }
  return done.map((d) => d.replaced);
}

/** Removes an installed skill of `scope`; throws E_SKILL_NAME for a bad name, E_SKILL_NOT_FOUND when absent. */
export function removeSkill(opts: { paths: Paths; projectRoot?: string; scope: InstallScope; name: string }): {
  name: string;
  dir: string;
  source: SkillSource;
} {
  assertSkillName(opts.name);
  const dir = join(scopeDir(opts.paths, opts.scope, opts.projectRoot), opts.name);
  if (!pathExists(dir))
    throw new UserError('E_SKILL_NOT_FOUND', `No ${opts.scope} skill named ${opts.name} (looked in ${dir}).`);
  removeTree(dir);
  return { name: opts.name, dir, source: opts.scope };
}
