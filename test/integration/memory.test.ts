/**
 * Memory on a real SQLite FTS5 file: retrieval ranking, the index following edits and deletions,
 * project and global scopes (another project's memory never leaks in), and an episode written then
 * retrieved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createMemory } from '../../src/app/llm/memory.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-memory-'));
  const put = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const roots = { project: join(dir, 'repo', '.crewmux', 'memory'), global: join(dir, 'data', 'memory') };
  return {
    dir,
    put,
    roots,
    open: (r = roots) => createMemory({ indexFile: join(dir, 'data', 'memory-index.db'), roots: r }),
  };
}

test('ranking: the chunk about the task comes first; unrelated chunks are not returned', () => {
  const s = setup();
  try {
    s.put(
      'repo/.crewmux/memory/topics/db.md',
      '# Database\n\n## Migrations\nEvery migration needs a rollback; run migrate-check.\n\n## Pooling\nThe pool size is 10 connections.\n',
    );
    s.put('repo/.crewmux/memory/topics/css.md', '# Styling\n\n## CSS\nUse BEM class names.\n');
    s.put(
      'repo/.crewmux/memory/topics/misc.md',
      '# Misc\n\n## Notes\nA migration was mentioned once in passing among many other words about release trains and tags and versions.\n',
    );
    s.put('repo/.crewmux/memory/notes.md', '# Not a topic\nmigration rollback migration rollback\n');
    const m = s.open();
    try {
      const hits = m.search('Write the rollback for the users migration');
      assert.deepEqual(
        hits.map((h) => h.title),
        ['Database / Migrations', 'Misc / Notes'],
      );
      assert.equal(hits[0]!.file, join('topics', 'db.md'));
      assert.equal(hits[0]!.scope, 'project');
      assert.equal(hits[0]!.kind, 'topic');
      // Stemming: "migrations" finds "migration".
      assert.equal(m.search('migrations')[0]!.title, 'Database / Migrations');
      assert.deepEqual(m.search('kubernetes helm chart'), []);
      assert.deepEqual(m.search('the and of'), []);
      // retrieve: the block holds the best chunk, within budget.
      const block = m.retrieve('rollback migration', 150)!;
      assert.deepEqual(block.used, ['Database / Migrations']);
      assert.ok(block.text.length <= 150);
    } finally {
      m.close();
    }
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('the index follows the files: an edit is re-indexed, a deleted file is forgotten, across reopen', () => {
  const s = setup();
  try {
    s.put('repo/.crewmux/memory/topics/a.md', '# A\n\n## One\nalpha bravo\n');
    let m = s.open();
    assert.equal(m.search('bravo').length, 1);
    s.put('repo/.crewmux/memory/topics/a.md', '# A\n\n## One\ncharlie delta echo\n');
    // Same size edits are caught by mtime.
    utimesSync(join(s.dir, 'repo/.crewmux/memory/topics/a.md'), new Date(), new Date(Date.now() + 5_000));
    assert.deepEqual(m.search('bravo'), []);
    assert.equal(m.search('delta').length, 1);
    m.close();
    m = s.open();
    assert.equal(m.search('delta').length, 1, 'the index persists');
    unlinkSync(join(s.dir, 'repo/.crewmux/memory/topics/a.md'));
    assert.deepEqual(m.search('delta'), []);
    m.close();
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test("scopes: global topics are shared; another project's memory in the same index is never returned", () => {
  const s = setup();
  try {
    s.put('data/memory/topics/habits.md', '# Habits\n\n## Commits\nSmall commits with imperative subjects.\n');
    s.put('other/.crewmux/memory/topics/secret.md', '# Other project\n\n## Commits\nOther project commit rules.\n');
    const other = s.open({ project: join(s.dir, 'other', '.crewmux', 'memory'), global: s.roots.global });
    assert.equal(other.search('commits').length, 2);
    other.close();
    const m = s.open();
    try {
      const hits = m.search('commits');
      assert.deepEqual(
        hits.map((h) => [h.scope, h.title]),
        [['global', 'Habits / Commits']],
      );
      assert.deepEqual(
        m.files().map((f) => [f.scope, f.kind, f.rel]),
        [['global', 'topic', join('topics', 'habits.md')]],
      );
    } finally {
      m.close();
    }
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('an episode written at the end of one session is retrieved for a worker in the next', () => {
  const s = setup();
  try {
    const m = s.open();
    const file = m.writeEpisode(
      {
        report: {
          sessionId: 'sone',
          goal: 'Speed up the importer',
          outcome: 'done',
          reason: 'merged',
          integrationBranch: 'crewmux/sone/integration',
          workers: [
            {
              id: 'w01',
              agent: 'codex',
              perspective: 'implementer',
              state: 'merged',
              branch: 'b',
              summary: 'batched inserts',
              merged: true,
            },
          ],
          verifies: [
            {
              commit: 'c0ffee0000001',
              passed: false,
              commands: [{ command: 'npm run bench:importer', exitCode: 1, durationMs: 1 }],
            },
            {
              commit: 'c0ffee0000002',
              passed: true,
              commands: [{ command: 'npm run bench:importer', exitCode: 0, durationMs: 1 }],
            },
          ],
          mergeCommand: 'git merge crewmux/sone/integration',
        },
        lead: 'claude',
        startedAt: 0,
        endedAt: Date.UTC(2026, 0, 2),
        failures: [
          {
            commit: 'c0ffee0000001',
            command: 'npm run bench:importer',
            exitCode: 1,
            timedOut: false,
            tail: 'importer took 9.1 s, limit 5 s',
          },
        ],
      },
      'project',
    );
    assert.equal(file, join(s.roots.project, 'episodes', '2026-01-02-sone.md'));
    const hits = m.search('The importer is slow again; make it faster');
    assert.ok(hits.length >= 1);
    assert.ok(hits.every((h) => h.kind === 'episode' && h.title.startsWith('Episode sone: Speed up the importer')));
    const block = m.retrieve('importer limit')!;
    assert.match(block.text, /importer took 9\.1 s, limit 5 s/);
    m.close();
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
