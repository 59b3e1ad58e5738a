/**
 * skill.toml: the manifest of a skill folder (docs/skills.md). Parsed with smol-toml, validated with
 * zod; a failure names the key that is wrong. Pure: callers pass the file's text.
 */
import { parse, TomlError } from 'smol-toml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { PERSPECTIVES } from '../workers/perspectives.js';

/** A skill name: also its install folder name, so no dots, slashes or leading dashes. */
export const SKILL_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const SkillNameSchema = z
  .string()
  .regex(SKILL_NAME_RE, 'expected 1-64 of a-z, 0-9, "-", "_", starting with a letter or digit');

export const SkillTriggersSchema = z
  .object({
    /** Whole words or phrases, matched case-insensitively in the task text. */
    keywords: z.array(z.string().trim().min(1).max(80)).max(100).default([]),
    /** Globs (`**` spans folders) matched against the worker's file scope and paths named in the task. */
    files: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
    /** Perspectives the skill always applies to. */
    perspectives: z.array(z.enum(PERSPECTIVES)).max(PERSPECTIVES.length).default([]),
  })
  .strict();

export const SkillManifestSchema = z
  .object({
    name: SkillNameSchema,
    version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/, 'expected a semantic version like "1.0.0"'),
    description: z.string().trim().min(1).max(300),
    author: z.string().trim().min(1).max(200).optional(),
    triggers: SkillTriggersSchema,
  })
  .strict()
  .refine((m) => m.triggers.keywords.length + m.triggers.files.length + m.triggers.perspectives.length > 0, {
    message: 'expected at least one of keywords, files or perspectives',
    path: ['triggers'],
  });

/** Size limits of a skill folder, checked on install and on load. */
export const SKILL_LIMITS = {
  maxFiles: 200,
  maxTotalBytes: 1024 * 1024,
  maxFileBytes: 256 * 1024,
  /** skill.md is injected into prompts, so it is kept well under a prompt's skill budget. */
  maxSkillMdBytes: 12 * 1024,
  maxDepth: 8,
} as const;

export type SkillLimits = { [K in keyof typeof SKILL_LIMITS]: number };

export type SkillManifest = z.infer<typeof SkillManifestSchema>;
export type SkillTriggers = z.infer<typeof SkillTriggersSchema>;

/** Throws E_SKILL_NAME unless `name` is a valid skill name (the guard against `../x` and friends). */
export function assertSkillName(name: string): string {
  if (!SKILL_NAME_RE.test(name)) {
    throw new UserError(
      'E_SKILL_NAME',
      `Invalid skill name ${JSON.stringify(name)}: expected 1-64 of a-z, 0-9, "-", "_", starting with a letter or digit.`,
    );
  }
  return name;
}

/**
 * Parses and validates skill.toml text; `where` (a path) prefixes messages. Throws E_SKILL_MANIFEST
 * naming the first wrong key (`triggers.keywords.0: expected string`) or the TOML syntax position.
 */
export function parseSkillManifest(text: string, where = 'skill.toml'): SkillManifest {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    const pos = e instanceof TomlError ? ` at line ${e.line}, column ${e.column}` : '';
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new UserError('E_SKILL_MANIFEST', `${where}: not valid TOML${pos}: ${first}`);
  }
  const r = SkillManifestSchema.safeParse(raw);
  if (!r.success) throw new UserError('E_SKILL_MANIFEST', `${where}: ${describeIssue(r.error)}`);
  return r.data;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid manifest';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => [...issue.path, k].join('.'));
    return `unknown key ${keys.join(', ')} (allowed: name, version, description, author, triggers.keywords, triggers.files, triggers.perspectives)`;
  }
  const path = issue.path.length ? issue.path.join('.') : '(top level)';
  const msg = issue.message.replace(/^Invalid input: /, '');
  return /received undefined$/.test(msg)
    ? `${path}: missing (${msg.replace(/, received undefined$/, '')})`
    : `${path}: ${msg}`;
}
