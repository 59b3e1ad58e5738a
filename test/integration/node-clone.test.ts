/**
 * `worktree.clone` folders on worker nodes (src/adapters/nodes/clone-folders.ts, src/app/nodes/serve-clone.ts,
 * docs/architecture.md "Worker nodes: cloned folders"), on real tar, git, cp and files: a folder's fingerprint does not
 * follow symlinks and changes when the folder does; the node's cache takes a tar stream into place (0700), refuses a
 * stream holding anything beside the folder, a member name with "..", or more than its size (nothing kept), keeps
 * the newest 2 fingerprints; the node's worker.prepare clones the cached folder into a fresh worktree with the local clone code (a copy, never a
 * symlink) or links it for `worktree.link`. Then through real OpenSSH (test/helpers/netns-ssh.ts, skipped with the
 * reason where the lab cannot run): `sendFolder` pipes the folder into the node's `crewmux node clone-receive`, a
 * second send of the same fingerprint is a cache hit, and nothing outside the folder reaches the node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT, createRepo, createTestEnv, type TestEnv } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { nodeDataWithBases, nodeOpsDeps, prepareParams } from '../helpers/node-ops.js';
import { createCloneCache, createCloneFolders } from '../../src/adapters/nodes/clone-folders.js';
import { execSource } from '../../src/adapters/process/exec.js';
import { nodeBootstrapMethods } from '../../src/app/nodes/serve-bootstrap.js';
import { nodeCloneMethods } from '../../src/app/nodes/serve-clone.js';
import { WorkerPrepareResultSchema } from '../../src/core/nodes/bootstrap-protocol.js';
import { CloneCheckResultSchema, nodeCloneCacheDir } from '../../src/core/nodes/clone-protocol.js';

const SID = 's1nodeclone';
const REPO_ID = 'fedcba9876543210';
const SECRET = 'SECRET-OUTSIDE-THE-FOLDER';

/** A checkout whose git-ignored node_modules holds a module, a relative symlink inside and one leading out. */
function checkout(t: TestEnv): string {
  const repo = createRepo(t, { '.gitignore': 'node_modules/\n', 'README.md': '# r\n', 'test.js': 'require("dep")\n' });
  const outside = join(t.dir, 'outside-secret.txt');
  writeFileSync(outside, `${SECRET}\n`);
  mkdirSync(join(repo, 'node_modules', 'dep'), { recursive: true });
  mkdirSync(join(repo, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 42;\n');
  writeFileSync(join(repo, 'node_modules', 'dep', 'package.json'), '{"name":"dep","version":"1.0.0"}\n');
  symlinkSync('../dep/index.js', join(repo, 'node_modules', '.bin', 'dep'));
  symlinkSync(outside, join(repo, 'node_modules', 'leak'));
  writeFileSync(join(t.dir, 'beside.txt'), 'beside\n');
  return repo;
}

/** The tar stream of `folder` of `root`, as the lead host sends it. */
const tarOf = (root: string, folder: string) => execSource('tar', ['-C', root, '-cf', '-', '--', folder]).stdout;

test('the fingerprint does not follow symlinks, is memoised, and changes when the folder is installed again', async () => {
  const t = createTestEnv();
  try {
    const repo = checkout(t);
    const prints = createCloneFolders({ platformArch: 'linux-x64' });
    const a = await prints.fingerprint(repo, 'node_modules', 1e9);
    assert.ok('fingerprint' in a && /^[0-9a-f]{64}$/.test(a.fingerprint), JSON.stringify(a));
    // The files' bytes only: the symlink to the outside file is a link, not its target's size.
    assert.equal(a.bytes, 21 + 33);
    assert.deepEqual(await prints.fingerprint(repo, 'node_modules', 1e9), a);
    // Another platform-arch: another fingerprint (a node of it never shares a cache entry).
    const other = await createCloneFolders({ platformArch: 'darwin-arm64' }).fingerprint(repo, 'node_modules', 1e9);
    assert.notDeepEqual(other, a);
    // An install changes the folder (and its mtime): a new fingerprint.
    writeFileSync(join(repo, 'node_modules', 'new.js'), 'x\n');
    utimesSync(join(repo, 'node_modules'), new Date(), new Date(Date.now() + 5000));
    const b = await prints.fingerprint(repo, 'node_modules', 1e9);
    assert.ok('fingerprint' in b && b.fingerprint !== a.fingerprint);
    // Over the cap: the walk stops there.
    const over = await prints.fingerprint(repo, 'node_modules', 10);
    assert.ok('bytes' in over && over.bytes > 10, JSON.stringify(over));
    // A symlinked folder is not fingerprinted (and so never sent).
    symlinkSync(join(repo, 'node_modules'), join(repo, 'linked'));
    assert.deepEqual(await prints.fingerprint(repo, 'linked', 1e9), {
      problem: 'linked is a symlink in your checkout (not followed, not sent)',
    });
  } finally {
    t.cleanup();
  }
});

test('the node cache takes a folder into place, refuses a stream with more than it or too big, keeps 2', async () => {
  const t = createTestEnv();
  try {
    const repo = checkout(t);
    const nodeDir = join(t.dir, 'node-data', 'node');
    const cache = createCloneCache({ nodeDir, platformArch: 'linux-x64' });
    const fp = (c: string) => c.repeat(64);
    const r = await cache.receive(
      { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp('1'), maxBytes: 1e9 },
      tarOf(repo, 'node_modules'),
    );
    assert.equal(r.cached, false);
    assert.ok(r.bytes >= 10240, `${r.bytes} bytes`);
    const base = nodeCloneCacheDir(nodeDir, REPO_ID, 'node_modules');
    const at = join(base, fp('1'), 'node_modules');
    assert.equal(readFileSync(join(at, 'dep', 'index.js'), 'utf8'), 'module.exports = 42;\n');
    assert.equal(readlinkSync(join(at, '.bin', 'dep')), '../dep/index.js');
    // The link leading out came as a link (what it names is not on the node's side of this test's cache).
    assert.ok(lstatSync(join(at, 'leak')).isSymbolicLink());
    for (const d of [join(nodeDir, 'cache'), base, join(base, fp('1'))])
      assert.equal(statSync(d).mode & 0o777, 0o700, d);
    assert.equal(cache.has(REPO_ID, 'node_modules', fp('1')), true);

    // A stream holding something beside the folder is refused; nothing is kept, no temp dir stays.
    await assert.rejects(
      cache.receive(
        { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp('2'), maxBytes: 1e9 },
        tarOf(t.dir, 'beside.txt'),
      ),
      /held more than node_modules: not kept/,
    );
    // ...and one whose member names climb out with ".." (tar refuses them itself).
    await assert.rejects(
      cache.receive(
        { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp('2'), maxBytes: 1e9 },
        execSource('tar', ['-C', repo, '-P', '-cf', '-', 'node_modules/../../beside.txt']).stdout,
      ),
      /Member name contains '\.\.'/,
    );
    assert.equal(readdirSync(join(t.dir)).filter((n) => n === 'beside.txt').length, 1);
    // ...and so is one over its size.
    await assert.rejects(
      cache.receive(
        { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp('3'), maxBytes: 4096 },
        tarOf(repo, 'node_modules'),
      ),
      /over 4096 bytes: not kept/,
    );
    assert.deepEqual(readdirSync(base), [fp('1')]);

    // The newest 2 fingerprints stay (by use): a third send drops the one used least recently.
    for (const c of ['4', '5']) {
      await cache.receive(
        { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp(c), maxBytes: 1e9 },
        tarOf(repo, 'node_modules'),
      );
      // mtimes one second apart, so "newest" is certain on any file system.
      const when = new Date(Date.now() + Number(c) * 1000);
      utimesSync(join(base, fp(c)), when, when);
    }
    assert.deepEqual(readdirSync(base).sort(), [fp('4'), fp('5')]);

    // clone.check answers which fingerprints the cache holds, and the node's platform-arch.
    const check = CloneCheckResultSchema.parse(
      await nodeCloneMethods({ cache })['clone.check']!({
        repoId: REPO_ID,
        folders: [
          { folder: 'node_modules', fingerprint: fp('5') },
          { folder: 'node_modules', fingerprint: fp('1') },
        ],
      }),
    );
    assert.deepEqual(check, { platformArch: 'linux-x64', cached: [`node_modules@${fp('5')}`] });
  } finally {
    t.cleanup();
  }
});

test('worker.prepare clones the cached folder into the worktree (a copy, not a link); worktree.link links it', async () => {
  const t = createTestEnv();
  const socket = `crewmux-test-nodeclone-${process.pid}`;
  try {
    const repo = checkout(t);
    const { dataDir } = nodeDataWithBases(t, { repo, repoId: REPO_ID, sid: SID, workers: ['w1', 'w2'] });
    const cache = createCloneCache({ nodeDir: join(dataDir, 'node') });
    const fp = 'c'.repeat(64);
    await cache.receive(
      { repoId: REPO_ID, folder: 'node_modules', fingerprint: fp, maxBytes: 1e9 },
      tarOf(repo, 'node_modules'),
    );
    const ops = nodeBootstrapMethods({ ...nodeOpsDeps(t, { dataDir, socket }), cloneCache: cache });
    const prepare = async (w: string, link: boolean, setup: string[] = []) =>
      WorkerPrepareResultSchema.parse(
        await ops['worker.prepare']!(
          prepareParams(SID, REPO_ID, w, {
            setup: { source: setup.length ? 'worktree.setup' : 'none', commands: setup },
            clone: [
              { folder: 'node_modules', fingerprint: fp, link },
              { folder: '.venv', fingerprint: 'd'.repeat(64), link: false },
            ],
          }),
        ),
      );
    // The worker's test needs the module: it runs without installing.
    const a = await prepare('w1', false, ['node test.js > test-ran.txt && echo ok >> test-ran.txt']);
    assert.equal(a.setup.ok, true, a.setup.tail);
    assert.equal(readFileSync(join(a.worktree, 'test-ran.txt'), 'utf8'), 'ok\n');
    const nm = join(a.worktree, 'node_modules');
    assert.ok(lstatSync(nm).isDirectory() && !lstatSync(nm).isSymbolicLink());
    assert.equal(readFileSync(join(nm, 'dep', 'index.js'), 'utf8'), 'module.exports = 42;\n');
    assert.equal(readlinkSync(join(nm, '.bin', 'dep')), '../dep/index.js');
    assert.deepEqual(
      a.clone?.map((c) => [c.folder, c.method === 'reflink' || c.method === 'copy']),
      [
        ['node_modules', true],
        ['.venv', true],
      ],
    );
    assert.equal(a.clone?.[1]?.why, 'not cloned: not in the node cache');
    assert.match(a.phases.find((p) => p.name === 'clone')!.how, /node_modules by (reflink|copy)/);

    const b = await prepare('w2', true);
    assert.equal(readlinkSync(join(b.worktree, 'node_modules')), cache.use(REPO_ID, 'node_modules', fp));
    assert.equal(b.clone?.[0]?.method, 'link');
  } finally {
    t.cleanup();
  }
});

/** Runs in the lead namespace: the fingerprint, then two sends of node_modules into the node's cache over ssh. */
const SEND_PROBE = `
const { createSsh } = await import(process.env.DIST + '/src/adapters/nodes/ssh.js');
const { createCloneFolders, sendFolder } = await import(process.env.DIST + '/src/adapters/nodes/clone-folders.js');
const target = JSON.parse(process.env.TARGET);
const ssh = createSsh({ command: process.env.CREWMUX_SSH_COMMAND, runtimeDir: process.env.RUNTIME_DIR });
const print = await createCloneFolders().fingerprint(process.env.REPO, 'node_modules', 1e9);
const remote = ['crewmux', 'node', 'clone-receive', '--repo-id', process.env.REPO_ID, '--folder', 'node_modules',
  '--fingerprint', print.fingerprint, '--max-bytes', '1000000000'];
const first = await sendFolder(ssh, target, { root: process.env.REPO, folder: 'node_modules', remote });
const second = await sendFolder(ssh, target, { root: process.env.REPO, folder: 'node_modules', remote });
await ssh.control(target, 'exit');
console.log(JSON.stringify({ fingerprint: print.fingerprint, first, second }));
`;

test(
  'sendFolder pipes the folder into the node cache over real OpenSSH; the same fingerprint again is a hit',
  { skip: sshLabSkipReason() },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const t = createTestEnv();
    try {
      const [node] = lab.nodes;
      const repo = checkout(t);
      const r = await lab.runInLead([process.execPath, '--input-type=module', '-e', SEND_PROBE], {
        env: {
          ...t.env,
          CREWMUX_SSH_COMMAND: lab.sshCommand,
          DIST: join(ROOT, 'dist'),
          RUNTIME_DIR: t.env.CREWMUX_RUNTIME_DIR,
          TARGET: JSON.stringify({ host: node!.ip, user: node!.user }),
          REPO: repo,
          REPO_ID,
        },
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        fingerprint: string;
        first: { bytes: number; answer: { bytes: number; cached: boolean } };
        second: { bytes: number; answer: { cached: boolean } };
      };
      assert.equal(out.first.answer.cached, false);
      assert.ok(out.first.bytes >= 10240 && out.first.bytes === out.first.answer.bytes, JSON.stringify(out));
      assert.equal(out.second.answer.cached, true);
      // On the node, as its user: the folder in its cache (0700), the links as links, the outside file not there.
      const base = nodeCloneCacheDir(join(node!.home, '.local', 'share', 'crewmux', 'node'), REPO_ID, 'node_modules');
      const at = join(base, out.fingerprint, 'node_modules');
      const look = lab.asNode(node!, [
        'sh',
        '-c',
        'stat -c "%a %U" "$1" && cat "$2/dep/index.js" && readlink "$2/.bin/dep" "$2/leak" && ! grep -r -s "$3" "$4"',
        'sh',
        base,
        at,
        SECRET,
        join(node!.home, '.local', 'share', 'crewmux'),
      ]);
      assert.equal(look.status, 0, `${look.stdout}\n${look.stderr}`);
      assert.equal(
        look.stdout,
        `700 ${node!.user}\nmodule.exports = 42;\n../dep/index.js\n${join(t.dir, 'outside-secret.txt')}\n`,
      );
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);
