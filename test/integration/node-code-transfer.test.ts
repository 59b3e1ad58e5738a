/**
 * Code transfer to and from a worker node with real git, where the "node" is a bare repository in a directory the
 * test owns (file:// URL): the lead host pushes a worker's base and fetches back only the worker's own branches;
 * a ref outside `refs/heads/crewmux/<sid>/<worker>-*` is refused with an event and never fetched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createGitTransfer } from '../../src/adapters/nodes/git-transfer.js';
import {
  fetchWorkerRef,
  fetchWorkerRefs,
  pushWorkerBase,
  type WorkerRemote,
} from '../../src/app/nodes/code-transfer.js';
import type { GitTransfer } from '../../src/app/ports/git-transfer.js';
import { type UserError } from '../../src/core/errors.js';
import { createRepo, createTestEnv, git } from '../helpers/env.js';

const SID = 'snode001';

/** The real transfer, counting the fetches that reached git. */
function countingTransfer(): GitTransfer & { fetched: string[][] } {
  const real = createGitTransfer({ env: process.env });
  const fetched: string[][] = [];
  return {
    fetched,
    push: real.push,
    listRefs: real.listRefs,
    fetch: (repo, url, refspecs, o) => {
      fetched.push(refspecs);
      return real.fetch(repo, url, refspecs, o);
    },
  };
}

function setUp() {
  const t = createTestEnv();
  const repo = createRepo(t, { 'README.md': '# lead host repo\n', 'src/a.txt': 'a\n' });
  const bare = join(t.dir, 'node-home', 'nodes-repos', 'repo.git');
  execFileSync('git', ['init', '-q', '--bare', bare]);
  const transfer = countingTransfer();
  const events: { type: string; message: string; data: Record<string, unknown> }[] = [];
  const d = {
    transfer,
    emit: (type: string, message: string, _w: string | null, data: Record<string, unknown>) =>
      events.push({ type, message, data }),
  };
  const remote: WorkerRemote = { repo, url: `file://${bare}`, sid: SID, workerId: 'w01', node: 'lab1' };
  /** Plays the node: a clone of the bare repo where the worker commits on `branch` and pushes `refs` there. */
  const nodeWork = join(t.dir, 'node-home', 'work');
  const playNode = (branch: string, file: string, pushAs: string[]) => {
    execFileSync('git', ['clone', '-q', bare, nodeWork], { stdio: 'ignore' });
    git(nodeWork, 'checkout', '-q', '-b', branch, `origin/crewmux/${SID}/base-w01`);
    execFileSync('sh', ['-c', `echo from the node > ${file}`], { cwd: nodeWork });
    git(nodeWork, 'add', '-A');
    git(nodeWork, 'commit', '-q', '-m', `node work on ${branch}`);
    for (const ref of pushAs) git(nodeWork, 'push', '-q', 'origin', `HEAD:${ref}`);
    return git(nodeWork, 'rev-parse', 'HEAD');
  };
  return { t, repo, bare, transfer, events, d, remote, playNode };
}

test('the base is pushed to the node; only the worker branch comes back, with the bytes moved', async () => {
  const s = setUp();
  try {
    const head = git(s.repo, 'rev-parse', 'HEAD');
    const pushed = await pushWorkerBase(s.d, s.remote, head);
    assert.equal(pushed.ref, `refs/heads/crewmux/${SID}/base-w01`);
    assert.ok(pushed.bytes > 0, `bytes sent: ${pushed.bytes}`);
    assert.equal(git(s.bare, 'rev-parse', pushed.ref), head);
    // Again with nothing new: no pack bytes.
    assert.equal((await pushWorkerBase(s.d, s.remote, head)).bytes, 0);

    const branch = `crewmux/${SID}/w01-implementer`;
    const commit = s.playNode(branch, 'b.txt', [`refs/heads/${branch}`]);
    const back = await fetchWorkerRefs(s.d, s.remote);
    assert.deepEqual(back.refs, [`refs/heads/${branch}`]);
    assert.deepEqual(back.refused, []);
    assert.ok(back.bytes > 0, `bytes received: ${back.bytes}`);
    assert.equal(git(s.repo, 'rev-parse', branch), commit);
    assert.equal(git(s.repo, 'show', `${branch}:b.txt`), 'from the node');
    // The user's checkout did not move.
    assert.equal(git(s.repo, 'rev-parse', 'HEAD'), head);
    assert.equal(git(s.repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.deepEqual(s.events, []);
  } finally {
    s.t.cleanup();
  }
});

test('a ref outside the worker prefix is refused with an event and never fetched', async () => {
  const s = setUp();
  try {
    await pushWorkerBase(s.d, s.remote, git(s.repo, 'rev-parse', 'HEAD'));
    const mainBefore = git(s.repo, 'rev-parse', 'main');
    // The node's worker pushed its branch, another worker's, main, and a ref whose tail looks like its own.
    const own = `refs/heads/crewmux/${SID}/w01-implementer`;
    // git ls-remote's pattern matches the tail of a ref: this one passes `refs/heads/crewmux/<sid>/w01-*`.
    const sneaky = `refs/heads/x/refs/heads/crewmux/${SID}/w01-evil`;
    s.playNode(`crewmux/${SID}/w01-implementer`, 'c.txt', [
      own,
      `refs/heads/crewmux/${SID}/w02-tester`,
      'refs/heads/main',
      sneaky,
    ]);

    // Asked for by name: refused before git runs.
    for (const ref of [
      'refs/heads/main',
      `refs/heads/crewmux/${SID}/w02-tester`,
      `${own}:refs/heads/main`,
      `+${own}`,
    ]) {
      await assert.rejects(
        fetchWorkerRef(s.d, s.remote, ref, 'worker w01'),
        (e: UserError) => e.code === 'E_NODE_REF_REFUSED' && e.message.includes(JSON.stringify(ref)),
      );
    }
    assert.deepEqual(s.transfer.fetched, [], 'no refused ref reached git');
    assert.equal(s.events.length, 4);
    assert.ok(s.events.every((e) => e.type === 'node.ref_refused' && e.data.node === 'lab1'));
    assert.equal(s.events[0]!.data.ref, 'refs/heads/main');

    // Listed by the node: only the worker's own comes back.
    const back = await fetchWorkerRefs(s.d, s.remote);
    assert.deepEqual(back.refs, [own]);
    assert.deepEqual(s.transfer.fetched, [[`${own}:${own}`]]);
    assert.equal(git(s.repo, 'rev-parse', 'main'), mainBefore, "the lead host's main never moved");
    const lead = git(s.repo, 'for-each-ref', '--format=%(refname)');
    assert.ok(!lead.includes('w02-tester') && !lead.includes('evil'), lead);
    assert.deepEqual(back.refused, [sneaky]);
    assert.deepEqual(
      s.events.slice(4).map((e) => [e.type, e.data.ref]),
      [['node.ref_refused', sneaky]],
    );
  } finally {
    s.t.cleanup();
  }
});
