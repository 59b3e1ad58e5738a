/** A whole goal through the built bin/crewmux.js: scripted lead, two scripted workers, real tmux/git/MCP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, git, ROOT, runCli, writeConfig } from '../helpers/env.js';
import { diagnostics } from '../helpers/env.js';

const plan = {
  workers: [
    {
      perspective: 'implementer',
      agent: 'scripted-worker',
      task: 'Add the adder.\n```file:src/add.mjs\nexport const add = (a, b) => a + b;\n```\n',
    },
    {
      perspective: 'tester',
      agent: 'scripted-worker',
      task: 'Test the adder.\n```file:test/add.test.mjs\nimport { add } from "../src/add.mjs";\nif (add(2, 3) !== 5) process.exit(1);\n```\n',
    },
  ],
  verify: ['node test/add.test.mjs'],
};

test('a scripted lead drives two scripted workers to a done goal; both branches hold their commits', async () => {
  const t = createTestEnv();
  try {
    // verify runs the configured command the plan names (the lead may run only configured ones).
    const repo = createRepo(t, {
      'README.md': '# test repo\n',
      '.crewmux/config.json': JSON.stringify({ verify: plan.verify }),
    });
    const goal = `Add an adder and its test.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const r = await runCli(t, repo, [
      'run',
      '--goal',
      goal,
      '--lead',
      'scripted-lead',
      '--agents',
      'scripted-worker',
      '--no-attach',
      '--wait',
      '--trust-repo-config',
      '--timeout',
      '90',
    ]);
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /worker\.spawned\s+w01/);
    assert.match(r.stdout, /session\.done/);

    const status = await runCli(t, repo, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout);
    assert.equal(view.session.status, 'done');
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'merged'],
      ],
    );
    const sid = view.session.id as string;

    assert.equal(
      git(repo, 'show', `crewmux/${sid}/w01-implementer:src/add.mjs`),
      'export const add = (a, b) => a + b;',
    );
    assert.match(git(repo, 'show', `crewmux/${sid}/w02-tester:test/add.test.mjs`), /add\(2, 3\)/);
    // Both were merged into the integration branch with real merge commits, and verify passed there.
    const integration = `crewmux/${sid}/integration`;
    assert.deepEqual(git(repo, 'ls-tree', '-r', '--name-only', integration).split('\n').sort(), [
      '.crewmux/config.json',
      'README.md',
      'src/add.mjs',
      'test/add.test.mjs',
    ]);
    assert.equal(git(repo, 'rev-list', '--merges', '--count', integration), '2');
    assert.equal(view.report.verifies.length, 1);
    assert.equal(view.report.verifies[0].passed, true);
    assert.match(r.stdout, /take it: git merge crewmux\/s[0-9a-z]+\/integration/);
    // The user's checkout is untouched: still on main, without the workers' files; the one new thing is
    // the session's episode under .crewmux/memory (untracked, the user's to commit or ignore).
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(git(repo, 'status', '--porcelain'), '?? .crewmux/memory/');
    assert.match(
      readdirSync(join(repo, '.crewmux', 'memory', 'episodes')).join(),
      new RegExp(`^\\d{4}-\\d{2}-\\d{2}-${sid}\\.md$`),
    );
    // The prompt files live outside the worktrees and done.flag is never committed.
    assert.equal(
      git(repo, 'ls-tree', '-r', '--name-only', `crewmux/${sid}/w01-implementer`)
        .split('\n')
        .filter((f) => f.startsWith('.crewmux') && f !== '.crewmux/config.json').length,
      0,
    );
    // The tmux session is gone once the goal ended.
    assert.throws(() => t.tmux('has-session', '-t', `=crewmux-${sid}`));
  } finally {
    t.cleanup();
  }
});

test('completion by done.flag and by sentinel line, and leftover work snapshot-committed', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const worker = (env: Record<string, string>) => ({
      command: process.execPath,
      args: [join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js')],
      prompt: 'file',
      env,
    });
    writeConfig(repo, {
      agents: {
        flagger: worker({ CREWMUX_SCRIPTED_COMPLETE: 'flag' }),
        liner: worker({ CREWMUX_SCRIPTED_COMPLETE: 'line', CREWMUX_SCRIPTED_NO_COMMIT: '1' }),
      },
      verify: ['git status'],
    });
    const p = {
      workers: [
        { agent: 'flagger', task: 'Flag.\n```file:a.txt\nfrom the flag worker\n```\n' },
        { agent: 'liner', task: 'Line.\n```file:b.txt\nfrom the line worker\n```\n' },
      ],
      verify: ['git status'],
    };
    const goal = `Two files.\n\`\`\`json\n${JSON.stringify(p)}\n\`\`\`\n`;
    const r = await runCli(t, repo, [
      'run',
      '--goal',
      goal,
      '--lead',
      'scripted-lead',
      '--agents',
      'flagger,liner',
      '--no-attach',
      '--wait',
      '--trust-repo-config',
      '--timeout',
      '90',
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /w01 done: wrote a\.txt \[via flag\]/);
    assert.match(r.stdout, /w02 done: wrote b\.txt \[via line\]/);
    assert.match(r.stdout, /w02: committed leftover work/);
    const sid = /session (s[0-9a-z]+) created/.exec(r.stdout)![1];
    assert.equal(git(repo, 'show', `crewmux/${sid}/w02-implementer:b.txt`), 'from the line worker');
    assert.match(
      git(repo, 'log', '-1', '--format=%s', `crewmux/${sid}/w02-implementer`),
      /crewmux: snapshot of w02 leftover work/,
    );
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:a.txt`), 'from the flag worker');
  } finally {
    t.cleanup();
  }
});
