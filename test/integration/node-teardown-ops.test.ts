/**
 * A node worktree's teardown and port lock (src/app/nodes/serve-bootstrap.ts, serve-gc.ts), on real git, files,
 * processes and loopback ports, without ssh (the lab e2e test/e2e/node-bootstrap.test.ts runs them through OpenSSH):
 * `worker.prepare` keeps the lead's teardown commands with the worktree (0600) and writes `.env.local`'s managed
 * block when the lead says the user's checkout uses one; `worker.remove` runs the teardown in the worktree before it
 * goes (its CREWMUX_PORT and slug, output in a node log, a failure reported and the worktree removed anyway) and
 * releases its port lock, and the locks of worktrees already gone (a lost or killed worker's) too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, git } from '../helpers/env.js';
import { nodeDataWithBases, nodeOpsDeps, prepareParams } from '../helpers/node-ops.js';
import { nodeBootstrapMethods } from '../../src/app/nodes/serve-bootstrap.js';
import { nodeGcMethods } from '../../src/app/nodes/serve-gc.js';
import { WorkerPrepareResultSchema } from '../../src/core/nodes/bootstrap-protocol.js';
import { WorkerRemoveResultSchema } from '../../src/core/nodes/gc-protocol.js';

const SID = 's1nodetear';
const REPO_ID = '0123456789abcdef';
const SOCKET = `crewmux-test-nodetear-${process.pid}`;

test('worker.remove runs the kept teardown with the worktree port and slug, then releases its lock and gone ones', async () => {
  const t = createTestEnv();
  try {
    // As a project using .env.local does: git ignores it.
    const repo = createRepo(t, { 'README.md': '# r\n', '.gitignore': '.env.local\n' });
    const { dataDir, bare } = nodeDataWithBases(t, { repo, repoId: REPO_ID, sid: SID, workers: ['w1', 'w2', 'w3'] });
    const deps = nodeOpsDeps(t, { dataDir, socket: SOCKET });
    const ports = join(deps.runtimeDir, 'ports');
    const boot = nodeBootstrapMethods(deps);
    const gc = nodeGcMethods(deps);
    const marker = (w: string) => join(t.dir, `torn-down-${w}`);
    const prepare = async (w: string, teardown: string[], envLocal: boolean) =>
      WorkerPrepareResultSchema.parse(
        await boot['worker.prepare']!(prepareParams(SID, REPO_ID, w, { teardown, envLocal })),
      );
    const remove = async (w: string) => {
      const heads = Object.fromEntries(
        git(bare, 'for-each-ref', '--format=%(refname:short) %(objectname)', `refs/heads/crewmux/${SID}/`)
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ') as [string, string])
          .filter(([b]) => b.startsWith(`crewmux/${SID}/${w}-`)),
      );
      return WorkerRemoveResultSchema.parse(await gc['worker.remove']!({ id: `${SID}/${w}`, repoId: REPO_ID, heads }));
    };
    const locks = () => readdirSync(ports).sort();

    const a = await prepare(
      'w1',
      [`printf "%s %s\\n" "$CREWMUX_PORT" "$CREWMUX_WORKTREE_SLUG" > '${marker('w1')}'`],
      true,
    );
    const b = await prepare('w2', ['true'], false);
    const c = await prepare('w3', ['echo cleaning up; exit 3'], false);
    // The user's checkout uses .env.local (the lead said so): a 0600 one holding only the block; not for w2.
    const envLocal = readFileSync(join(a.worktree, '.env.local'), 'utf8');
    assert.match(envLocal, new RegExp(`CREWMUX_PORT=${a.env.CREWMUX_PORT}\\n`));
    assert.match(envLocal, /CREWMUX_WORKTREE_SLUG=crewmux_s1nodetear_w1_implementer/);
    assert.equal(statSync(join(a.worktree, '.env.local')).mode & 0o777, 0o600);
    assert.equal(existsSync(join(b.worktree, '.env.local')), false);
    // The teardown is kept with the worktree, owner-only.
    const record = join(dataDir, 'node', 'sessions', SID, 'w1', 'teardown.json');
    assert.equal(statSync(record).mode & 0o777, 0o600);
    assert.deepEqual(locks(), [a, b, c].map((p) => `${p.env.CREWMUX_PORT}.lock`).sort());

    // w2's worktree is gone without its lock released (a lost worker's, removed by an older node or by hand).
    git(bare, 'worktree', 'remove', '--force', b.worktree);
    rmSync(join(dataDir, 'node', 'sessions', SID, 'w2'), { recursive: true, force: true });

    const r1 = await remove('w1');
    assert.equal(r1.removed, true, r1.reason);
    assert.equal(r1.teardown?.ran, 1);
    assert.equal(r1.teardown?.failed, undefined);
    assert.equal(readFileSync(marker('w1'), 'utf8'), `${a.env.CREWMUX_PORT} crewmux_${SID}_w1_implementer\n`);
    assert.equal(existsSync(a.worktree), false);
    assert.equal(statSync(r1.teardown.log).mode & 0o777, 0o600);
    // w1's lock and the gone w2's are released; w3's worktree is still there: its lock stays.
    assert.deepEqual(locks(), [`${c.env.CREWMUX_PORT}.lock`]);

    const r3 = await remove('w3');
    assert.equal(r3.removed, true, 'a failed teardown does not keep the worktree');
    assert.deepEqual(r3.teardown?.failed, { command: 'echo cleaning up; exit 3', exitCode: 3, timedOut: false });
    assert.match(readFileSync(r3.teardown.log, 'utf8'), /cleaning up/);
    assert.deepEqual(locks(), []);
  } finally {
    t.cleanup();
  }
});
