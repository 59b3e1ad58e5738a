/**
 * The trusted skill keys (`<configDir>/trusted-keys.json`, 0600) and signing key files (0600). Reads
 * validate with zod; writes are atomic.
 */
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../system/files.js';
import { UserError } from '../../core/errors.js';
import {
  SigningKeyFileSchema,
  TrustStoreSchema,
  type SigningKeyFile,
  type TrustedKeyEntry,
} from '../../core/skills/key-files.js';

/** Where the trust list lives for a config dir. */
export function trustStorePath(configDir: string): string {
  return join(configDir, 'trusted-keys.json');
}

/** Where `crewmux skill keygen` writes, and `sign` reads, the signing key by default. */
export function defaultSigningKeyPath(configDir: string): string {
  return join(configDir, 'signing-key.json');
}

export interface TrustStoreFile {
  path: string;
  list(): TrustedKeyEntry[];
  save(keys: TrustedKeyEntry[]): void;
}

/** The trust list of `configDir`; `list()` is [] when the file is missing and throws E_SKILL_TRUST_STORE when it is invalid. */
export function createTrustStore(configDir: string): TrustStoreFile {
  const path = trustStorePath(configDir);
  return {
    path,
    list() {
      const text = readIfExists(path);
      if (text === undefined) return [];
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new UserError('E_SKILL_TRUST_STORE', `${path} is not valid JSON.`);
      }
      const r = TrustStoreSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new UserError(
          'E_SKILL_TRUST_STORE',
          `${path}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}.`,
        );
      }
      return r.data.keys;
    },
    save(keys) {
      writeFileAtomic(path, JSON.stringify({ version: 1, keys }, null, 2) + '\n', 0o600);
    },
  };
}

/** Reads a signing key file; throws E_SKILL_KEY naming the file when it is missing or invalid. */
export function readSigningKey(file: string): SigningKeyFile {
  const text = readIfExists(file);
  if (text === undefined) throw new UserError('E_SKILL_KEY', `No signing key at ${file}.`);
  try {
    const r = SigningKeyFileSchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
    throw new Error(r.error.issues[0]?.path.join('.') ?? 'invalid');
  } catch (e) {
    throw new UserError('E_SKILL_KEY', `${file} is not a crewmux signing key (${(e as Error).message}).`);
  }
}

/** Writes a signing key file with mode 0600. */
export function writeSigningKey(file: string, key: SigningKeyFile): void {
  writeFileAtomic(file, JSON.stringify(key, null, 2) + '\n', 0o600);
}
