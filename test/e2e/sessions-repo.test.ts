/**
 * Sessions belong to a repository (issue 14): with a session in each of two repositories, `status` and `attach`
 * act on the current repository's latest, `--all` on any; outside a repository they say so; `sessions` shows
 * each repository; `gc` removes crewmux's worktrees of a repository that was deleted, and reports leftovers of
 * a session the database no longer knows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { createTestEnv, diagnostics, git, runCli, type TestEnv } from '../helpers/env.js';

async function demo(t: TestEnv): Promise<{ sid: string; repo: string }> {
  const r = await runCli(t, t.dir, ['demo', '--no-attach', '--keep'], { env: { TMPDIR: t.dir }, timeoutMs: 180_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
  const sid = /crewmux demo: session (\S+)/.exec(r.stderr)?.[1];
  const repo = /throwaway repository (\S+)/.exec(r.stderr)?.[1];
  assert.ok(sid && repo, r.stderr);
  return { sid, repo };
}

test('status, attach and gc follow the repository: two repos with a session each, then one repo deleted', async () => {
  const t = createTestEnv();
  try {
    const a = await demo(t);
    const b = await demo(t); // the latest session overall
    const status = async (cwd: string, ...args: string[]) => {
      const r = await runCli(t, cwd, ['status', '--json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).session as { id: string; repo: string };
    };
    assert.equal((await status(a.repo)).id, a.sid, "status in repo A shows A's session, not the latest");
    assert.equal((await status(join(a.repo, '.crewmux'))).id, a.sid, 'also from a subfolder');
    assert.equal((await status(b.repo)).id, b.sid);
    assert.equal((await status(a.repo, '--all')).id, b.sid, '--all: the latest of any repository');
    assert.equal((await status(b.repo, a.sid)).id, a.sid, 'an explicit id, from any repository');

    const attach = await runCli(t, a.repo, ['attach']);
    assert.equal(attach.code, 1);
    assert.match(attach.stderr, new RegExp(`Session ${a.sid} is done; its tmux session .* is gone`));

    const outside = await runCli(t, t.dir, ['status']);
    assert.equal(outside.code, 3, outside.stderr);
    assert.match(outside.stderr, /is not in a git repository.*E_NOT_GIT_REPO/s);
    assert.match(outside.stderr, /crewmux status --all/);

    const list = await runCli(t, t.dir, ['sessions']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /REPO/);
    assert.ok(list.stdout.includes(basename(a.repo)) && list.stdout.includes(basename(b.repo)), list.stdout);

    // Repository A is deleted: its worktrees under crewmux's data dir can only go by gc.
    const worktreesOf = (sid: string) =>
      readdirSync(join(t.env.CREWMUX_DATA_DIR!, 'worktrees')).flatMap((slug) =>
        existsSync(join(t.env.CREWMUX_DATA_DIR!, 'worktrees', slug, sid))
          ? [join(t.env.CREWMUX_DATA_DIR!, 'worktrees', slug, sid)]
          : [],
      );
    const [aWorktrees] = worktreesOf(a.sid);
    assert.ok(aWorktrees && existsSync(aWorktrees), 'the demo left its integration worktree (--keep)');
    rmSync(a.repo, { recursive: true, force: true });
    const gc = async (...args: string[]) => {
      const r = await runCli(t, t.dir, ['gc', '--json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { session: string; class: string; action: string; worktree: string | null }[];
    };
    const dry = await gc('--dry-run');
    assert.deepEqual(
      dry.filter((i) => i.session === a.sid).map((i) => [i.class, i.action, i.worktree]),
      [['missing repository', 'would remove', aWorktrees]],
    );
    assert.ok(existsSync(aWorktrees), '--dry-run removes nothing');
    const done = await gc();
    assert.deepEqual(
      done.filter((i) => i.session === a.sid).map((i) => [i.class, i.action]),
      [['missing repository', 'removed']],
    );
    assert.equal(existsSync(aWorktrees), false);
    const text = await runCli(t, t.dir, ['gc', '--dry-run']);
    assert.doesNotMatch(text.stdout, new RegExp(a.sid), 'nothing of A is left to collect');

    // B's session row is lost (a wiped database): its worktree folder and branch are leftovers of a gone session.
    const [bWorktrees] = worktreesOf(b.sid);
    assert.ok(bWorktrees);
    const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'));
    db.pragma('foreign_keys = OFF');
    for (const table of ['events', 'workers', 'verifies', 'sessions'])
      db.prepare(`DELETE FROM ${table} WHERE ${table === 'sessions' ? 'id' : 'session_id'} = ?`).run(b.sid);
    db.close();
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(bWorktrees, old, old);
    const gone = await runCli(t, b.repo, ['gc', '--json']);
    assert.equal(gone.code, 0, gone.stderr);
    const items = JSON.parse(gone.stdout) as { session: string; class: string; action: string; branch: string }[];
    assert.deepEqual(
      items.filter((i) => i.session === b.sid).map((i) => [i.class, i.action, i.branch]),
      [
        ['session gone', 'removed', '-'],
        ['session gone', 'kept', `crewmux/${b.sid}/integration`],
      ],
    );
    assert.equal(existsSync(bWorktrees), false);
    assert.match(
      git(b.repo, 'branch', '--list', 'crewmux/*'),
      /integration/,
      'an unmerged branch is kept without --force',
    );
  } finally {
    t.cleanup();
  }
});
