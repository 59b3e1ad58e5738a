/** File formats of skill signing keys and of the trusted-keys list (validated on every read). */
import { z } from 'zod';
import { PublicKeySchema } from './signature.js';

/** A key name in the trust list: letters, digits, dot, dash, underscore, at sign. */
export const KeyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'expected 1-64 of letters, digits, ".", "_", "@", "-"');

export const TrustedKeyEntrySchema = z
  .object({
    name: KeyNameSchema,
    publicKey: PublicKeySchema,
    /** ISO 8601 time the key was trusted. */
    addedAt: z.string(),
  })
  .strict();

export const TrustStoreSchema = z
  .object({
    version: z.literal(1),
    keys: z.array(TrustedKeyEntrySchema),
  })
  .strict();

export type TrustedKeyEntry = z.infer<typeof TrustedKeyEntrySchema>;
export type TrustStore = z.infer<typeof TrustStoreSchema>;

export const SigningKeyFileSchema = z
  .object({
    format: z.literal('crewmux-signing-key-v1'),
    algorithm: z.literal('ed25519'),
    publicKey: PublicKeySchema,
    /** 64 bytes (tweetnacl layout: seed then public key), base64. */
    secretKey: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'expected a 64-byte Ed25519 secret key in base64'),
  })
  .strict();

export type SigningKeyFile = z.infer<typeof SigningKeyFileSchema>;
