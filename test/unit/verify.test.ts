/** verify on fakes: a finished result on the same integration head is reused; a new head, other commands or clear_tool_results run again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { forgetVerifyResults, verify } from '../../src/app/integration/verify.js';
import { doneBlockers } from '../../src/app/session/goal.js';
import { ToolError } from '../../src/core/errors.js';

const npmTestCalls = (f: FakeRuntime) => f.runner.calls.filter((c) => c.argv.join(' ') === 'npm test');

test('verify: a finished passing result on the same integration head is reused, no command runs again', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    f.runner.script(['npm', 'test'], { exitCode: 0, output: 'all pass\n' });
    const first = await verify(f.rt, ['npm test'], 5_000);
    assert.equal(first.status, 'passed');
    assert.equal(first.commit_sha, f.git.resolve(f.rt.integrationBranch));
    assert.deepEqual(f.runner.calls, [
      {
        kind: 'execToFile',
        argv: ['npm', 'test'],
        cwd: f.rt.integrationWorktree,
        timeoutMs: 600_000,
        shell: undefined,
        outputFile: join(f.rt.sessionDir, 'verify', String(first.id), '1.log'),
      },
    ]);
    assert.equal(first.results[0]!.tail, 'all pass');

    const again = await verify(f.rt, ['npm test'], 5_000);
    const withoutCommands = await verify(f.rt, undefined, 5_000);
    assert.equal(again.id, first.id);
    assert.equal(withoutCommands.id, first.id);
    assert.equal(f.runner.calls.length, 1);
    assert.equal(f.eventTypes().filter((t) => t === 'verify.started').length, 1);
  } finally {
    f.cleanup();
  }
});

test('verify: a new integration head, or other commands, run again', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    f.runner.script(['npm', 'test'], { exitCode: 0 });
    f.runner.script(['npm', 'run', 'lint'], { exitCode: 0 });
    const first = await verify(f.rt, ['npm test'], 5_000);
    const lint = await verify(f.rt, ['npm run lint'], 5_000);
    assert.notEqual(lint.id, first.id);
    f.git.commit(f.rt.integrationBranch, 'a merge landed', ['src/x.ts']);
    const onNewHead = await verify(f.rt, ['npm test'], 5_000);
    assert.notEqual(onNewHead.id, first.id);
    assert.equal(onNewHead.commit_sha, f.git.resolve(f.rt.integrationBranch));
    assert.notEqual(onNewHead.commit_sha, first.commit_sha);
    assert.deepEqual(
      f.runner.calls.map((c) => c.argv.join(' ')),
      ['npm test', 'npm run lint', 'npm test'],
    );
  } finally {
    f.cleanup();
  }
});

test('verify: clear_tool_results stops the reuse of finished results', async () => {
  const f = await createFakeRuntime({ config: { verifyAllowAdHoc: true } });
  try {
    f.runner.script(['npm', 'test'], { exitCode: 0 });
    const first = await verify(f.rt, ['npm test'], 5_000);
    assert.equal(forgetVerifyResults(f.rt), 1);
    assert.equal(f.rt.verifyForgotten, first.id);
    const again = await verify(f.rt, ['npm test'], 5_000);
    assert.notEqual(again.id, first.id);
    assert.equal(npmTestCalls(f).length, 2);
    // The new result is reused again until the next clear.
    assert.equal((await verify(f.rt, ['npm test'], 5_000)).id, again.id);
    assert.equal(npmTestCalls(f).length, 2);
  } finally {
    f.cleanup();
  }
});

test('verify: a command that times out is reported as timed out and the verify fails', async () => {
  const f = await createFakeRuntime({ config: { verifyTimeout: 7, verifyAllowAdHoc: true } });
  try {
    f.runner.script(['npm', 'test'], { timedOut: true, output: 'still waiting for the database\n', durationMs: 7_000 });
    f.runner.script(['npm', 'run', 'lint'], { exitCode: 0 });
    const v = await verify(f.rt, ['npm test', 'npm run lint'], 5_000);
    assert.equal(v.status, 'failed');
    assert.deepEqual(
      v.results.map((r) => [r.command, r.exitCode, r.timedOut]),
      [
        ['npm test', null, true],
        ['npm run lint', 0, false],
      ],
    );
    assert.deepEqual(
      f.runner.calls.map((c) => c.timeoutMs),
      [7_000, 7_000],
    );
    assert.equal(readFileSync(v.results[0]!.outputFile, 'utf8'), 'still waiting for the database\n');
    assert.equal(
      f.store
        .eventsAfter(f.rt.sid)
        .filter((e) => e.type === 'verify.done')
        .at(-1)!.message,
      'verify FAILED: [timeout] npm test, [0] npm run lint',
    );
    assert.match((await doneBlockers(f.rt)).join('\n'), /the last verify on c0 failed \("npm test" timed out\)/);
  } finally {
    f.cleanup();
  }
});

test('verify: commands from config.json run in a shell, in the integration worktree', async () => {
  const f = await createFakeRuntime({ config: { verify: ['npm test && npm run lint'] } });
  try {
    f.runner.handler = (c) => (c.shell ? { exitCode: 2, output: 'lint: 3 problems\n' } : undefined);
    const v = await verify(f.rt, undefined, 5_000);
    assert.equal(v.status, 'failed');
    assert.deepEqual(
      f.runner.calls.map((c) => [c.argv, c.shell, c.cwd]),
      [[['npm test && npm run lint'], true, f.rt.integrationWorktree]],
    );
    assert.match(
      f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'verify.started')!.message,
      /commands from \.crewmux\/config\.json/,
    );
  } finally {
    f.cleanup();
  }
});

test('verify: an ad-hoc command from the lead (node -e ...) is refused unless verifyAllowAdHoc, naming the configured ones', async () => {
  const attack = `node -e "require('fs').writeFileSync('/tmp/pwned','x')"`;
  const f = await createFakeRuntime({ config: { verify: ['npm test'] } });
  try {
    await assert.rejects(
      verify(f.rt, [attack], 5_000),
      (e: Error) =>
        e instanceof ToolError &&
        e.message.startsWith('Error: verify refused "node -e') &&
        e.message.includes('"npm test"') &&
        e.message.includes('"verifyAllowAdHoc": true'),
    );
    assert.equal(f.runner.calls.length, 0);
    assert.equal(f.eventTypes().filter((t) => t === 'verify.started').length, 0);
    // A configured command passed by name runs as configured (in a shell).
    f.runner.handler = () => ({ exitCode: 0 });
    const v = await verify(f.rt, ['  npm   test '], 5_000);
    assert.equal(v.status, 'passed');
    assert.deepEqual(
      f.runner.calls.map((c) => [c.argv, c.shell]),
      [[['npm test'], true]],
    );
  } finally {
    f.cleanup();
  }
});

test('verify: with no configured commands an ad-hoc command is refused and the answer says how to configure some', async () => {
  const f = await createFakeRuntime();
  try {
    await assert.rejects(
      verify(f.rt, ['npm test'], 5_000),
      /No verify commands are configured: .*"verify".*"verifyAllowAdHoc": true/,
    );
    assert.equal(f.runner.calls.length, 0);
  } finally {
    f.cleanup();
  }
});

test('verify: with verifyAllowAdHoc the same ad-hoc command runs, without a shell', async () => {
  const f = await createFakeRuntime({ config: { verify: ['npm test'], verifyAllowAdHoc: true } });
  try {
    f.runner.handler = () => ({ exitCode: 0 });
    const v = await verify(f.rt, [`node -e "process.exit(0)"`], 5_000);
    assert.equal(v.status, 'passed');
    assert.deepEqual(
      f.runner.calls.map((c) => [c.argv, c.shell]),
      [[['node', '-e', 'process.exit(0)'], undefined]],
    );
  } finally {
    f.cleanup();
  }
});
