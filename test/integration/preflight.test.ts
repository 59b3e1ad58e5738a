/** Bad input to `crewmux run`: one clear line with the code and a fix, a non-zero exit, no stack trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRepo, createTestEnv, runCli, writeConfig } from '../helpers/env.js';

test('preflight failures name the problem and the fix', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const plain = join(t.dir, 'plain');
    mkdirSync(plain);
    const empty = join(t.dir, 'empty');
    mkdirSync(empty);
    execFileSync('git', ['init', '-q'], { cwd: empty });
    const run = (cwd: string, args: string[], env?: NodeJS.ProcessEnv) =>
      runCli(t, cwd, ['run', '--no-attach', ...args], { env });
    const cases: [string, Promise<{ code: number | null; stderr: string; stdout: string }>, number, RegExp][] = [
      [
        'not a repo',
        run(plain, ['--goal', 'x', '--lead', 'scripted-lead']),
        3,
        /not inside a git repository\. \[E_NOT_GIT_REPO\]/,
      ],
      ['no commits', run(empty, ['--goal', 'x', '--lead', 'scripted-lead']), 3, /\[E_NO_COMMITS\]/],
      [
        'unknown lead',
        run(repo, ['--goal', 'x', '--lead', 'nobody']),
        3,
        /Unknown agent "nobody".*\[E_UNKNOWN_AGENT\]/,
      ],
      [
        'unreadable goal file',
        run(repo, ['--goal-file', join(t.dir, 'missing.txt')]),
        3,
        /Cannot read goal file .*ENOENT.*\[E_GOAL_FILE\]/,
      ],
      ['goal over 64 KB', run(repo, ['--goal', 'g'.repeat(65 * 1024)]), 3, /\[E_GOAL_TOO_LARGE\]/],
      ['no goal', run(repo, []), 64, /\[E_GOAL_MISSING\]/],
      ['bad flag value', run(repo, ['--goal', 'x', '--max-workers', '0']), 64, /--max-workers must be a whole number/],
      [
        'tmux missing',
        run(repo, ['--goal', 'x', '--lead', 'scripted-lead'], { PATH: '/nonexistent' }),
        3,
        /tmux was not found/,
      ],
      [
        'no usable agent',
        run(repo, ['--goal', 'x'], { PATH: `${join(t.dir, 'bin')}:/usr/bin:/bin` }),
        3,
        /\[E_NO_AGENT\]/,
      ],
    ];
    for (const [name, p, code, re] of cases) {
      const r = await p;
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      assert.match(r.stderr, re, name);
      assert.match(r.stderr, /fix: /, name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${name} printed a stack trace`);
    }
    writeConfig(repo, { agents: { x: { command: 'x', prompt: 'sometimes' } } });
    const bad = await run(repo, ['--goal', 'x', '--lead', 'scripted-lead']);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /config\.json: agents\.x\.prompt: .*\[E_CONFIG_INVALID\]/);
    writeFileSync(join(repo, '.crewmux', 'config.json'), '{ "lead": ');
    const broken = await run(repo, ['--goal', 'x', '--lead', 'scripted-lead']);
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /is not valid JSON.*\[E_CONFIG_UNREADABLE\]/);
  } finally {
    t.cleanup();
  }
});
