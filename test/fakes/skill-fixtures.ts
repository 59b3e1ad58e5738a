/** Temp homes and skill folders for skill tests; everything lives under one os.tmpdir() folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolvePaths, type Paths } from '../../src/app/session/paths.js';

export interface SkillSandbox {
  root: string;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** An empty builtin dir, so tests do not depend on the package's skills/. */
  builtinDir: string;
  project: string;
  cleanup(): void;
}

/** A temp root with config, data, builtin and project folders; never the real HOME. */
export function createSkillSandbox(): SkillSandbox {
  const root = mkdtempSync(join(tmpdir(), 'crewmux-skills-'));
  const env = {
    CREWMUX_CONFIG_DIR: join(root, 'config'),
    CREWMUX_DATA_DIR: join(root, 'data'),
    CREWMUX_RUNTIME_DIR: join(root, 'run'),
  };
  const builtinDir = join(root, 'builtin');
  const project = join(root, 'project');
  mkdirSync(builtinDir, { recursive: true });
  mkdirSync(project, { recursive: true });
  return {
    root,
    env,
    paths: resolvePaths(env, join(root, 'home'), 1000),
    builtinDir,
    project,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface SkillSpec {
  name: string;
  keywords?: string[];
  files?: string[];
  perspectives?: string[];
  text?: string;
  extra?: Record<string, string>;
}

/** Writes a skill folder at `dir` (skill.toml, skill.md, extra files) and returns `dir`. */
export function writeSkill(dir: string, s: SkillSpec): string {
  const list = (xs: string[] = []) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const toml = [
    `name = ${JSON.stringify(s.name)}`,
    'version = "1.0.0"',
    `description = "The ${s.name} skill"`,
    '[triggers]',
    `keywords = ${list(s.keywords)}`,
    `files = ${list(s.files)}`,
    `perspectives = ${list(s.perspectives)}`,
    '',
  ].join('\n');
  const files: Record<string, string> = {
    'skill.toml': toml,
    'skill.md': s.text ?? `Guidance from ${s.name}.\n`,
    ...(s.extra ?? {}),
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}
