/**
 * `crewmux notify test` through the built CLI: a test message through each configured notifier (ntfy and a
 * Slack webhook on a loopback receiver, desktop through a fixture notify-send on PATH), one line per notifier
 * with ok or the reason it failed, no secret URL in the output, and an untrusted repository's notifiers skipped;
 * the tmux notifier on a real server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, runCli, writeConfig } from '../helpers/env.js';
import { NOTIFY_BIN, startReceiver } from '../helpers/notify-receiver.js';
import { createTmux } from '../../src/adapters/tmux/tmux.js';
import { createTmuxNotifier } from '../../src/adapters/notify/tmux-notifier.js';
import { TEST_NOTIFICATION } from '../../src/core/notify/rules.js';

test('notify test: each notifier ok or failed with its reason; untrusted repo notifiers skipped', async () => {
  const t = createTestEnv();
  const good = await startReceiver();
  const broken = await startReceiver(500);
  const redirecting = await startReceiver(302);
  try {
    const repo = createRepo(t);
    const log = join(t.dir, 'notify-send.log');
    const configDir = t.env.CREWMUX_CONFIG_DIR!;
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    const ntfyUrl = `${good.base.replace('http://', 'http://alice:pw-secret@')}/topic-secret-1`;
    const global = {
      notify: [
        { type: 'ntfy', url: ntfyUrl },
        { type: 'webhook', url: `${good.base}/services/T0/B0/slack-secret-2`, format: 'slack' },
        { type: 'desktop' },
        { type: 'tmux' },
        { type: 'webhook', url: `${broken.base}/hook-secret-3` },
        { type: 'webhook', url: `${redirecting.base}/hook-secret-4` },
      ],
    };
    writeFileSync(join(configDir, 'config.json'), JSON.stringify(global), { mode: 0o600 });
    // Not trusted (no `crewmux trust`): its webhook is never sent to.
    writeConfig(repo, { notify: [{ type: 'webhook', url: `${good.base}/repo-hook` }] });
    const env = { PATH: `${NOTIFY_BIN}:${process.env.PATH}`, NOTIFY_SEND_LOG: log };

    const r = await runCli(t, repo, ['notify', 'test'], { env });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    const port = (base: string) => base.slice('http://'.length);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `ntfy http://${port(good.base)}/…: ok`,
      `webhook http://${port(good.base)}/…: ok`,
      'desktop: ok',
      'tmux: failed: no running crewmux session in this repository (tmux messages go to its attached clients)',
      `webhook http://${port(broken.base)}/…: failed: answered HTTP 500`,
      `webhook http://${port(redirecting.base)}/…: failed: answered HTTP 302 (a redirect; not followed)`,
    ]);
    assert.match(
      r.stderr,
      /note: the notifiers of .*\.crewmux\/config\.json were skipped: .*not trusted \(run `crewmux trust`\)/,
    );
    for (const secret of ['pw-secret', 'secret-1', 'secret-2', 'secret-3', 'secret-4'])
      assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), secret);

    const [ntfy, slack] = good.received;
    assert.equal(good.received.length, 2, 'the untrusted repo webhook got nothing');
    assert.equal(ntfy!.path, '/topic-secret-1');
    assert.equal(ntfy!.headers.authorization, `Basic ${Buffer.from('alice:pw-secret').toString('base64')}`);
    assert.equal(ntfy!.headers.title, 'crewmux: test notification');
    assert.equal(ntfy!.headers.priority, '3');
    assert.match(ntfy!.body, /^This is a test from `crewmux notify test`/);
    assert.equal(slack!.path, '/services/T0/B0/slack-secret-2');
    assert.deepEqual(Object.keys(JSON.parse(slack!.body) as object), ['text']);
    assert.deepEqual(JSON.parse(readFileSync(log, 'utf8')), [
      '--app-name=crewmux',
      '--urgency=normal',
      '--',
      'crewmux: test notification',
      'This is a test from `crewmux notify test`: this notifier works.',
    ]);

    // Trusted, the repository's notifiers join the global ones; --json gives one result per notifier.
    assert.equal((await runCli(t, repo, ['trust'])).code, 0);
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ notify: [{ type: 'desktop' }] }), { mode: 0o600 });
    const ok = await runCli(t, repo, ['notify', 'test', '--json'], { env });
    assert.equal(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.deepEqual(JSON.parse(ok.stdout), {
      results: [
        { notifier: 'desktop', ok: true },
        { notifier: `webhook http://${port(good.base)}/…`, ok: true },
      ],
    });
    assert.equal(good.received.at(-1)!.path, '/repo-hook');
  } finally {
    await Promise.all([good.close(), broken.close(), redirecting.close()]);
    t.cleanup();
  }
});

test('notify test: a broken notify config is a clear error naming the key', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    mkdirSync(t.env.CREWMUX_CONFIG_DIR!, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(t.env.CREWMUX_CONFIG_DIR!, 'config.json'),
      JSON.stringify({ notify: [{ type: 'ntfy', url: 'ntfy.sh/topic' }] }),
      { mode: 0o600 },
    );
    const r = await runCli(t, repo, ['notify', 'test']);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /config\.json: notify\.0\.url: an http\(s\) URL, e\.g\. "https:\/\/ntfy\.sh\/my-topic" \[E_CONFIG_INVALID\]/,
    );
  } finally {
    t.cleanup();
  }
});

test('tmux notifier on a real server: the open-items count in the session status-right, messages to its clients', async () => {
  const t = createTestEnv();
  const tmux = createTmux({ socket: t.socket, configFile: '/dev/null' });
  try {
    await tmux.newSession('crewmux-notify', 'main', { cwd: t.dir, command: 'exec sleep 600' });
    const n = createTmuxNotifier(tmux, 'crewmux-notify');
    const signal = new AbortController().signal;
    await n.attention!(2, signal);
    assert.equal(t.tmux('show-options', '-t', 'crewmux-notify:', '-v', 'status-right').trim(), 'crewmux: 2 need you');
    await n.attention!(0, signal);
    assert.equal(t.tmux('show-options', '-t', 'crewmux-notify:', '-v', 'status-right').trim(), 'crewmux');
    // No client attached: nothing to show it to, and nothing fails.
    await n.send({ ...TEST_NOTIFICATION, title: 'crewmux: #{pane_id} 100%' }, signal);
    await tmux.killSession('crewmux-notify');
    await assert.rejects(n.send(TEST_NOTIFICATION, signal), /tmux session crewmux-notify is gone/);
  } finally {
    t.cleanup();
  }
});
