/** The pure rules of a worktree's bootstrap (src/core/worktrees/bootstrap.ts) and init's setup guess. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conductorSetupScript,
  isSafeRelativePath,
  missingModuleHint,
  portCandidates,
  PORT_HIGH,
  PORT_LOW,
  setupPlan,
  withManagedEnvBlock,
  worktreeSlug,
} from '../../src/core/worktrees/bootstrap.js';
import { guessWorktreeBootstrap } from '../../src/core/setup/project-guess.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { canTransition, isFinished } from '../../src/core/workers/state.js';
import { buildWorkerPrompt } from '../../src/core/workers/prompts.js';
import { perspectiveInfo } from '../../src/core/workers/perspectives.js';

test('portCandidates: the same worktree asks for the same blocks of 10, inside the range, all different', () => {
  const a = portCandidates('/wt/s1/w01-implementer');
  assert.deepEqual(a, portCandidates('/wt/s1/w01-implementer'));
  assert.notEqual(a[0], portCandidates('/wt/s1/w02-implementer')[0]);
  assert.equal(new Set(a).size, a.length);
  for (const p of a) assert.ok(p >= PORT_LOW && p + 9 < PORT_HIGH && (p - PORT_LOW) % 10 === 0, String(p));
});

test('worktreeSlug: lower-case letters, digits and _ only, at most 48 characters', () => {
  assert.equal(worktreeSlug('s1AbC', 'w01-implementer'), 'crewmux_s1abc_w01_implementer');
  assert.equal(worktreeSlug('s1', 'integration'), 'crewmux_s1_integration');
  assert.ok(worktreeSlug('s'.repeat(40), 'w01-security-review').length <= 48);
});

test('withManagedEnvBlock appends a block once and replaces it after, keeping the user lines', () => {
  const once = withManagedEnvBlock('A=1', { CREWMUX_PORT: '20010' });
  assert.match(once, /^A=1\n# >>> crewmux worktree .*\nCREWMUX_PORT=20010\n# <<< crewmux worktree <<<\n$/);
  const twice = withManagedEnvBlock(`${once}B=2\n`, { CREWMUX_PORT: '20020' });
  assert.equal(twice.match(/>>> crewmux/g)?.length, 1);
  assert.match(twice, /^A=1\n.*CREWMUX_PORT=20020\n# <<< crewmux worktree <<<\nB=2\n$/s);
  assert.equal(withManagedEnvBlock('', { X: '1' }).startsWith('# >>>'), true);
});

test('setupPlan: worktree.setup wins over conductor.json, whose script gets its variables', () => {
  assert.deepEqual(setupPlan(['npm ci'], 'pnpm i'), {
    source: 'worktree.setup',
    commands: ['npm ci'],
    conductor: false,
  });
  assert.deepEqual(setupPlan(undefined, 'pnpm i'), { source: 'conductor.json', commands: ['pnpm i'], conductor: true });
  assert.deepEqual(setupPlan([], undefined), { source: 'none', commands: [], conductor: false });
  assert.equal(conductorSetupScript('{"scripts":{"setup":"pnpm i"}}'), 'pnpm i');
  assert.equal(conductorSetupScript('{"scripts":{"run":"x"}}'), undefined);
  assert.equal(conductorSetupScript('not json'), undefined);
  assert.equal(conductorSetupScript(undefined), undefined);
});

test('missingModuleHint names the module and the fix for node, python and missing bins; nothing for other failures', () => {
  const node = missingModuleHint("Error: Cannot find module 'left-pad'\nRequire stack:");
  assert.match(node ?? '', /"left-pad" is missing in the integration worktree/);
  assert.match(node ?? '', /worktree\.clone.*worktree\.setup.*\.worktreeinclude/);
  assert.match(missingModuleHint("ModuleNotFoundError: No module named 'requests'") ?? '', /"requests"/);
  assert.match(missingModuleHint('sh: 1: vitest: not found') ?? '', /"vitest"/);
  assert.equal(missingModuleHint('AssertionError: expected 1 to equal 2'), undefined);
});

test('worktree.clone / link entries must stay inside the repository', () => {
  assert.equal(isSafeRelativePath('node_modules'), true);
  assert.equal(isSafeRelativePath('packages/app/node_modules'), true);
  for (const bad of ['', '/etc', '../x', 'a/../../b', '.git', 'x/.git/hooks'])
    assert.equal(isSafeRelativePath(bad), false, bad);
  const r = ConfigSchema.safeParse({ worktree: { clone: ['../outside'] } });
  assert.equal(r.success, false);
  assert.equal(ConfigSchema.safeParse({ worktree: { clone: ['node_modules'], setup: ['npm ci'] } }).success, true);
});

test('setup_failed: only from starting, finished (the lead must discard it), and only to discarded', () => {
  assert.equal(canTransition('starting', 'setup_failed'), true);
  assert.equal(canTransition('running', 'setup_failed'), false);
  assert.equal(isFinished('setup_failed'), true);
  assert.equal(canTransition('setup_failed', 'discarded'), true);
  assert.equal(canTransition('setup_failed', 'merged'), false);
});

test('init guesses a setup step for a lockfile without vendored deps, a clone when the checkout has them', () => {
  assert.deepEqual(guessWorktreeBootstrap(['package.json', 'package-lock.json'], [], []), { setup: ['npm ci'] });
  assert.deepEqual(guessWorktreeBootstrap(['package-lock.json'], [], ['node_modules']), { clone: ['node_modules'] });
  assert.deepEqual(guessWorktreeBootstrap(['package-lock.json'], ['node_modules'], ['node_modules']), {});
  assert.deepEqual(guessWorktreeBootstrap(['package.json'], [], []), {});
  assert.deepEqual(guessWorktreeBootstrap(['uv.lock', 'pnpm-lock.yaml'], [], []), {
    setup: ['pnpm install --frozen-lockfile', 'uv sync --frozen'],
  });
});

test("the worker prompt names the worktree's port block and slug", () => {
  const p = buildWorkerPrompt({
    workerId: 'w01',
    branch: 'b',
    perspective: perspectiveInfo('implementer'),
    task: 't',
    nonce: 'n',
    doneFile: '/d',
    worktreeEnv: { CREWMUX_PORT: '20030', CREWMUX_WORKTREE_SLUG: 'crewmux_s1_w01' },
  });
  assert.match(p.text, /CREWMUX_PORT=20030 \(ports 20030-20039 are yours\) and CREWMUX_WORKTREE_SLUG=crewmux_s1_w01/);
});
