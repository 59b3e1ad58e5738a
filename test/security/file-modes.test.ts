/**
 * Boundary: nothing another local user can read (issue 13, item 1; docs/security/file-modes.md).
 * Runs the first-ever command of each kind (`skill add`, `init`, `dashboard`, `demo --no-attach`, the
 * cheapest full `run`) with the built bin/crewmux.js in a fresh HOME whose XDG dirs do not exist yet, then
 * walks everything crewmux created there: directories 0700, everything else 0600. The one exception is
 * the checked-out tree of a git worktree, which follows the repository's normal modes (git writes it;
 * the 0700 data dir above it keeps other users out). Then symlink attacks: a symlink planted where
 * crewmux writes a secret is refused, never written through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { BIN, createRepo, createTestEnv, eventually, runCli, type TestEnv } from '../helpers/env.js';
import { writeSkill } from '../fakes/skill-fixtures.js';
import { signalPid } from '../helpers/wait.js';

interface FreshHome {
  t: TestEnv;
  home: string;
  /** XDG_RUNTIME_DIR, which exists 0700 as pam_systemd makes it. */
  xdgRuntime: string;
  dataDir: string;
  configDir: string;
  runtimeDir: string;
}

/** A test env whose crewmux dirs come from XDG variables under a fresh HOME (nothing created yet). */
function freshHome(): FreshHome {
  const t = createTestEnv();
  const home = t.env.HOME!;
  const xdgRuntime = join(t.dir, 'xdg-run');
  mkdirSync(xdgRuntime, { mode: 0o700 });
  const tmp = join(t.dir, 'tmp');
  mkdirSync(tmp, { mode: 0o700 });
  delete t.env.CREWMUX_DATA_DIR;
  delete t.env.CREWMUX_CONFIG_DIR;
  delete t.env.CREWMUX_RUNTIME_DIR;
  Object.assign(t.env, {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_RUNTIME_DIR: xdgRuntime,
    TMPDIR: tmp,
  });
  return {
    t,
    home,
    xdgRuntime,
    dataDir: join(home, '.local', 'share', 'crewmux'),
    configDir: join(home, '.config', 'crewmux'),
    runtimeDir: join(xdgRuntime, 'crewmux'),
  };
}

/** A git worktree's root: a directory holding a `.git` file (not a dir: that is a repository). */
function isWorktreeRoot(dir: string): boolean {
  try {
    return lstatSync(join(dir, '.git')).isFile();
  } catch {
    return false;
  }
}

/**
 * Every path below `roots` (the roots included) whose mode is not 0700 for a directory or 0600 for
 * anything else, as "rel mode" lines. A worktree's checked-out contents are skipped (documented exception).
 */
function looseModes(base: string, roots: string[]): string[] {
  const bad: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) {
      bad.push(`${relative(base, p)} is a symlink`);
      return;
    }
    const want = st.isDirectory() ? 0o700 : 0o600;
    if (mode !== want)
      bad.push(`${relative(base, p)} ${mode.toString(8).padStart(4, '0')} (want 0${want.toString(8)})`);
    if (st.isDirectory() && !isWorktreeRoot(p)) for (const n of readdirSync(p)) visit(join(p, n));
  };
  for (const r of roots) if (existsSync(r)) visit(r);
  return bad;
}

/** Everything crewmux may create in a fresh home: the XDG parents it makes, and its own three dirs. */
function createdDirs(h: FreshHome): string[] {
  return [join(h.home, '.config'), join(h.home, '.local'), h.runtimeDir];
}

test('skill add as the first command: every dir 0700, every file 0600', async () => {
  const h = freshHome();
  try {
    const src = writeSkill(join(h.t.dir, 'skill-src'), { name: 'deploy', keywords: ['deploy'] });
    const r = await runCli(h.t, h.t.dir, ['skill', 'add', src]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(h.dataDir, 'skills', 'deploy', 'skill.toml')), 'the skill was installed');
    assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
  } finally {
    h.t.cleanup();
  }
});

test('skill keygen as the first command: the signing key and the trust list are 0600 in a 0700 config dir', async () => {
  const h = freshHome();
  try {
    const r = await runCli(h.t, h.t.dir, ['skill', 'keygen', '--name', 'me']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readdirSync(h.configDir).length >= 2, 'a key and a trust list');
    assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
  } finally {
    h.t.cleanup();
  }
});

