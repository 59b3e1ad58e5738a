import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSkillName, parseSkillManifest } from '../../src/core/skills/manifest.js';
import { UserError } from '../../src/core/errors.js';

const GOOD = `
name = "sql-migrations"
version = "1.2.0"
description = "Safe schema changes"
author = "Ada"
[triggers]
keywords = ["migration", "schema change"]
files = ["**/*.sql"]
`;

function manifestError(text: string): string {
  try {
    parseSkillManifest(text);
  } catch (e) {
    assert.ok(e instanceof UserError);
    assert.equal(e.code, 'E_SKILL_MANIFEST');
    return e.message;
  }
  assert.fail('expected E_SKILL_MANIFEST');
}

test('a valid skill.toml parses with defaults for missing trigger lists', () => {
  const m = parseSkillManifest(GOOD);
  assert.equal(m.name, 'sql-migrations');
  assert.equal(m.version, '1.2.0');
  assert.deepEqual(m.triggers, { keywords: ['migration', 'schema change'], files: ['**/*.sql'], perspectives: [] });
});

test('a wrong type names the key path', () => {
  assert.match(
    manifestError(GOOD.replace('files = ["**/*.sql"]', 'files = ["**/*.sql", 3]')),
    /triggers\.files\.1: expected string/,
  );
});

test('an unknown key is named, at the top level and in triggers', () => {
  assert.match(manifestError(GOOD + 'colour = "red"\n'), /unknown key triggers\.colour/);
  assert.match(manifestError(`homepage = "x"\n${GOOD}`), /unknown key homepage/);
});

test('a missing key says it is missing', () => {
  assert.match(manifestError(GOOD.replace('version = "1.2.0"\n', '')), /version: missing/);
});

test('a bad version and a traversal name are refused by key', () => {
  assert.match(
    manifestError(GOOD.replace('"1.2.0"', '"latest"')),
    /^skill\.toml: version: expected a semantic version/,
  );
  assert.match(manifestError(GOOD.replace('"sql-migrations"', '"../evil"')), /name: expected 1-64/);
});

test('an unknown perspective and empty triggers are refused', () => {
  assert.match(
    manifestError(GOOD.replace('files = ["**/*.sql"]', 'perspectives = ["wizard"]')),
    /triggers\.perspectives\.0/,
  );
  assert.match(manifestError(GOOD.replace(/keywords = .*\nfiles = .*\n/, '')), /triggers: expected at least one/);
});

test('invalid TOML gives the line and column', () => {
  assert.match(manifestError('name = "x"\nversion = \n'), /not valid TOML at line 2, column \d+/);
});

test('assertSkillName refuses traversal, slashes, dots and upper case', () => {
  for (const bad of ['..', '../x', 'a/b', '.hidden', 'a.b', 'A', '', '-x', 'x'.repeat(65)]) {
    assert.throws(
      () => assertSkillName(bad),
      (e: unknown) => e instanceof UserError && e.code === 'E_SKILL_NAME',
      bad,
    );
  }
  assert.equal(assertSkillName('sql_migrations-2'), 'sql_migrations-2');
});
