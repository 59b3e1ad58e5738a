import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSkillSandbox, writeSkill, type SkillSandbox } from '../fakes/skill-fixtures.js';

const BIN = fileURLToPath(new URL('../../../bin/crewmux.js', import.meta.url));

function crewmux(sb: SkillSandbox, ...args: string[]) {
  // HOME points into the sandbox too, so nothing can reach the real one.
  const env = { PATH: process.env.PATH, HOME: join(sb.root, 'home'), ...sb.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: sb.root, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('crewmux skill: keygen, sign, add --require-signed-skills, verify, list --json, untrust, remove', (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const kg = crewmux(sb, 'skill', 'keygen', '--json', '--name', 'me');
  assert.equal(kg.code, 0, kg.stderr);
  const { publicKey, keyFile, trustedAs } = JSON.parse(kg.stdout) as {
    publicKey: string;
    keyFile: string;
    trustedAs: string;
  };
  assert.equal(trustedAs, 'me');
  assert.equal(keyFile, join(sb.paths.configDir, 'signing-key.json'));
  assert.equal(crewmux(sb, 'skill', 'keygen').code, 1, 'keygen refuses to overwrite');

  const src = writeSkill(join(sb.root, 'src'), { name: 'deploy', keywords: ['deploy'] });
  const unsignedAdd = crewmux(sb, 'skill', 'add', src, '--require-signed-skills');
  assert.equal(unsignedAdd.code, 1);
  assert.match(unsignedAdd.stderr, /Skill deploy .* is not signed.*\[E_SKILL_UNSIGNED\]/);

  assert.equal(crewmux(sb, 'skill', 'sign', src).code, 0);
  const added = crewmux(sb, 'skill', 'add', src, '--require-signed-skills');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /Installed deploy 1\.0\.0 .*trusted \(me\)/);

  const v = crewmux(sb, 'skill', 'verify', 'deploy', '--json');
  assert.equal(v.code, 0, v.stderr);
  assert.deepEqual((JSON.parse(v.stdout) as { trust: unknown }).trust, { status: 'trusted', keyName: 'me', publicKey });

  const list = JSON.parse(crewmux(sb, 'skill', 'list', '--json').stdout) as {
    skills: { name: string; source: string }[];
    trustedKeys: { name: string }[];
  };
  assert.ok(list.skills.some((s) => s.name === 'deploy' && s.source === 'global'));
  assert.ok(
    list.skills.some((s) => s.name === 'tester' && s.source === 'builtin'),
    'built-ins are listed',
  );
  assert.deepEqual(
    list.trustedKeys.map((k) => k.name),
    ['me'],
  );

  assert.equal(crewmux(sb, 'skill', 'untrust', 'me').code, 0);
  const after = crewmux(sb, 'skill', 'verify', 'deploy');
  assert.equal(after.code, 1);
  assert.match(after.stdout, /untrusted key/);
  assert.equal(crewmux(sb, 'skill', 'trust', publicKey, '--name', 'me-again').code, 0);
  assert.equal(crewmux(sb, 'skill', 'verify', 'deploy').code, 0);
  assert.equal(crewmux(sb, 'skill', 'trust', 'not-a-key').code, 1);

  assert.equal(crewmux(sb, 'skill', 'remove', 'deploy').code, 0);
  assert.equal(existsSync(join(sb.paths.skillsDir, 'deploy')), false);
  const gone = crewmux(sb, 'skill', 'remove', 'deploy');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /E_SKILL_NOT_FOUND/);
});

test('requireSignedSkills in the global config refuses an unsigned add without the flag', (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  mkdirSync(sb.paths.configDir, { recursive: true });
  writeFileSync(join(sb.paths.configDir, 'config.json'), JSON.stringify({ requireSignedSkills: true }));
  const src = writeSkill(join(sb.root, 'src'), { name: 'plain', keywords: ['x'] });
  const r = crewmux(sb, 'skill', 'add', src);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /E_SKILL_UNSIGNED/);
  assert.equal(existsSync(join(sb.paths.skillsDir, 'plain')), false);
  const list = crewmux(sb, 'skill', 'list');
  assert.match(list.stdout, /Signed skills required: yes/);
});

test('a bad manifest names the key; a missing argument is a usage error', (t) => {
  const sb = createSkillSandbox();
  t.after(sb.cleanup);
  const src = writeSkill(join(sb.root, 'src'), { name: 'bad', keywords: ['x'] });
  writeFileSync(
    join(src, 'skill.toml'),
    'name = "bad"\nversion = "1.0.0"\ndescription = "d"\n[triggers]\nkeywords = "not-a-list"\n',
  );
  const r = crewmux(sb, 'skill', 'add', src);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /triggers\.keywords: expected array.*\[E_SKILL_MANIFEST\]/);
  const u = crewmux(sb, 'skill', 'verify');
  assert.equal(u.code, 64);
  assert.match(u.stderr, /needs NAME/);
});
