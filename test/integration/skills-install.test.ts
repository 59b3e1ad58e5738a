import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addSkills, removeSkill } from '../../src/app/skills/install.js';
import { keygen, signSkillDir } from '../../src/app/skills/signing.js';
import { readSkillFolder } from '../../src/adapters/skills/skill-folder.js';
import { UserError, type ErrorCode } from '../../src/core/errors.js';
import { createSkillSandbox, writeSkill, type SkillSandbox } from '../fakes/skill-fixtures.js';

const now = () => Date.parse('2025-01-01T00:00:00Z');

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.equal(e.code, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

function add(
  sb: SkillSandbox,
  source: string,
  extra: { force?: boolean; requireSigned?: boolean; scope?: 'global' | 'project' } = {},
) {
  return addSkills({
    paths: sb.paths,
    projectRoot: sb.project,
    source,
    scope: extra.scope ?? 'global',
    force: extra.force ?? false,
    requireSigned: extra.requireSigned ?? false,
    cwd: sb.root,
  });
}

/** The install target holds nothing (no skill, no staging folder). */
function assertNothingLeft(sb: SkillSandbox): void {
  assert.deepEqual(existsSync(sb.paths.skillsDir) ? readdirSync(sb.paths.skillsDir) : [], []);
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
}

test('install from a local folder copies the skill; a second add needs --force', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const src = writeSkill(join(sb.root, 'src', 'anything'), {
    name: 'sql',
    keywords: ['sql'],
    extra: { 'examples/one.sql': 'select 1;' },
  });
  const [r] = await add(sb, src);
  assert.equal(r?.name, 'sql');
  assert.equal(r?.replaced, false);
  assert.equal(readFileSync(join(sb.paths.skillsDir, 'sql', 'examples', 'one.sql'), 'utf8'), 'select 1;');
  await rejectsWith(add(sb, src), 'E_SKILL_EXISTS');
  writeFileSync(join(src, 'skill.md'), 'Version two.\n');
  const [again] = await add(sb, src, { force: true });
  assert.equal(again?.replaced, true);
  assert.equal(readFileSync(join(sb.paths.skillsDir, 'sql', 'skill.md'), 'utf8'), 'Version two.\n');
  assert.deepEqual(readdirSync(sb.paths.skillsDir), ['sql']);
});

test('install from a local git repository clones it and leaves .git out', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const repo = join(sb.root, 'repo');
  writeSkill(join(repo, 'skills', 'alpha'), { name: 'alpha', keywords: ['alpha'] });
  writeSkill(join(repo, 'skills', 'beta'), { name: 'beta', keywords: ['beta'] });
  git(sb.root, 'init', '-q', repo);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'skills');
  writeSkill(join(repo, 'skills', 'gamma'), { name: 'gamma', keywords: ['gamma'] }); // uncommitted: not cloned
  const installed = await add(sb, `file://${repo}`);
  assert.deepEqual(
    installed.map((s) => s.name),
    ['alpha', 'beta'],
  );
  assert.deepEqual(readdirSync(sb.paths.skillsDir).sort(), ['alpha', 'beta']);
  assert.deepEqual(readdirSync(join(sb.paths.skillsDir, 'alpha')).sort(), ['skill.md', 'skill.toml']);
});

test('a staging folder left by a killed install is removed by the next add once it is an hour old', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  mkdirSync(join(sb.paths.skillsDir, '.staging-old', 'out'), { recursive: true });
  mkdirSync(join(sb.paths.skillsDir, '.staging-new'), { recursive: true });
  const src = writeSkill(join(sb.root, 's'), { name: 's', keywords: ['x'] });
  const later = Date.now() + 30 * 60 * 1000;
  await addSkills({
    paths: sb.paths,
    source: src,
    scope: 'global',
    force: false,
    requireSigned: false,
    cwd: sb.root,
    now: () => later,
  });
  assert.deepEqual(readdirSync(sb.paths.skillsDir).sort(), ['.staging-new', '.staging-old', 's']);
  await addSkills({
    paths: sb.paths,
    source: src,
    scope: 'global',
    force: true,
    requireSigned: false,
    cwd: sb.root,
    now: () => later + 60 * 60 * 1000,
  });
  assert.deepEqual(readdirSync(sb.paths.skillsDir), ['s']);
});

