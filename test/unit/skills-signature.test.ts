import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkSkillSignature,
  generateKeyPair,
  publicKeyOf,
  signSkillFiles,
  skillDigest,
  toHex,
  trustRefusal,
  SIGNATURE_FILE,
  type SkillFile,
} from '../../src/core/skills/signature.js';

const enc = (s: string) => new TextEncoder().encode(s);
const FILES: SkillFile[] = [
  { path: 'skill.toml', content: enc('name = "x"\n') },
  { path: 'skill.md', content: enc('Do the thing.\n') },
  { path: 'examples/a.txt', content: enc('example') },
];

function signed(files: SkillFile[], secretKey: string): SkillFile[] {
  return [...files, { path: SIGNATURE_FILE, content: enc(signSkillFiles(files, secretKey)) }];
}

const alice = generateKeyPair();
const mallory = generateKeyPair();
const TRUST = [{ name: 'alice', publicKey: alice.publicKey }];

test('sign then verify with a trusted key', () => {
  assert.deepEqual(checkSkillSignature(signed(FILES, alice.secretKey), TRUST), {
    status: 'trusted',
    keyName: 'alice',
    publicKey: alice.publicKey,
  });
  assert.equal(publicKeyOf(alice.secretKey), alice.publicKey);
});

test('changing a file breaks the signature', () => {
  const files = signed(FILES, alice.secretKey).map((f) =>
    f.path === 'skill.md' ? { ...f, content: enc('Do the other thing.\n') } : f,
  );
  assert.equal(checkSkillSignature(files, TRUST).status, 'invalid');
});

test('adding a file breaks the signature', () => {
  const files = [...signed(FILES, alice.secretKey), { path: 'extra.md', content: enc('') }];
  assert.equal(checkSkillSignature(files, TRUST).status, 'invalid');
});

test('removing a file breaks the signature', () => {
  const files = signed(FILES, alice.secretKey).filter((f) => f.path !== 'examples/a.txt');
  assert.equal(checkSkillSignature(files, TRUST).status, 'invalid');
});

test('renaming a file or moving bytes between files changes the digest', () => {
  const base = toHex(skillDigest(FILES));
  assert.notEqual(
    toHex(skillDigest(FILES.map((f) => (f.path === 'examples/a.txt' ? { ...f, path: 'examples/b.txt' } : f)))),
    base,
  );
  const a = [
    { path: 'a', content: enc('xy') },
    { path: 'b', content: enc('') },
  ];
  const b = [
    { path: 'a', content: enc('x') },
    { path: 'b', content: enc('y') },
  ];
  assert.notEqual(toHex(skillDigest(a)), toHex(skillDigest(b)));
});

test('the digest ignores file order and the signature file itself', () => {
  const base = toHex(skillDigest(FILES));
  assert.equal(toHex(skillDigest([...FILES].reverse())), base);
  assert.equal(toHex(skillDigest([...FILES, { path: SIGNATURE_FILE, content: enc('anything') }])), base);
});

test('a valid signature from an untrusted key is untrusted, not trusted', () => {
  const t = checkSkillSignature(signed(FILES, mallory.secretKey), TRUST);
  assert.deepEqual(t, { status: 'untrusted', publicKey: mallory.publicKey });
});

test('a signature file naming a trusted key but signed by another is invalid', () => {
  const forged = JSON.parse(signSkillFiles(FILES, mallory.secretKey)) as Record<string, string>;
  forged.publicKey = alice.publicKey;
  const files = [...FILES, { path: SIGNATURE_FILE, content: enc(JSON.stringify(forged)) }];
  assert.equal(checkSkillSignature(files, TRUST).status, 'invalid');
});

test('no signature file is unsigned; garbage is invalid', () => {
  assert.deepEqual(checkSkillSignature(FILES, TRUST), { status: 'unsigned' });
  assert.equal(checkSkillSignature([...FILES, { path: SIGNATURE_FILE, content: enc('{') }], TRUST).status, 'invalid');
  assert.equal(
    checkSkillSignature([...FILES, { path: SIGNATURE_FILE, content: enc('{"format":"x"}') }], TRUST).status,
    'invalid',
  );
});

test('unsafe paths are refused by the digest', () => {
  assert.throws(() => skillDigest([{ path: '../x', content: enc('') }]), /unsafe/);
  assert.throws(() => skillDigest([{ path: '/etc/passwd', content: enc('') }]), /unsafe/);
  assert.throws(
    () =>
      skillDigest([
        { path: 'a', content: enc('') },
        { path: 'a', content: enc('') },
      ]),
    /duplicate/,
  );
});

test('require-signed policy: only trusted and built-in pass; a bad signature never does', () => {
  assert.equal(trustRefusal({ status: 'unsigned' }, false), undefined);
  assert.match(trustRefusal({ status: 'unsigned' }, true) ?? '', /unsigned/);
  assert.match(trustRefusal({ status: 'untrusted', publicKey: mallory.publicKey }, true) ?? '', /untrusted key/);
  assert.equal(trustRefusal({ status: 'untrusted', publicKey: mallory.publicKey }, false), undefined);
  assert.match(trustRefusal({ status: 'invalid', reason: 'x' }, false) ?? '', /bad signature/);
  assert.equal(trustRefusal({ status: 'trusted', keyName: 'a', publicKey: alice.publicKey }, true), undefined);
  assert.equal(trustRefusal({ status: 'builtin' }, true), undefined);
});
