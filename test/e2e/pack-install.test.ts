/**
 * What a user gets: `npm pack` of this repository, installed with `npm install -g --prefix` into a clean
 * prefix, runs `crewmux demo --no-attach` from an empty directory (isolated HOME, XDG dirs, TMPDIR and a
 * private tmux socket) and the goal ends done.
 *
 * One honest shortcut, for time: the tarball is installed with --ignore-scripts (and --prefer-offline,
 * so npm's cache is reused), then the native builds of better-sqlite3 and node-pty are copied in from
 * this checkout's node_modules, after checking the installed versions are the same pinned ones. A full
 * install compiles both from source (about 1 minute each on an idle machine, 10 on a loaded one); it was
 * run by hand and works the same. `npm pack --ignore-scripts` packs the dist/ that `npm test` built
 * (`prepare` builds it for a real `npm pack`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, createTestEnv, type CliResult } from '../helpers/env.js';

const NATIVE = ['better-sqlite3', 'node-pty'];

/** Runs the installed `crewmux` (its own #! line, so the user's node); SIGKILL after `timeoutMs`. */
function runCliAt(
  bin: string,
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const versionOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

test('npm pack installs into a clean prefix and its crewmux runs the demo to done', { timeout: 900_000 }, async () => {
  const t = createTestEnv();
  try {
    const packDir = join(t.dir, 'pack');
    const prefix = join(t.dir, 'prefix');
    const tmp = join(t.dir, 'tmp');
    const work = join(t.dir, 'empty');
    for (const d of [packDir, prefix, tmp, work]) mkdirSync(d, { recursive: true });
    assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js')), 'build first (npm test does)');

    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tarball = join(
      packDir,
      readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
    );
    const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/bin/crewmux.js',
      'package/bin/crewmux-shim.js',
      'package/dist/src/cli/main.js',
      'package/dist/src/demo/scripted-lead.js',
      'package/dist/src/demo/scripted-worker.js',
      'package/src/dashboard/static/index.html',
      'package/skills/implementer/skill.md',
      'package/README.md',
    ])
      assert.ok(listed.includes(f), `the package has ${f}`);
    assert.deepEqual(
      listed.filter((f) => f.startsWith('package/test/') || f.startsWith('package/dist/test/')),
      [],
      'no tests in the package',
    );

    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
    );
    const installed = join(prefix, 'lib', 'node_modules', 'crewmux');
    for (const name of NATIVE) {
      const into = join(installed, 'node_modules', name);
      assert.equal(versionOf(into), versionOf(join(ROOT, 'node_modules', name)), `${name} is the pinned version`);
      cpSync(join(ROOT, 'node_modules', name, 'build'), join(into, 'build'), { recursive: true });
    }

    const env = { ...t.env, TMPDIR: tmp, PATH: `${join(prefix, 'bin')}:${t.env.PATH}` };
    const bin = join(prefix, 'bin', 'crewmux');
    const version = await runCliAt(bin, work, ['--version'], env);
    assert.equal(version.stdout.trim(), versionOf(ROOT), version.stderr);

    const demo = await runCliAt(bin, work, ['demo', '--no-attach'], env, 600_000);
    assert.equal(demo.code, 0, `demo: ${demo.stdout}\n${demo.stderr}`);
    assert.match(demo.stderr, /SCRIPTED programs/);
    const status = await runCliAt(bin, work, ['status', '--all', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { session: { status: string } }).session.status, 'done');
  } finally {
    t.cleanup();
  }
});
