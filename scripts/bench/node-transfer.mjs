// Bench (issue 20): bytes moved per spawn on a worker node, with real git on the 2,000-file repository of
// `npm run bench` (about 5 MB), the node being a bare repository in the bench's temp dir (file:// URL; over ssh the
// pack is the same). Prints the first spawn's base push (the node has nothing yet), a later spawn's (one commit
// ahead), and the fetch-back of a worker branch with one changed file. Build first; run alone:
//   node scripts/bench/node-transfer.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitTransfer } from '../../dist/src/adapters/nodes/git-transfer.js';
import { fetchWorkerRefs, pushWorkerBase } from '../../dist/src/app/nodes/code-transfer.js';

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@crewmux.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@crewmux.invalid',
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8' }).trim();
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

/** Runs the bench in `dir`; returns the figures. */
export async function benchNodeTransfer(dir) {
  const repo = join(dir, 'repo-2000');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  for (let i = 0; i < 2000; i++) {
    const folder = join(repo, 'src', `m${i % 40}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${i}.ts`), `// file ${i}\n${'export const x = 1;\n'.repeat(125)}`);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');
  const bare = join(dir, 'node', 'repo.git');
  execFileSync('git', ['init', '-q', '--bare', bare]);
  const d = { transfer: createGitTransfer({ env }), emit: () => undefined };
  const remote = (workerId) => ({ repo, url: `file://${bare}`, sid: 'sbench01', workerId, node: 'bench' });

  let t = performance.now();
  const first = await pushWorkerBase(d, remote('w01'), git(repo, 'rev-parse', 'HEAD'));
  const firstMs = performance.now() - t;
  writeFileSync(join(repo, 'src', 'm0', 'f0.ts'), '// changed\n');
  git(repo, 'commit', '-q', '-am', 'one change');
  t = performance.now();
  const later = await pushWorkerBase(d, remote('w02'), git(repo, 'rev-parse', 'HEAD'));
  const laterMs = performance.now() - t;

  // The node's worker: one changed file on its branch, pushed to the node's bare repository.
  const work = join(dir, 'node', 'work');
  execFileSync('git', ['clone', '-q', bare, work], { env, stdio: 'ignore' });
  git(work, 'checkout', '-q', '-b', 'crewmux/sbench01/w02-implementer', 'origin/crewmux/sbench01/base-w02');
  writeFileSync(join(work, 'src', 'm1', 'f1.ts'), '// the worker was here\n');
  git(work, 'commit', '-q', '-am', 'worker change');
  git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/crewmux/sbench01/w02-implementer');
  t = performance.now();
  const back = await fetchWorkerRefs(d, remote('w02'));
  const backMs = performance.now() - t;
  return { first, firstMs, later, laterMs, back, backMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-bench-node-'));
  try {
    const r = await benchNodeTransfer(dir);
    console.log('bytes moved per spawn on a node, 2,000-file repo (git pack bytes):');
    console.log(`  first spawn, base push:        ${kb(r.first.bytes)} in ${r.firstMs.toFixed(0)} ms`);
    console.log(`  later spawn, one commit ahead: ${kb(r.later.bytes)} in ${r.laterMs.toFixed(0)} ms`);
    console.log(
      `  worker branch fetched back:    ${kb(r.back.bytes)} in ${r.backMs.toFixed(0)} ms (${r.back.refs.length} ref)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
