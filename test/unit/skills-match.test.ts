import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containsKeyword, globToRegExp, matchesGlob, matchSkill, pathsInText } from '../../src/core/skills/match.js';

test('keywords match whole words, not substrings, case-insensitively', () => {
  assert.equal(containsKeyword('Add a SQL migration', 'sql'), true);
  assert.equal(containsKeyword('update the nosql adapter', 'sql'), false);
  assert.equal(containsKeyword('make it testable', 'test'), false);
  assert.equal(containsKeyword('write a test.', 'test'), true);
  assert.equal(containsKeyword('plan the schema\n change carefully', 'schema change'), true);
  assert.equal(containsKeyword('the schemachange flag', 'schema change'), false);
  assert.equal(containsKeyword('port it to C++ now', 'c++'), true);
  assert.equal(containsKeyword('a regex (a+b) here', 'a+b'), true);
  assert.equal(containsKeyword('anything', '   '), false);
});

test('globs: ** spans folders, * stays within one', () => {
  const cases: [string, string, boolean][] = [
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/a/b/c.ts', true],
    ['src/**/*.ts', 'lib/a.ts', false],
    ['src/*.ts', 'src/a/b.ts', false],
    ['src/*.ts', 'src/b.ts', true],
    ['**/*.sql', 'db/migrations/001.sql', true],
    ['**/*.sql', 'x.sql', true],
    ['*.sql', 'deep/down/x.sql', true],
    ['*.sql', 'x.sqlite', false],
    ['migrations/**', 'migrations', true],
    ['migrations/**', 'migrations/a/b.txt', true],
    ['migrations/**', 'other/migrations.txt', false],
    ['**/migrations/**', 'db/migrations/1.sql', true],
    ['**/*.{ts,tsx}', 'ui/App.tsx', true],
    ['**/*.{ts,tsx}', 'ui/App.js', false],
    ['test/?.ts', 'test/a.ts', true],
    ['test/?.ts', 'test/ab.ts', false],
    ['file[0-9].txt', 'file7.txt', true],
    ['file[!0-9].txt', 'file7.txt', false],
    ['a.b', 'axb', false],
  ];
  for (const [glob, path, want] of cases) assert.equal(matchesGlob(path, glob), want, `${glob} ~ ${path}`);
  assert.equal(matchesGlob('./src/a.ts', 'src/*.ts'), true);
  assert.equal(matchesGlob('src\\a.ts', 'src/*.ts'), true);
  assert.ok(globToRegExp('{unbalanced').test('{unbalanced'));
});

test('paths named in a task are found', () => {
  assert.deepEqual(pathsInText('Fix src/db/schema.sql, then update README.md.'), ['src/db/schema.sql', 'README.md']);
  assert.deepEqual(pathsInText('no paths here'), []);
});

test('matchSkill combines triggers and explains itself', () => {
  const triggers = { keywords: ['migration'], files: ['**/*.sql'], perspectives: ['tester' as const] };
  const m = matchSkill(triggers, { task: 'write the migration', fileScope: ['db/001.sql'], perspective: 'tester' });
  assert.equal(m.matched, true);
  assert.equal(m.score, 6);
  assert.deepEqual(m.reasons, ['keyword "migration"', 'file db/001.sql ~ **/*.sql', 'perspective tester']);
  assert.equal(matchSkill(triggers, { task: 'write migrations docs', perspective: 'implementer' }).matched, false);
  assert.equal(matchSkill(triggers, { task: 'look at db/002.sql', perspective: 'implementer' }).matched, true);
});
