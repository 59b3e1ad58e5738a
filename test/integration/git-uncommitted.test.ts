/** The git adapter's uncommittedDiff on a real worktree: tracked edits and untracked files, never ignored or excluded ones, and nothing staged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createGit } from '../../src/adapters/git/git.js';
import { createRepo, createTestEnv } from '../helpers/env.js';

test('uncommittedDiff: a tracked edit and an untracked file show; ignored and excluded files do not; the index is untouched', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, { 'a.txt': 'one\n', '.gitignore': 'build/\n' });
    appendFileSync(join(repo, 'a.txt'), 'two\n');
    mkdirSync(join(repo, 'src'));
    writeFileSync(join(repo, 'src', 'new.ts'), 'export const x = 1;\n');
    mkdirSync(join(repo, 'build'));
    writeFileSync(join(repo, 'build', 'out.js'), 'ignored\n');
    mkdirSync(join(repo, '.crewmux'));
    writeFileSync(join(repo, '.crewmux', 'done.flag'), '{}');
    const d = await createGit().uncommittedDiff(repo, ['.crewmux/done.flag']);
    assert.match(d.stat, /a\.txt/);
    assert.match(d.stat, /src\/new\.ts \(untracked, new\)/);
    assert.match(d.patch, /\+two/);
    assert.match(d.patch, /new file mode[^]*\+export const x = 1;/);
    assert.doesNotMatch(d.stat + d.patch, /build|done\.flag/);
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' });
    assert.match(status, /^ M a\.txt$/m);
    assert.match(status, /^\?\? src\/$/m);
  } finally {
    t.cleanup();
  }
});