test('a failed clone leaves nothing behind', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  await rejectsWith(add(sb, `file://${join(sb.root, 'no-such-repo')}`), 'E_SKILL_SOURCE', /git clone/);
  assertNothingLeft(sb);
  await rejectsWith(add(sb, 'ext::sh -c touch% /tmp/pwned'), 'E_SKILL_SOURCE');
});

test('a symlink leaving the skill folder is refused on install, and nothing is left behind', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  writeFileSync(join(sb.root, 'secret.txt'), 'secret');
  const src = writeSkill(join(sb.root, 'evil'), { name: 'evil', keywords: ['x'] });
  symlinkSync(join(sb.root, 'secret.txt'), join(src, 'notes.md'));
  await rejectsWith(add(sb, src), 'E_SKILL_UNSAFE', /notes\.md: a symlink leaving the skill folder/);
  assertNothingLeft(sb);
});

test('a relative ../ symlink and a directory symlink are refused; a file symlink inside is read through', (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const a = writeSkill(join(sb.root, 'a'), { name: 'a', keywords: ['x'] });
  symlinkSync('../secret', join(a, 'up.md'));
  writeFileSync(join(sb.root, 'secret'), 's');
  assert.throws(
    () => readSkillFolder(a),
    (e: unknown) =>
      e instanceof UserError && e.code === 'E_SKILL_UNSAFE' && /up\.md: a symlink leaving/.test(e.message),
  );
  const b = writeSkill(join(sb.root, 'b'), { name: 'b', keywords: ['x'], extra: { 'docs/x.md': 'x' } });
  symlinkSync('docs', join(b, 'loop'));
  assert.throws(() => readSkillFolder(b), /symlink to something other than a file/);
  const c = writeSkill(join(sb.root, 'c'), { name: 'c', keywords: ['x'] });
  symlinkSync('skill.md', join(c, 'alias.md'));
  const files = readSkillFolder(c);
  assert.equal(new TextDecoder().decode(files.find((f) => f.path === 'alias.md')!.content), 'Guidance from c.\n');
});

test('a named pipe in the skill folder is refused, not read', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const src = writeSkill(join(sb.root, 'fifo'), { name: 'fifo', keywords: ['x'] });
  const r = spawnSync('mkfifo', [join(src, 'pipe')]);
  if (r.status !== 0) {
    t.skip('mkfifo is not available');
    return;
  }
  await rejectsWith(add(sb, src), 'E_SKILL_UNSAFE', /pipe: not a regular file or folder/);
  assertNothingLeft(sb);
});

test('a traversal name in skill.toml, or a backslash file name, is refused and nothing is written', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const src = writeSkill(join(sb.root, 'x'), { name: '../../escaped', keywords: ['x'] });
  await rejectsWith(add(sb, src), 'E_SKILL_MANIFEST', /name: expected/);
  assertNothingLeft(sb);
  assert.equal(existsSync(join(sb.paths.dataDir, 'escaped')), false);
  const bs = writeSkill(join(sb.root, 'bs'), { name: 'bs', keywords: ['x'], extra: { '..\\..\\evil.md': 'x' } });
  await rejectsWith(add(sb, bs), 'E_SKILL_UNSAFE');
  assertNothingLeft(sb);
  await rejectsWith(async () => removeSkill({ paths: sb.paths, scope: 'global', name: '../config' }), 'E_SKILL_NAME');
});

