/**
 * Canonical digest and Ed25519 signatures (tweetnacl) for skill folders, over an in-memory file
 * list. The digest covers every file's relative path and bytes, sorted by path, except the signature
 * file itself; so adding, removing, renaming or changing any file changes it. A signature counts only
 * when its public key is in the trusted list.
 */
import nacl from 'tweetnacl';
import { z } from 'zod';

/** The signature file at the top of a skill folder; it is excluded from the digest. */
export const SIGNATURE_FILE = 'skill.sig';

/** One file of a skill: `path` is relative, `/`-separated, without `.` or `..` segments. */
export interface SkillFile {
  path: string;
  content: Uint8Array;
}

export interface TrustedKey {
  name: string;
  publicKey: string;
}

const DOMAIN = 'crewmux-skill-digest-v1\n';
const B64_KEY_RE = /^[A-Za-z0-9+/]{43}=$/;

export const PublicKeySchema = z
  .string()
  .regex(B64_KEY_RE, 'expected a 32-byte Ed25519 public key in base64 (44 characters)');

export const SignatureFileSchema = z
  .object({
    format: z.literal('crewmux-skill-signature-v1'),
    algorithm: z.literal('ed25519'),
    publicKey: PublicKeySchema,
    /** SHA-512 of the canonical encoding, hex; informational (the signature covers the digest bytes). */
    digest: z.string().regex(/^[0-9a-f]{128}$/),
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
  })
  .strict();

export type SignatureFile = z.infer<typeof SignatureFileSchema>;

/** The trust state of a skill: only `trusted` (and `builtin`, shipped in the package) count as signed. */
export type SkillTrust =
  | { status: 'trusted'; keyName: string; publicKey: string }
  | { status: 'builtin' }
  | { status: 'unsigned' }
  | { status: 'untrusted'; publicKey: string }
  | { status: 'invalid'; reason: string };

/** Whether a relative path is safe inside a skill folder: no absolute path, `..`, `.`, backslash or NUL. */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * SHA-512 over `DOMAIN` then, per file sorted by path, `path NUL byteLength NUL bytes`. The signature
 * file is skipped. Throws on an unsafe or duplicate path (callers validate earlier; this is the backstop).
 */
export function skillDigest(files: readonly SkillFile[]): Uint8Array {
  const enc = new TextEncoder();
  const list = files
    .filter((f) => f.path !== SIGNATURE_FILE)
    .slice()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Uint8Array[] = [enc.encode(DOMAIN)];
  let prev: string | undefined;
  for (const f of list) {
    if (!isSafeRelativePath(f.path)) throw new Error(`unsafe skill path ${JSON.stringify(f.path)}`);
    if (f.path === prev) throw new Error(`duplicate skill path ${JSON.stringify(f.path)}`);
    prev = f.path;
    parts.push(enc.encode(`${f.path}\0${f.content.byteLength}\0`), f.content);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.byteLength;
  }
  return nacl.hash(buf);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A fresh Ed25519 key pair, both halves in base64 (secret key: 64 bytes, tweetnacl layout). */
export function generateKeyPair(): { publicKey: string; secretKey: string } {
  const kp = nacl.sign.keyPair();
  return { publicKey: b64(kp.publicKey), secretKey: b64(kp.secretKey) };
}

/** The public key (base64) belonging to a base64 secret key; throws on a malformed key. */
export function publicKeyOf(secretKeyB64: string): string {
  const sk = fromB64(secretKeyB64, nacl.sign.secretKeyLength, 'secret key');
  return b64(nacl.sign.keyPair.fromSecretKey(sk).publicKey);
}

/** Signs the canonical digest of `files` and returns the signature file's JSON text. */
export function signSkillFiles(files: readonly SkillFile[], secretKeyB64: string): string {
  const sk = fromB64(secretKeyB64, nacl.sign.secretKeyLength, 'secret key');
  const digest = skillDigest(files);
  const sig: SignatureFile = {
    format: 'crewmux-skill-signature-v1',
    algorithm: 'ed25519',
    publicKey: b64(nacl.sign.keyPair.fromSecretKey(sk).publicKey),
    digest: toHex(digest),
    signature: b64(nacl.sign.detached(digest, sk)),
  };
  return JSON.stringify(sig, null, 2) + '\n';
}

/**
 * The trust state of a skill's files (the signature file among them, if any): `invalid` when the
 * signature is malformed or does not match the files, `untrusted` when it matches but its key is not
 * in `trusted`, `trusted` otherwise. Never throws.
 */
export function checkSkillSignature(files: readonly SkillFile[], trusted: readonly TrustedKey[]): SkillTrust {
  const sigFile = files.find((f) => f.path === SIGNATURE_FILE);
  if (!sigFile) return { status: 'unsigned' };
  let sig: SignatureFile;
  try {
    const parsed = SignatureFileSchema.safeParse(JSON.parse(new TextDecoder().decode(sigFile.content)));
    if (!parsed.success)
      return {
        status: 'invalid',
        reason: `${SIGNATURE_FILE} is malformed (${parsed.error.issues[0]?.path.join('.') || 'top level'})`,
      };
    sig = parsed.data;
  } catch {
    return { status: 'invalid', reason: `${SIGNATURE_FILE} is not JSON` };
  }
  let digest: Uint8Array;
  try {
    digest = skillDigest(files);
  } catch (e) {
    return { status: 'invalid', reason: (e as Error).message };
  }
  const ok = nacl.sign.detached.verify(
    digest,
    fromB64(sig.signature, nacl.sign.signatureLength, 'signature'),
    fromB64(sig.publicKey, nacl.sign.publicKeyLength, 'public key'),
  );
  if (!ok)
    return {
      status: 'invalid',
      reason: 'the signature does not match the files (a file was changed, added or removed after signing)',
    };
  const key = trusted.find((k) => k.publicKey === sig.publicKey);
  return key
    ? { status: 'trusted', keyName: key.name, publicKey: sig.publicKey }
    : { status: 'untrusted', publicKey: sig.publicKey };
}

/** Whether a trust state may load under `requireSigned`; the reason when not. */
export function trustRefusal(trust: SkillTrust, requireSigned: boolean): string | undefined {
  switch (trust.status) {
    case 'trusted':
    case 'builtin':
      return undefined;
    case 'invalid':
      return `bad signature: ${trust.reason}`;
    case 'unsigned':
      return requireSigned ? 'unsigned, and signed skills are required' : undefined;
    case 'untrusted':
      return requireSigned
        ? `signed by an untrusted key ${trust.publicKey}, and trusted signatures are required`
        : undefined;
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function fromB64(s: string, length: number, what: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(s, 'base64'));
  if (bytes.byteLength !== length) throw new Error(`invalid ${what}: expected ${length} bytes of base64`);
  return bytes;
}
