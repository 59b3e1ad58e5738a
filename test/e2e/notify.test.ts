/**
 * Notifications during a real scripted run (built CLI, real tmux, git and MCP): a webhook receiver on
 * 127.0.0.1 and a fixture notify-send on PATH each get exactly one notification per change (the worker that
 * crashed, verify failing twice in a row, the run's end), never a repeat, and the webhook's secret path
 * appears in no event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, eventually, fixtureAgent } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import Database from 'better-sqlite3';
import { NOTIFY_BIN, startReceiver } from '../helpers/notify-receiver.js';

test('one notification per change through a webhook and notify-send: a crash, verify failing twice, the end', async () => {
  const t = createTestEnv();
  const receiver = await startReceiver();
  try {
    const repo = createRepo(t);
    const log = join(t.dir, 'notify-send.log');
    const secretPath = '/hooks/T0-secret-token-3f9a';
    // Two commands: verify reuses the last result for the same commands on the same head.
    const failing = 'git cat-file -e HEAD:nope.txt';
    const failing2 = 'git cat-file -e HEAD:nope2.txt';
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'crash please', agent: 'crash' }, save: 'c' },
        { call: 'wait_for_worker', args: { worker_id: '$c' }, repeatWhile: 'Still running' },
        { call: 'wait_for_worker', args: { worker_id: '$c' }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$c', reason: 'it crashed' } },
        { call: 'verify', args: { commands: [failing] }, repeatWhile: 'still running' },
        { call: 'verify', args: { commands: [failing2] }, repeatWhile: 'still running' },
        // A third failure in a row is the same state: no new notification.
        { call: 'verify', args: { commands: [failing] }, repeatWhile: 'still running' },
        { call: 'mark_goal_failed', args: { reason: 'verify keeps failing' } },
      ],
      { crash: fixtureAgent('crash-worker') },
      [],
      {
        verify: [failing, failing2],
        notify: [{ type: 'webhook', url: `${receiver.base}${secretPath}`, format: 'json' }, { type: 'desktop' }],
      },
      {
        PATH: `${NOTIFY_BIN}:${process.env.PATH}`,
        NOTIFY_SEND_LOG: log,
        // The supervisor's env file carries only allow-listed variables (src/core/agents/pass-env.ts).
        CREWMUX_PASS_ENV: 'NOTIFY_SEND_LOG',
      },
    );
    const r = await run.result;
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    // The run's last notification is sent before the supervisor closes; wait for it, then count.
    await eventually(
      'the end-of-run notification',
      () => receiver.received.some((x) => JSON.parse(x.body).event === 'session.failed'),
      30_000,
    );
    const events = () => {
      const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
      try {
        return db.prepare('SELECT type, message FROM events ORDER BY id').all() as { type: string; message: string }[];
      } finally {
        db.close();
      }
    };
    const notifyEvents = () =>
      events()
        .filter((e) => e.type.startsWith('notify.'))
        .map((e) => `${e.type} ${e.message}`)
        .join('\n');
    await eventually(
      'three notify-send calls',
      () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 3,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${notifyEvents()}`);
    });
    const bodies = receiver.received.map((x) => {
      assert.equal(x.method, 'POST');
      assert.equal(x.path, secretPath);
      assert.equal(x.headers['content-type'], 'application/json');
      return JSON.parse(x.body) as { key: string; title: string; urgency: string; text: string };
    });
    assert.deepEqual(
      bodies.map((b) => [b.key, b.urgency]),
      [
        ['worker:w01|crashed|1', 'normal'],
        ['verify|failed_twice|1', 'high'],
        ['session|ended|1', 'high'],
      ],
      JSON.stringify(bodies, null, 2),
    );
    assert.equal(bodies[0]!.title, 'crewmux: worker w01 crashed');
    assert.match(bodies[2]!.text, /^crewmux: the run failed\nsession failed: verify keeps failing\n\(session \w+ in /);

    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    assert.deepEqual(
      calls.map((argv) => argv.slice(0, 4)),
      [
        ['--app-name=crewmux', '--urgency=normal', '--', 'crewmux: worker w01 crashed'],
        ['--app-name=crewmux', '--urgency=critical', '--', 'crewmux: verify failed twice in a row'],
        ['--app-name=crewmux', '--urgency=critical', '--', 'crewmux: the run failed'],
      ],
    );
    assert.equal(calls[2]!.length, 5, 'title and message are one argv element each');

    // Every delivery is a notify.sent event, and the webhook's path (its secret) is in none of the log.
    const data = t.env.CREWMUX_DATA_DIR!;
    for (const f of ['state.db', 'state.db-wal'].map((x) => join(data, x)).filter(existsSync))
      assert.equal(readFileSync(f).includes('secret-token-3f9a'), false, `the webhook URL reached ${f}`);
    assert.ok(!`${r.stdout}${r.stderr}${diagnostics(t)}`.includes('secret-token-3f9a'));
  } finally {
    await receiver.close();
    t.cleanup();
  }
});
