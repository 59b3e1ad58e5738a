import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSteps } from '../../src/compose/close-steps.js';

test('supervisor shutdown: a close that throws or hangs is reported and the later closes still run (the supervisor could hang)', async () => {
  const ran: string[] = [];
  const problems: string[] = [];
  const started = Date.now();
  await closeSteps(
    [
      {
        name: 'the monitor',
        close: () => {
          ran.push('monitor');
        },
        timeoutMs: 1_000,
      },
      {
        name: 'the hooks',
        close: () => {
          ran.push('hooks');
          throw new Error('drain failed');
        },
        timeoutMs: 1_000,
      },
      {
        name: 'the MCP server',
        close: () => {
          ran.push('mcp');
          return new Promise(() => undefined);
        },
        timeoutMs: 30,
      },
      {
        name: 'the router',
        close: async () => {
          ran.push('router');
          await Promise.resolve();
          throw new Error('late failure');
        },
        timeoutMs: 1_000,
      },
      {
        name: 'the tmux session',
        close: async () => {
          ran.push('tmux');
        },
        timeoutMs: 1_000,
      },
    ],
    (p) => {
      problems.push(p);
      throw new Error('a failing report changes nothing');
    },
  );
  assert.deepEqual(ran, ['monitor', 'hooks', 'mcp', 'router', 'tmux']);
  assert.deepEqual(problems, [
    'the hooks: drain failed',
    'the MCP server: still closing after 30 ms; left behind',
    'the router: late failure',
  ]);
  assert.ok(Date.now() - started < 1_000, "only the hanging step's own timeout is waited for");
});

test('a close step left behind that rejects later is not an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    let fail!: (e: Error) => void;
    await closeSteps(
      [
        {
          name: 'slow',
          close: () =>
            new Promise((_, reject) => {
              fail = reject;
            }),
          timeoutMs: 10,
        },
      ],
      () => undefined,
    );
    fail(new Error('too late'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