test('an oversize skill is refused and nothing is left behind', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const big = writeSkill(join(sb.root, 'big'), {
    name: 'big',
    keywords: ['x'],
    extra: { 'blob.bin': 'x'.repeat(300 * 1024) },
  });
  await rejectsWith(add(sb, big), 'E_SKILL_TOO_LARGE');
  const many = writeSkill(join(sb.root, 'many'), { name: 'many', keywords: ['x'] });
  for (let i = 0; i < 201; i++) writeFileSync(join(many, `f${i}.md`), 'x');
  await rejectsWith(add(sb, many), 'E_SKILL_TOO_LARGE');
  const md = writeSkill(join(sb.root, 'md'), { name: 'md', keywords: ['x'], text: 'y'.repeat(13 * 1024) });
  await rejectsWith(add(sb, md), 'E_SKILL_MANIFEST', /skill\.md is larger/);
  assertNothingLeft(sb);
});

test('a source with one bad skill among good ones installs none of them', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const src = join(sb.root, 'bundle');
  writeSkill(join(src, 'good'), { name: 'good', keywords: ['x'] });
  writeSkill(join(src, 'bad'), { name: 'bad', keywords: ['x'] });
  writeFileSync(join(src, 'bad', 'skill.toml'), 'name = "bad"\nversion = 1\n');
  await rejectsWith(add(sb, src), 'E_SKILL_MANIFEST', /version/);
  assertNothingLeft(sb);
});

test('require-signed install refuses unsigned and untrusted skills, accepts trusted, and refuses tampered always', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const unsigned = writeSkill(join(sb.root, 'u'), { name: 'u', keywords: ['x'] });
  await rejectsWith(add(sb, unsigned, { requireSigned: true }), 'E_SKILL_UNSIGNED', /Skill u .*not signed/);

  const strangerKey = join(sb.root, 'stranger.json');
  keygen({ paths: sb.paths, out: strangerKey, force: false, trust: false, name: 'stranger', now });
  const foreign = writeSkill(join(sb.root, 'f'), { name: 'f', keywords: ['x'] });
  signSkillDir({ paths: sb.paths, dir: foreign, keyFile: strangerKey });
  await rejectsWith(add(sb, foreign, { requireSigned: true }), 'E_SKILL_UNTRUSTED', /not a trusted key/);
  assertNothingLeft(sb);

  keygen({ paths: sb.paths, force: false, trust: true, name: 'me', now });
  const mine = writeSkill(join(sb.root, 'm'), { name: 'm', keywords: ['x'] });
  signSkillDir({ paths: sb.paths, dir: mine });
  const [ok] = await add(sb, mine, { requireSigned: true });
  assert.deepEqual(ok?.trust.status, 'trusted');
  assert.ok(existsSync(join(sb.paths.skillsDir, 'm', 'skill.sig')));

  writeFileSync(join(mine, 'skill.md'), 'changed after signing\n');
  await rejectsWith(add(sb, mine, { force: true }), 'E_SKILL_BAD_SIGNATURE', /changed, added or removed/);
  assert.equal(readFileSync(join(sb.paths.skillsDir, 'm', 'skill.md'), 'utf8'), 'Guidance from m.\n');
});

test('project scope installs under .crewmux/skills; remove deletes it', async (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  mkdirSync(join(sb.project, '.crewmux'), { recursive: true });
  const src = writeSkill(join(sb.root, 'p'), { name: 'p', keywords: ['x'] });
  await add(sb, src, { scope: 'project' });
  assert.ok(existsSync(join(sb.project, '.crewmux', 'skills', 'p', 'skill.toml')));
  await rejectsWith(
    async () => removeSkill({ paths: sb.paths, projectRoot: sb.project, scope: 'global', name: 'p' }),
    'E_SKILL_NOT_FOUND',
  );
  removeSkill({ paths: sb.paths, projectRoot: sb.project, scope: 'project', name: 'p' });
  assert.equal(existsSync(join(sb.project, '.crewmux', 'skills', 'p')), false);
});
