/**
 * The lazy ports of the composition root (src/compose/lazy-adapters.ts): the adapter loads once, on the first async
 * call (concurrent first calls share the load); the synchronous members answer without it, with exactly what the
 * adapter answers (tmux's argv is the contract with tmux); `close` before any load opens nothing; a failed load is
 * tried again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lazyGit, lazyPort, lazyTmux, type LazyMethods } from '../../src/compose/lazy-adapters.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createGit } from '../../src/adapters/git/git.js';

interface Port {
  name: string;
  label(x: string): string;
  fetch(x: number): Promise<number>;
  close?(): Promise<void>;
}

const METHODS: LazyMethods<Port> = { fetch: 'load', close: 'if-loaded' };

function counted(fail = 0) {
  const calls: string[] = [];
  let loads = 0;
  const load = async (): Promise<Port> => {
    loads++;
    if (loads <= fail) throw new Error(`load ${loads} failed`);
    return {
      name: 'real',
      label: (x) => `real ${x}`,
      fetch: async (x) => (calls.push(`fetch ${x}`), x * 2),
      close: async () => void calls.push('close'),
    };
  };
  return { calls, load, loads: () => loads };
}

test('a lazy port loads its adapter once, on the first async call; its eager members need no load', async () => {
  const c = counted();
  const port = lazyPort<Port>(c.load, METHODS, { name: 'eager', label: (x) => `eager ${x}` });
  assert.equal(port.name, 'eager');
  assert.equal(port.label('a'), 'eager a');
  assert.equal(c.loads(), 0);
  assert.deepEqual(await Promise.all([port.fetch(1), port.fetch(2)]), [2, 4]);
  assert.equal(await port.fetch(3), 6);
  assert.equal(c.loads(), 1);
  assert.deepEqual(c.calls, ['fetch 1', 'fetch 2', 'fetch 3']);
  await port.close?.();
  assert.deepEqual(c.calls.at(-1), 'close');
});

test('close before any load loads nothing; a failed load rejects that call and is tried again', async () => {
  const idle = counted();
  const port = lazyPort<Port>(idle.load, METHODS, { name: 'eager', label: (x) => x });
  await port.close?.();
  assert.equal(idle.loads(), 0);
  assert.deepEqual(idle.calls, []);
  // a lazy port is no thenable: an async function may return it
  assert.equal(await (async () => port)(), port);

  const flaky = counted(1);
  const p2 = lazyPort<Port>(flaky.load, METHODS, { name: 'eager', label: (x) => x });
  await assert.rejects(p2.fetch(1), /load 1 failed/);
  assert.equal(await p2.fetch(5), 10);
  assert.equal(flaky.loads(), 2);
});

test('lazyTmux answers argv and socket as the tmux adapter does, and forwards commands to it', async () => {
  for (const opts of [
    {},
    { socket: 'crewmux-test-x' },
    { socket: 's', configFile: '/dev/null' },
    { binary: 'tmux3' },
  ]) {
    const lazy = lazyTmux(opts);
    const real = createTmux(opts);
    assert.deepEqual(lazy.argv(['attach-session', '-t', '=a']), real.argv(['attach-session', '-t', '=a']));
    assert.equal(lazy.socket, real.socket);
  }
});

test('lazyGit guesses a repository root without git, as the git adapter does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-lazy-git-'));
  try {
    mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
    mkdirSync(join(dir, 'repo', 'sub'));
    mkdirSync(join(dir, 'linked'));
    writeFileSync(join(dir, 'linked', '.git'), `gitdir: ${join(dir, 'repo', '.git', 'worktrees', 'l')}\n`);
    for (const env of [{}, { GIT_DIR: '/x' }])
      for (const cwd of [join(dir, 'repo', 'sub'), join(dir, 'linked'), dir])
        assert.deepEqual(lazyGit(env).repoRootGuess(cwd), createGit({ env }).repoRootGuess(cwd), cwd);
    assert.deepEqual(lazyGit({}).repoRootGuess(join(dir, 'repo', 'sub')), {
      root: join(dir, 'repo'),
      commonDir: join(dir, 'repo', '.git'),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
