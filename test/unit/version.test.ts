/** crewmux's version has one source, package.json; no module carries its own copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPackageVersion } from '../../src/adapters/system/package-version.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('readPackageVersion reads package.json at the package root (from dist/src/adapters/system)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(readPackageVersion(), pkg.version);
});

test('no source file spells out a version of its own', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const literal = text.includes(`'${pkg.version}'`) || /\bversion: '\d+\.\d+\.\d+'/.test(text);
    assert.ok(!literal, `${file} has a version literal; use readPackageVersion()`);
  }
});
