/**
 * Boundary: `.worktreeinclude` copies only git-ignored files of the repository into a new worktree
 * (docs/security.md, "Worktree bootstrap"). Attacks: a symlink in included content pointing outside the repository
 * (a file, like ~/.ssh/id_rsa, and a folder), a nested repository's files, a tracked or an untracked-but-not-ignored
 * file matching a pattern; and a repository whose conductor.json carries a setup script, which must need trust.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, git } from '../helpers/env.js';
import { createWorktreeFiles } from '../../src/adapters/git/worktree-files.js';
import { readRepoConfig, repoConfigNeedsTrust, parseRepoConfig } from '../../src/app/session/repo-config.js';
import { whatWouldRun } from '../../src/app/session/repo-trust.js';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => !d.isDirectory() && !join(d.parentPath, d.name).includes(`${join(dir, '.git')}`))
    .map((d) => join(d.parentPath, d.name));
}

test('a symlink in .worktreeinclude content that points outside the repo is neither followed nor copied', async () => {
  const t = createTestEnv();
  try {
    const outside = join(t.dir, 'outside');
    mkdirSync(join(outside, 'dir'), { recursive: true });
    writeFileSync(join(outside, 'id_rsa'), 'OUTSIDE-PRIVATE-KEY\n');
    writeFileSync(join(outside, 'dir', 'token'), 'OUTSIDE-TOKEN\n');
    const repo = createRepo(t, {
      '.gitignore': '.env\n*.pem\nsecrets\ncerts/\nnested/\n',
      '.worktreeinclude': '.env\n.env.example\n.env.untracked\n*.pem\nsecrets\nnested/.env\n',
      '.env.example': 'TRACKED=1\n',
    });
    writeFileSync(join(repo, '.env'), 'API_KEY=inside\n');
    writeFileSync(join(repo, '.env.untracked'), 'NOT_IGNORED=1\n');
    symlinkSync(join(outside, 'id_rsa'), join(repo, 'id.pem'));
    symlinkSync('../outside/id_rsa', join(repo, 'relative.pem'));
    symlinkSync(join(outside, 'dir'), join(repo, 'secrets'));
    mkdirSync(join(repo, 'certs'));
    writeFileSync(join(repo, 'certs', 'real.pem'), 'INSIDE-CERT\n');
    symlinkSync('certs/real.pem', join(repo, 'local.pem'));
    mkdirSync(join(repo, 'nested'));
    git(join(repo, 'nested'), 'init', '-q');
    writeFileSync(join(repo, 'nested', '.env'), 'NESTED=1\n');
    const wt = join(t.dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'w', wt, 'main');

    const r = await createWorktreeFiles().copyIncluded(repo, wt);
    // `*.pem` matches at any depth (gitignore syntax): certs/real.pem too.
    assert.deepEqual(r.copied.sort(), ['.env', 'certs/real.pem', 'local.pem']);
    assert.deepEqual(r.skipped.map((s) => s.path).sort(), ['id.pem', 'relative.pem', 'secrets']);
    for (const s of r.skipped) assert.match(s.why, /symlink pointing outside the repository/);
    assert.equal(readFileSync(join(wt, '.env'), 'utf8'), 'API_KEY=inside\n');
    // An inside link stays a link to the same relative target.
    assert.equal(readlinkSync(join(wt, 'local.pem')), 'certs/real.pem');
    for (const f of ['id.pem', 'relative.pem', 'secrets', '.env.untracked', 'nested'])
      assert.throws(() => lstatSync(join(wt, f)), `${f} must not be in the worktree`);
    for (const f of allFiles(wt)) {
      if (lstatSync(f).isSymbolicLink()) continue;
      assert.doesNotMatch(readFileSync(f, 'utf8'), /OUTSIDE-/, `${f} holds an outside file's content`);
    }
  } finally {
    t.cleanup();
  }
});

test("a conductor.json setup script is repo config: it needs the user's trust and is shown by `trust --show`", () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'conductor.json': JSON.stringify({ scripts: { setup: 'npm ci && ./evil.sh' } }) });
    const snap = readRepoConfig(repo);
    assert.equal(repoConfigNeedsTrust(snap), true);
    assert.deepEqual(whatWouldRun(parseRepoConfig(snap)).worktree, [
      { step: 'setup', source: 'conductor.json', command: 'npm ci && ./evil.sh' },
    ]);
    writeFileSync(join(repo, 'conductor.json'), JSON.stringify({ scripts: { setup: 'npm ci && ./other.sh' } }));
    assert.notEqual(readRepoConfig(repo).hash, snap.hash, 'a changed script needs trust again');
  } finally {
    t.cleanup();
  }
});
