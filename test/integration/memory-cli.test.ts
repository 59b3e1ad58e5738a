/** `crewmux memory list|search` through the built CLI, on a temp repo and data dir. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, runCli } from '../helpers/env.js';

test('memory list and search show what a worker would get; search without text says how', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, {
      'README.md': '# r\n',
      '.crewmux/memory/topics/db.md':
        '# Database\n\n## Migrations\nEach migration has a rollback.\n\n## Pool\nTen connections.\n',
    });
    mkdirSync(join(t.env.CREWMUX_DATA_DIR!, 'memory', 'episodes'), { recursive: true });
    writeFileSync(
      join(t.env.CREWMUX_DATA_DIR!, 'memory', 'episodes', '2026-01-01-sx.md'),
      '# Episode sx: tune the pool\n\n## Lessons from verify failures\n- pool exhausted under load\n',
    );
    const list = await runCli(t, repo, ['memory', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { scope: string; kind: string; rel: string }[]).map((f) => [f.scope, f.kind, f.rel]),
      [
        ['project', 'topic', join('topics', 'db.md')],
        ['global', 'episode', join('episodes', '2026-01-01-sx.md')],
      ],
    );
    const search = await runCli(t, repo, ['memory', 'search', 'add', 'a', 'rollback', 'migration']);
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, /^a worker with this task would get 1 section\(s\)/);
    assert.match(
      search.stdout,
      /### Database \/ Migrations \(project topic: topics\/db\.md\)\nEach migration has a rollback\./,
    );
    const pool = await runCli(t, repo, ['memory', 'search', 'pool', '--json']);
    assert.deepEqual((JSON.parse(pool.stdout) as { hits: { title: string }[] }).hits.map((h) => h.title).sort(), [
      'Database / Pool',
      'Episode sx: tune the pool / Lessons from verify failures',
    ]);
    const empty = await runCli(t, repo, ['memory', 'search']);
    assert.equal(empty.code, 64);
    assert.match(empty.stderr, /needs the task text[\s\S]*E_BAD_FLAG/);
  } finally {
    t.cleanup();
  }
});