test('init as the first command: crewmux dirs private; the files it scaffolds in the repo keep normal modes', async () => {
  const h = freshHome();
  try {
    const repo = createRepo(h.t, { 'package.json': JSON.stringify({ scripts: { test: 'true' } }) });
    const r = await runCli(h.t, repo, ['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
    // PROJECT.md and friends are committed project files: 0644 whatever crewmux's own umask.
    assert.equal(statSync(join(repo, '.crewmux', 'PROJECT.md')).mode & 0o777, 0o644);
  } finally {
    h.t.cleanup();
  }
});

/** Starts `crewmux dashboard --url-file FILE`; resolves with the URL and a stop() that signals its PID. */
async function startDashboard(h: FreshHome, urlFile: string) {
  const child = spawn(process.execPath, [BIN, 'dashboard', '--url-file', urlFile], {
    cwd: h.t.dir,
    env: h.t.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const url = await eventually(
    'the dashboard URL file',
    () => {
      if (code !== undefined) throw new Error(`dashboard exited ${code}: ${stderr}`);
      const text = existsSync(urlFile) && !lstatSync(urlFile).isSymbolicLink() ? readFileSync(urlFile, 'utf8') : '';
      return text.trim() || undefined;
    },
    30_000,
  );
  return {
    url,
    async stop() {
      signalPid(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

test('dashboard as the first command: state.db and its -wal/-shm 0600, the URL file 0600', async () => {
  const h = freshHome();
  try {
    const out = join(h.t.dir, 'out');
    mkdirSync(out, { mode: 0o755 });
    const urlFile = join(out, 'dashboard.url');
    const d = await startDashboard(h, urlFile);
    try {
      assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.equal(statSync(urlFile).mode & 0o777, 0o600, 'the URL carries the dashboard token');
      assert.ok(existsSync(join(h.dataDir, 'state.db')));
      // Checked while the dashboard holds the database open, so the -wal and -shm files exist.
      assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
    } finally {
      await d.stop();
    }
    assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
  } finally {
    h.t.cleanup();
  }
});

test('demo --no-attach (a whole scripted run) as the first command: every file and dir crewmux made is private', async () => {
  const h = freshHome();
  try {
    // --keep: the demo removes its throwaway repo and worktrees at the end otherwise.
    const r = await runCli(h.t, h.t.dir, ['demo', '--no-attach', '--keep'], { timeoutMs: 240_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const sessions = readdirSync(join(h.dataDir, 'sessions'));
    assert.equal(sessions.length, 1);
    assert.ok(readdirSync(join(h.dataDir, 'worktrees')).length > 0, 'the run made worktrees');
    assert.deepEqual(looseModes(h.home, createdDirs(h)), []);
  } finally {
    h.t.cleanup();
  }
});

test('existing crewmux dirs with loose modes are tightened to 0700, and crewmux says so once', async () => {
  const h = freshHome();
  try {
    for (const d of [h.dataDir, h.configDir, h.runtimeDir]) mkdirSync(d, { recursive: true, mode: 0o755 });
    chmodSync(h.dataDir, 0o755);
    chmodSync(h.configDir, 0o750);
    chmodSync(h.runtimeDir, 0o711);
    const r = await runCli(h.t, h.t.dir, ['sessions', '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const d of [h.dataDir, h.configDir, h.runtimeDir]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
    assert.equal(r.stderr.match(/made .* private \(0700\)/g)?.length, 1, r.stderr);
    const again = await runCli(h.t, h.t.dir, ['sessions', '--json']);
    assert.doesNotMatch(again.stderr, /private \(0700\)/);
  } finally {
    h.t.cleanup();
  }
});

test('a symlink planted at the dashboard URL file is refused, not written through or replaced', async () => {
  const h = freshHome();
  try {
    const victim = join(h.t.dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const urlFile = join(h.t.dir, 'dashboard.url');
    symlinkSync(victim, urlFile);
    const child = spawn(process.execPath, [BIN, 'dashboard', '--url-file', urlFile], {
      cwd: h.t.dir,
      env: h.t.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGTERM'), 15_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the victim is untouched');
    assert.ok(lstatSync(urlFile).isSymbolicLink(), 'the planted link is left for the user to inspect');
    assert.notEqual(code, 0, 'the dashboard refuses to start');
    assert.match(stderr, /is a symbolic link.*\[E_UNSAFE_PATH\]/, stderr);
  } finally {
    h.t.cleanup();
  }
});

test('a symlink planted at state.db in a group-writable data dir is never opened: the victim stays untouched', async () => {
  const h = freshHome();
  try {
    mkdirSync(h.dataDir, { recursive: true });
    chmodSync(h.dataDir, 0o770);
    const victim = join(h.t.dir, 'victim.db');
    writeFileSync(victim, '');
    symlinkSync(victim, join(h.dataDir, 'state.db'));
    const r = await runCli(h.t, h.t.dir, ['sessions', '--json']);
    assert.equal(statSync(victim).size, 0, 'crewmux wrote a database through the planted symlink');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /state\.db is a symbolic link.*\[E_UNSAFE_PATH\]/s, r.stderr);
    assert.equal(statSync(h.dataDir).mode & 0o777, 0o700);
  } finally {
    h.t.cleanup();
  }
});

test('a symlink planted at the trust list is refused by skill untrust, and the file it points to is untouched', async () => {
  const h = freshHome();
  try {
    mkdirSync(h.configDir, { recursive: true, mode: 0o700 });
    const victim = join(h.t.dir, 'victim.json');
    writeFileSync(victim, '{"version":1,"keys":[]}\n');
    const kg = await runCli(h.t, h.t.dir, ['skill', 'keygen', '--json', '--name', 'me']);
    assert.equal(kg.code, 0, kg.stderr);
    const trust = readdirSync(h.configDir).find((n) => /trust/.test(n));
    assert.ok(trust, `a trust list in ${readdirSync(h.configDir).join(', ')}`);
    const trustFile = join(h.configDir, trust);
    const keys = readFileSync(trustFile, 'utf8');
    writeFileSync(victim, keys);
    // The attacker swaps the trust list for a link to a file of theirs.
    unlinkSync(trustFile);
    symlinkSync(victim, trustFile);
    const r = await runCli(h.t, h.t.dir, ['skill', 'untrust', 'me']);
    assert.equal(readFileSync(victim, 'utf8'), keys, 'the victim is untouched');
    assert.ok(lstatSync(trustFile).isSymbolicLink());
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /symbolic link.*\[E_UNSAFE_PATH\]/s, r.stderr);
  } finally {
    h.t.cleanup();
  }
});
