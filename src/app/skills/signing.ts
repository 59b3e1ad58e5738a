/** Signing keys, signing a skill folder, and the trusted-keys list (use cases behind `crewmux skill ...`). */
import { join } from 'node:path';
import type { Paths } from '../session/paths.js';
import { findSkill, judgeSkillFiles, type LoadedSkill, type SkillRoots } from './catalog.js';
import { pathExists, readSkillFolder } from '../../adapters/skills/skill-folder.js';
import { writeFileAtomic } from '../../adapters/system/files.js';
import {
  createTrustStore,
  defaultSigningKeyPath,
  readSigningKey,
  writeSigningKey,
} from '../../adapters/skills/trust-store.js';
import { UserError } from '../../core/errors.js';
import { KeyNameSchema, type TrustedKeyEntry } from '../../core/skills/key-files.js';
import { assertSkillName } from '../../core/skills/manifest.js';
import {
  generateKeyPair,
  PublicKeySchema,
  publicKeyOf,
  SIGNATURE_FILE,
  signSkillFiles,
} from '../../core/skills/signature.js';

/**
 * Creates an Ed25519 signing key at `out` (default `<configDir>/signing-key.json`, mode 0600) and, unless
 * `trust` is false, trusts its public key as `name`. Throws E_SKILL_KEY_EXISTS rather than overwrite
 * unless `force`.
 */
export function keygen(o: {
  paths: Paths;
  out?: string;
  force: boolean;
  trust: boolean;
  name: string;
  now: () => number;
}): { keyFile: string; publicKey: string; trustedAs?: string } {
  const keyFile = o.out ?? defaultSigningKeyPath(o.paths.configDir);
  if (pathExists(keyFile) && !o.force)
    throw new UserError('E_SKILL_KEY_EXISTS', `A signing key already exists at ${keyFile}.`);
  const kp = generateKeyPair();
  writeSigningKey(keyFile, { format: 'crewmux-signing-key-v1', algorithm: 'ed25519', ...kp });
  if (!o.trust) return { keyFile, publicKey: kp.publicKey };
  const entry = trustKey({ paths: o.paths, publicKey: kp.publicKey, name: o.name, now: o.now });
  return { keyFile, publicKey: kp.publicKey, trustedAs: entry.name };
}

/**
 * Signs the skill folder `dir` with the key file `keyFile` (default: keygen's): checks the folder like
 * an install would (safety, size, manifest), then writes `skill.sig` over every other file. Returns
 * the signer's public key and the digest.
 */
export function signSkillDir(o: { paths: Paths; dir: string; keyFile?: string }): {
  dir: string;
  name: string;
  publicKey: string;
  digest: string;
  signatureFile: string;
} {
  const key = readSigningKey(o.keyFile ?? defaultSigningKeyPath(o.paths.configDir));
  if (publicKeyOf(key.secretKey) !== key.publicKey)
    throw new UserError(
      'E_SKILL_KEY',
      'The signing key file is inconsistent: its public key does not belong to its secret key.',
    );
  const files = readSkillFolder(o.dir).filter((f) => f.path !== SIGNATURE_FILE);
  const judged = judgeSkillFiles(files, { dir: o.dir, source: 'global', trusted: [], requireSigned: false });
  if (!judged.manifest || judged.refusal)
    throw new UserError('E_SKILL_MANIFEST', judged.refusal ?? `${o.dir}: no valid skill.toml.`);
  const text = signSkillFiles(files, key.secretKey);
  const signatureFile = join(o.dir, SIGNATURE_FILE);
  writeFileAtomic(signatureFile, text, 0o644);
  return { dir: o.dir, name: judged.manifest.name, publicKey: key.publicKey, digest: judged.digest!, signatureFile };
}

/** Adds `publicKey` to the trusted list as `name` (replacing an entry of the same key or name). Throws E_SKILL_KEY on a malformed key or name. */
export function trustKey(o: { paths: Paths; publicKey: string; name?: string; now: () => number }): TrustedKeyEntry {
  const pk = PublicKeySchema.safeParse(o.publicKey.trim());
  if (!pk.success)
    throw new UserError(
      'E_SKILL_KEY',
      `Not an Ed25519 public key: ${JSON.stringify(o.publicKey)} (expected 44 characters of base64).`,
    );
  const name = o.name ?? `key-${pk.data.slice(0, 8).replace(/[^A-Za-z0-9]/g, 'x')}`;
  if (!KeyNameSchema.safeParse(name).success)
    throw new UserError(
      'E_SKILL_KEY',
      `Invalid key name ${JSON.stringify(name)}: use letters, digits, ".", "_", "@", "-".`,
    );
  const store = createTrustStore(o.paths.configDir);
  const entry: TrustedKeyEntry = { name, publicKey: pk.data, addedAt: new Date(o.now()).toISOString() };
  store.save([...store.list().filter((k) => k.publicKey !== pk.data && k.name !== name), entry]);
  return entry;
}

/** Removes the trusted key named `key` (by name or public key); throws E_SKILL_KEY when none matches. */
export function untrustKey(o: { paths: Paths; key: string }): TrustedKeyEntry {
  const store = createTrustStore(o.paths.configDir);
  const keys = store.list();
  const hit = keys.find((k) => k.name === o.key || k.publicKey === o.key.trim());
  if (!hit)
    throw new UserError(
      'E_SKILL_KEY',
      `No trusted key named ${JSON.stringify(o.key)}.`,
      'Run `crewmux skill list --json` to see trusted keys.',
    );
  store.save(keys.filter((k) => k !== hit));
  return hit;
}

/** The trusted keys. */
export function listTrustedKeys(paths: Paths): TrustedKeyEntry[] {
  return createTrustStore(paths.configDir).list();
}

/** The visible skill `name` with its trust state; `ok` is true only for a trusted signature or a built-in. Throws E_SKILL_NOT_FOUND. */
export function verifySkill(r: SkillRoots, name: string): { skill: LoadedSkill; ok: boolean } {
  assertSkillName(name);
  const skill = findSkill({ ...r, requireSigned: true }, name);
  if (!skill) throw new UserError('E_SKILL_NOT_FOUND', `No skill named ${name}.`);
  return { skill, ok: skill.trust.status === 'trusted' || skill.trust.status === 'builtin' };
}
