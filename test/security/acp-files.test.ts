/**
 * Boundary: an ACP worker's agent reads and writes files through crewmux (`fs/read_text_file`, `fs/write_text_file`:
 * OpenCode 1.18.33 sends the latter after each edit crewmux allowed) only inside its worktree (docs/security.md, "ACP
 * workers"). Attacks on adapters/acp/worktree-files.ts with a real worktree: `..`, a symlinked file and a symlinked
 * folder pointing outside, a symlink to nothing (which a write would create outside), a new file below a symlinked
 * folder, the worktree's `.git`, a FIFO (a read that would hang), a relative path; and a symlink inside pointing
 * inside, which is served. Nothing outside is read or written, and a refusal says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createTestEnv } from '../helpers/env.js';
import { worktreeFiles } from '../../src/adapters/acp/worktree-files.js';
import { AcpPathRefused } from '../../src/app/ports/acp.js';

test("an agent's fs/* requests reach only its worktree's files, symlinks resolved", () => {
  const t = createTestEnv();
  try {
    const base = realpathSync(t.dir);
    const outside = join(base, 'outside');
    const wt = join(base, 'wt');
    mkdirSync(join(outside, 'dir'), { recursive: true });
    mkdirSync(join(wt, 'src'), { recursive: true });
    writeFileSync(join(outside, 'id_rsa'), 'OUTSIDE-PRIVATE-KEY\n');
    writeFileSync(join(wt, '.git'), 'gitdir: /somewhere/else\n');
    writeFileSync(join(wt, 'src', 'a.ts'), 'export {};\n');
    symlinkSync(join(outside, 'id_rsa'), join(wt, 'key'));
    symlinkSync(join(outside, 'dir'), join(wt, 'out'));
    symlinkSync(join(outside, 'made-by-crewmux'), join(wt, 'dangling'));
    symlinkSync(join(wt, 'src'), join(wt, 'alias'));
    execFileSync('mkfifo', [join(wt, 'pipe')]);
    const files = worktreeFiles(wt);
    const refused = (f: () => unknown, why: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof AcpPathRefused && why.test(e.message));

    refused(() => files.read(join(wt, '..', 'outside', 'id_rsa')), /outside the worktree/);
    refused(() => files.read(join(wt, 'key')), /key is outside the worktree/);
    refused(() => files.write(join(wt, 'key'), 'overwritten'), /outside the worktree/);
    refused(() => files.write(join(wt, 'out', 'new.txt'), 'x'), /outside the worktree/);
    refused(() => files.write(join(wt, 'out', 'deeper', 'new.txt'), 'x'), /outside the worktree/);
    refused(() => files.write(join(wt, 'dangling'), 'x'), /symlink to nothing/);
    refused(() => files.write(join(wt, '.git'), 'gitdir: /attacker\n'), /\.git/);
    refused(() => files.write(join(wt, 'src', '.git', 'config'), 'x'), /\.git/);
    refused(() => files.write(wt, 'x'), /the worktree itself/);
    refused(() => files.read(join(wt, 'pipe')), /not a regular file/);
    refused(() => files.write('src/a.ts', 'x'), /not an absolute path/);

    assert.equal(readFileSync(join(outside, 'id_rsa'), 'utf8'), 'OUTSIDE-PRIVATE-KEY\n');
    assert.equal(existsSync(join(outside, 'dir', 'new.txt')), false);
    assert.equal(existsSync(join(outside, 'dir', 'deeper')), false);
    assert.equal(existsSync(join(outside, 'made-by-crewmux')), false);
    assert.equal(readFileSync(join(wt, '.git'), 'utf8'), 'gitdir: /somewhere/else\n');
    assert.equal(existsSync(join(wt, 'src', '.git')), false);

    // Inside (a symlink within the worktree too) is served.
    assert.equal(files.read(join(wt, 'alias', 'a.ts')), 'export {};\n');
    assert.equal(files.write(join(wt, 'alias', 'a.ts'), 'export const a = 1;\n'), true);
    assert.equal(readFileSync(join(wt, 'src', 'a.ts'), 'utf8'), 'export const a = 1;\n');
    assert.equal(files.write(join(wt, 'src', 'a.ts'), 'export const a = 1;\n'), false, 'unchanged: not rewritten');
    assert.equal(files.write(join(wt, 'src', 'a.ts'), 'short\n'), true);
    assert.equal(readFileSync(join(wt, 'src', 'a.ts'), 'utf8'), 'short\n', 'a shorter content leaves no tail');
    assert.equal(files.read(join(wt, 'missing.txt')), undefined);
  } finally {
    t.cleanup();
  }
});
