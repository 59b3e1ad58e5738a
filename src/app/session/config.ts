/**
 * Loading configuration: the global config.json (config dir) under the project's .crewmux/config.json.
 * A file that is not JSON, or that does not match the schema, is a UserError naming the key.
 */
import { join } from 'node:path';
import { readIfExists } from '../../adapters/system/files.js';
import { ConfigSchema, describeConfigError, mergeConfigs, type Config } from '../../core/session/config-schema.js';
import { UserError } from '../../core/errors.js';
import { withoutRepoOnlyForbidden } from '../../core/session/repo-trust.js';
import type { z } from 'zod';

/**
 * A JSON file validated by `schema`; undefined when missing. Not JSON is E_CONFIG_UNREADABLE, a
 * wrong shape E_CONFIG_INVALID naming the key (config.json, hooks.json).
 */
export function loadJsonFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  const text = readIfExists(file);
  return text === undefined ? undefined : parseJsonText(text, file, schema);
}

/** `text` (the contents of `file`) parsed and validated; errors as loadJsonFile's. */
export function parseJsonText<T>(text: string, file: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError('E_CONFIG_UNREADABLE', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UserError('E_CONFIG_INVALID', `${file}: ${describeConfigError(parsed.error)}`);
  return parsed.data;
}

/** One config.json, validated; {} when the file is missing. */
export function loadConfigFile(file: string): Config {
  return loadJsonFile(file, ConfigSchema) ?? {};
}

/**
 * The effective config for a repository, for displays (detect, doctor): global, then project on top, without
 * the keys a repository may not set (base URLs). A run reads the repo through src/app/session/repo-config.ts.
 */
export function loadConfig(configDir: string, repoRoot: string | undefined): Config {
  const global = loadConfigFile(join(configDir, 'config.json'));
  const project = repoRoot ? loadConfigFile(join(repoRoot, '.crewmux', 'config.json')) : {};
  return mergeConfigs(global, withoutRepoOnlyForbidden(project).config);
}

/** Project context files the lead reads (.crewmux/PROJECT.md, CONVENTIONS.md), when present. */
export function loadProjectContext(repoRoot: string): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const name of ['PROJECT.md', 'CONVENTIONS.md']) {
    const text = readIfExists(join(repoRoot, '.crewmux', name));
    if (text?.trim()) out.push({ name, text });
  }
  return out;
}
