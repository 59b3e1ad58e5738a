// `npm run bench`, part 3: the worktree bootstrap phases (include, clone, env, setup) on a fixture node project with a
// 20,000-file node_modules generated in the bench's temp dir: time and disk used for a copy-on-write clone (when the
// file system can), a plain copy, and an `npm install`-style setup (extracting the packages from a local tarball
// cache, as npm does with a warm cache, without the network). Uses the same use case as spawn_worker
// (app/worktrees/prepare.ts), so the figures are the ones a worker pays.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWorktreeFiles, diskUsageBytes } from '../../dist/src/adapters/git/worktree-files.js';
import { createProcessRunner } from '../../dist/src/adapters/process/process-runner.js';
import { prepareWorktree } from '../../dist/src/app/worktrees/prepare.js';

const FILES = 20_000;
const REPS = 3;
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const freeBytes = (p) => {
  const s = statfsSync(p);
  return s.bavail * s.bsize;
};

/** Builds the fixture project under `dir` and prints the bootstrap figures. `env` carries git's identity. */
export async function benchBootstrap(dir, env) {
  const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8' }).trim();
  const repo = join(dir, 'boot-repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'package.json'), '{"name":"boot","scripts":{"test":"node test.js"}}\n');
  writeFileSync(join(repo, 'test.js'), "require('pkg-0');\n");
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n.env\n');
  writeFileSync(join(repo, '.worktreeinclude'), '.env\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');
  writeFileSync(join(repo, '.env'), 'API_KEY=bench\n');
  // 200 packages x 100 files of about 1 KB: the shape of a mid-sized node_modules.
  const body = `module.exports = function () { return ${'1 + '.repeat(240)}1; };\n`;
  for (let p = 0; p < FILES / 100; p++) {
    const d = join(repo, 'node_modules', `pkg-${p}`);
    mkdirSync(join(d, 'lib'), { recursive: true });
    writeFileSync(join(d, 'package.json'), `{"name":"pkg-${p}","main":"lib/f0.js"}\n`);
    for (let f = 0; f < 99; f++) writeFileSync(join(d, 'lib', `f${f}.js`), body);
  }
  const cache = join(dir, 'npm-cache.tgz');
  execFileSync('tar', ['-czf', cache, '-C', repo, 'node_modules']);
  const sourceBytes = await diskUsageBytes(join(repo, 'node_modules'));

  const real = createWorktreeFiles();
  const probe = await real.cloneMethod(join(repo, 'node_modules'), dir);
  const forcedCopy = { ...real, cloneMethod: async () => ({ method: 'copy', why: 'forced' }) };
  const variants = [
    ...(probe.method === 'reflink'
      ? [{ name: 'clone (reflink)', files: real, worktree: { clone: ['node_modules'] } }]
      : []),
    { name: 'copy (cp -a)', files: forcedCopy, worktree: { clone: ['node_modules'] } },
    { name: 'setup: extract a tarball cache', files: real, worktree: { setup: [`tar -xzf ${cache}`] } },
  ];
  console.log(
    `\nworktree bootstrap, fixture with a ${FILES}-file node_modules (${mb(sourceBytes)} on disk) and a .env (n=${REPS} each)`,
  );
  console.log(`  reflink probe on this file system: ${probe.method} (${probe.why})`);
  let n = 0;
  for (const v of variants) {
    const phases = {};
    const du = [];
    const df = [];
    for (let i = 0; i < REPS; i++) {
      const wt = join(dir, `boot-wt-${n++}`);
      git(repo, 'worktree', 'add', '-q', '-b', `boot-${n}`, wt, 'main');
      const before = freeBytes(dir);
      const p = await prepareWorktree(
        {
          files: v.files,
          runner: createProcessRunner(),
          config: { worktree: v.worktree },
          runtimeDir: join(dir, 'run'),
          baseEnv: { PATH: process.env.PATH ?? '' },
        },
        { path: wt, role: 'pool', sourceRoot: repo, slug: `bench_${n}`, logFile: join(dir, `boot-${n}.log`) },
      );
      if (!p.setup.ok) throw new Error(`bench setup failed: ${p.setup.tail}`);
      df.push(before - freeBytes(dir));
      du.push(await diskUsageBytes(join(wt, 'node_modules')));
      for (const ph of p.phases) (phases[ph.name] ??= []).push(ph.ms);
      real.releasePorts(join(dir, 'run', 'ports'), wt);
    }
    const total = Object.values(phases).reduce((s, xs) => s + med(xs), 0);
    console.log(
      `  ${v.name.padEnd(32)} ${Object.entries(phases)
        .map(([k, xs]) => `${k} ${med(xs).toFixed(1)} ms`)
        .join(
          ', ',
        )}; total ${total.toFixed(0)} ms; node_modules ${mb(med(du))} by du, ${mb(Math.max(0, med(df)))} less free space by df`,
    );
  }
  console.log(
    '  (df counts shared clone blocks once and is disturbed by other writers on the file system; du counts each copy)',
  );
}
