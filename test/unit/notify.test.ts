/**
 * Notifications: which events notify (the table), the edge trigger (one per change of state, never a repeat
 * for the same state), verify failing twice in a row, a resumed supervisor never resending, a notifier that
 * fails or hangs never breaking the run, the config's errors, and the exact argv / bodies the adapters send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { createNotifyDecider, NOTIFY_RULES, type Notification } from '../../src/core/notify/rules.js';
import { notifierLabel, webhookFormat } from '../../src/core/notify/config.js';
import { ConfigSchema, describeConfigError, mergeConfigs } from '../../src/core/session/config-schema.js';
import { createNotifyWatcher } from '../../src/app/notify/watcher.js';
import { deliver } from '../../src/app/notify/send.js';
import type { Notifier } from '../../src/app/ports/notify.js';
import { createTmuxNotifier } from '../../src/adapters/notify/tmux-notifier.js';
import { desktopCommand } from '../../src/adapters/notify/desktop-notifier.js';
import { headerText, webhookBody } from '../../src/adapters/notify/http-notifiers.js';

/** A Notifier that records what it was sent and the attention counts it was shown. */
function recordingNotifier(label = 'fake') {
  const sent: Notification[] = [];
  const counts: number[] = [];
  const notifier: Notifier = {
    label,
    async send(n) {
      sent.push(n);
    },
    async attention(count) {
      counts.push(count);
    },
  };
  return { notifier, sent, counts };
}

let nextId = 1;
const ev = (type: string, workerId: string | null = null, data: Record<string, unknown> = {}, message = type) => ({
  id: nextId++,
  type,
  workerId,
  message,
  data,
});

test('the table: run ends, crashes, workers and a lead that cannot work, escalations and budgets notify', () => {
  const d = createNotifyDecider();
  const notifying = [
    ev('worker.crashed', 'w01'),
    ev('worker.auth_required', 'w02'),
    ev('worker.quota_exhausted', 'w03'),
    ev('worker.blocked_dialog', 'w04'),
    ev('lead.cannot_work'),
    ev('question.escalated', 'w05', { ticket: 'q1', urgency: 'low', attempt: 1 }),
    ev('budget.warning', null, { budget: 'cost' }),
    ev('budget.exceeded', null, { budget: 'cost' }),
    ev('session.done'),
  ];
  const got = notifying.map((e) => d.observe(e).notification);
  assert.deepEqual(
    got.map((n) => [n?.key, n?.urgency]),
    [
      ['worker:w01|crashed|1', 'normal'],
      ['worker:w02|auth_required|1', 'high'],
      ['worker:w03|quota_exhausted|1', 'high'],
      ['worker:w04|blocked_dialog|1', 'high'],
      ['lead|cannot_work|1', 'high'],
      ['question:q1|escalated_1|1', 'low'],
      ['budget:cost|warning|1', 'normal'],
      ['budget:cost|exceeded|1', 'high'],
      ['session|ended|1', 'normal'],
    ],
  );
  assert.equal(got[0]!.title, 'crewmux: worker w01 crashed');
  // Everyday events notify nothing.
  for (const t of ['worker.spawned', 'worker.done', 'worker.running', 'verify.started', 'session.started'])
    assert.equal(d.observe(ev(t, 'w09')).notification, undefined, t);
  // Every end of a run is in the table.
  for (const t of ['session.done', 'session.failed', 'session.timeout', 'session.stopped'] as const)
    assert.ok(NOTIFY_RULES[t], t);
});

test('edge-triggered: one notification per change of state, a state entered again after leaving it is a new change', () => {
  const d = createNotifyDecider();
  const keys = [
    ev('worker.crashed', 'w01'),
    ev('worker.crashed', 'w01'), // the same state again: nothing
    ev('worker.crashed', 'w02'), // another worker: its own change
    ev('worker.snapshot', 'w01'), // not a state: w01 is still crashed
    ev('worker.crashed', 'w01'),
    ev('worker.running', 'w01'), // restarted
    ev('worker.crashed', 'w01'), // crashed again: a new change
    ev('question.escalated', 'w03', { ticket: 'q7', attempt: 1 }),
    ev('question.escalated', 'w03', { ticket: 'q7', attempt: 1 }),
    ev('question.escalated', 'w03', { ticket: 'q7', attempt: 2, urgency: 'high' }), // re-sent, raised
  ]
    .map((e) => d.observe(e).notification?.key)
    .filter(Boolean);
  assert.deepEqual(keys, [
    'worker:w01|crashed|1',
    'worker:w02|crashed|1',
    'worker:w01|crashed|2',
    'question:q7|escalated_1|1',
    'question:q7|escalated_2|1',
  ]);
});

test('verify: one failure notifies nothing, two in a row notify once, a pass resets the count', () => {
  const d = createNotifyDecider();
  const v = (passed: boolean) => d.observe(ev('verify.done', null, { id: 1, passed })).notification?.key;
  assert.deepEqual(
    [v(false), v(true), v(false), v(false), v(false), v(true), v(false), v(false)],
    [
      undefined,
      undefined,
      undefined,
      'verify|failed_twice|1',
      undefined, // a third failure is the same state
      undefined,
      undefined,
      'verify|failed_twice|2',
    ],
  );
});

test('the attention count: open items needing the human, closed when the subject moves on', () => {
  const d = createNotifyDecider();
  d.observe(ev('worker.auth_required', 'w01'));
  d.observe(ev('lead.cannot_work'));
  assert.equal(d.attention(), 2);
  assert.equal(d.observe(ev('worker.running', 'w01')).attentionChanged, true);
  assert.equal(d.attention(), 1);
  d.observe(ev('lead.progress'));
  assert.equal(d.attention(), 0);
  // An escalated ticket needs you until it is answered.
  d.observe(ev('question.escalated', 'w02', { ticket: 'q4', attempt: 1 }));
  assert.equal(d.attention(), 1);
  d.observe(ev('question.answered', 'w02', { ticket: 'q4', by: 'human' }));
  assert.equal(d.attention(), 0);
});

test('a run ended by its budget notifies; a note that a dollar budget cannot be enforced does not', () => {
  const d = createNotifyDecider();
  assert.equal(
    d.observe(ev('budget.warning', 'w01', { unenforceable: 'w01: unpriced model' })).notification,
    undefined,
  );
  assert.equal(
    d.observe(ev('budget.warning', null, { key: 'goal:tokens' })).notification?.key,
    'budget:goal:tokens|warning|1',
  );
  assert.equal(d.observe(ev('session.budget')).notification?.urgency, 'high');
});

test('a notification message is redacted and bounded', () => {
  const d = createNotifyDecider();
  const n = d.observe(
    ev(
      'worker.crashed',
      'w01',
      {},
      `crashed: OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789 ${'x'.repeat(900)}`,
    ),
  ).notification!;
  assert.ok(!n.message.includes('sk-abcdefghijklmnopqrstuvwxyz0123456789'), n.message);
  assert.ok(n.message.length <= 500);
});

async function withRuntime(fn: (f: FakeRuntime) => Promise<void>) {
  const f = await createFakeRuntime();
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}

test('the watcher sends each change once, records notify.sent, and a resumed watcher sends nothing already sent', () =>
  withRuntime(async (f) => {
    const a = recordingNotifier();
    const w1 = createNotifyWatcher(f.rt.events, f.store, f.rt.sid, [a.notifier], { context: 'session s in /repo' });
    f.rt.events.emit('worker.crashed', 'w01 crashed: exited with status 3', 'w01');
    f.rt.events.emit('worker.crashed', 'w01 crashed again (the monitor saw it twice)', 'w01');
    f.rt.events.emit('verify.done', 'verify FAILED', null, { id: 1, passed: false });
    f.rt.events.emit('verify.done', 'verify FAILED', null, { id: 2, passed: false });
    await w1.drain();
    w1.close();
    assert.deepEqual(
      a.sent.map((n) => n.key),
      ['worker:w01|crashed|1', 'verify|failed_twice|1'],
    );
    assert.equal(a.sent[0]!.message, 'w01 crashed: exited with status 3\n(session s in /repo)');
    assert.deepEqual(a.counts, [1, 2]);
    const sentEvents = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'notify.sent');
    assert.deepEqual(
      sentEvents.map((e) => [e.data.key, e.data.delivered]),
      [
        ['worker:w01|crashed|1', ['fake']],
        ['verify|failed_twice|1', ['fake']],
      ],
    );

    // The supervisor restarts (resume): the same states are not sent again, a new change is.
    const b = recordingNotifier();
    const w2 = createNotifyWatcher(f.rt.events, f.store, f.rt.sid, [b.notifier]);
    f.rt.events.emit('worker.crashed', 'w01 crashed (found while crewmux was down)', 'w01');
    f.rt.events.emit('verify.done', 'verify FAILED', null, { id: 3, passed: false });
    f.rt.events.emit('session.done', 'the goal is done');
    await w2.drain();
    w2.close();
    assert.deepEqual(
      b.sent.map((n) => n.key),
      ['session|ended|1'],
    );
  }));

test('a notifier that fails or hangs is a notify.failed event; the others still deliver and the run goes on', () =>
  withRuntime(async (f) => {
    const ok = recordingNotifier('good');
    const failing: Notifier = { label: 'bad', send: () => Promise.reject(new Error('answered HTTP 500')) };
    const hanging: Notifier = {
      label: 'slow',
      send: (_n, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('x')))),
    };
    const w = createNotifyWatcher(f.rt.events, f.store, f.rt.sid, [failing, hanging, ok.notifier], { timeoutMs: 50 });
    f.rt.events.emit('session.failed', 'the lead marked the goal failed');
    await w.drain();
    w.close();
    assert.equal(ok.sent.length, 1);
    const rows = f.store.eventsAfter(f.rt.sid);
    const failed = rows.filter((e) => e.type === 'notify.failed').map((e) => [e.data.notifier, e.data.reason]);
    assert.deepEqual(failed, [
      ['bad', 'answered HTTP 500'],
      ['slow', 'timed out after 0.05 s'],
    ]);
    assert.deepEqual(rows.find((e) => e.type === 'notify.sent')?.data.delivered, ['good']);
  }));

test('deliver never rejects, even when a notifier throws synchronously', async () => {
  const throwing: Notifier = {
    label: 'boom',
    send: () => {
      throw new Error('sync boom');
    },
  };
  const r = await deliver([throwing], createNotifyDecider().observe(ev('session.done')).notification!);
  assert.deepEqual(r, [{ notifier: 'boom', ok: false, reason: 'sync boom' }]);
});

test('config: notifiers are validated with a clear error, URLs never shown in full, lists merge', () => {
  const ok = ConfigSchema.parse({
    notify: [
      { type: 'tmux' },
      { type: 'desktop' },
      { type: 'ntfy', url: 'https://ntfy.sh/secret-topic' },
      { type: 'webhook', url: 'https://hooks.slack.com/services/T0/B0/XYZ', format: 'slack' },
    ],
  });
  assert.equal(ok.notify!.length, 4);
  const bad = (v: unknown) => {
    const r = ConfigSchema.safeParse({ notify: v });
    assert.equal(r.success, false);
    return describeConfigError(r.error);
  };
  assert.match(
    bad([{ type: 'email' }]),
    /^notify\.0\.type: each notifier is \{"type": "tmux"\|"desktop"\|"ntfy"\|"webhook"/,
  );
  assert.match(bad([{ type: 'ntfy' }]), /^notify\.0\.url: /);
  assert.match(bad([{ type: 'webhook', url: 'ftp://x/y' }]), /notify\.0\.url: an http\(s\) URL/);
  assert.match(bad([{ type: 'webhook', url: 'https://x/y', format: 'teams' }]), /notify\.0\.format/);
  assert.match(bad([{ type: 'tmux', url: 'https://x' }]), /notify\.0: Unrecognized key: "url"/);

  assert.equal(
    notifierLabel({ type: 'ntfy', url: 'https://user:pw@ntfy.sh/secret-topic?auth=tk' }),
    'ntfy https://ntfy.sh/…',
  );
  assert.equal(webhookFormat('https://hooks.slack.com/services/x', undefined), 'slack');
  assert.equal(webhookFormat('https://discord.com/api/webhooks/1/x', undefined), 'discord');
  assert.equal(webhookFormat('https://example.com/hook', undefined), 'json');
  assert.equal(webhookFormat('https://hooks.slack.com/services/x', 'json'), 'json');

  const merged = mergeConfigs({ notify: [{ type: 'desktop' }] }, { notify: [{ type: 'desktop' }, { type: 'tmux' }] });
  assert.deepEqual(merged.notify, [{ type: 'desktop' }, { type: 'tmux' }]);
});

const sample: Notification = {
  key: 'k',
  title: 'crewmux: worker w01 crashed',
  message: '-rf "quoted" $(touch x) `y`\nline two',
  urgency: 'high',
  eventType: 'worker.crashed',
  eventId: 1,
  workerId: 'w01',
};

test('desktop: exact argv, the text as argv elements only (notify-send after --, AppleScript through argv)', () => {
  assert.deepEqual(desktopCommand('linux', sample), {
    program: 'notify-send',
    args: ['--app-name=crewmux', '--urgency=critical', '--', sample.title, sample.message],
  });
  assert.deepEqual(desktopCommand('darwin', sample), {
    program: 'osascript',
    args: [
      '-e',
      'on run argv',
      '-e',
      'display notification (item 2 of argv) with title (item 1 of argv)',
      '-e',
      'end run',
      sample.title,
      ` ${sample.message}`,
    ],
  });
  assert.equal(desktopCommand('win32', sample), undefined);
});

test('webhook bodies and ntfy headers', () => {
  assert.deepEqual(webhookBody('slack', sample), { text: `${sample.title}\n${sample.message}` });
  assert.deepEqual(webhookBody('discord', sample), { content: `${sample.title}\n${sample.message}` });
  assert.equal(webhookBody('json', sample).event, 'worker.crashed');
  assert.equal(headerText('plain title'), 'plain title');
  assert.equal(headerText('café\r\nx'), `=?UTF-8?B?${Buffer.from('café x').toString('base64')}?=`);
});

test('tmux: display-message to the session and the count in its status-right', () =>
  withRuntime(async (f) => {
    const t = createTmuxNotifier(f.tmux, f.rt.tmuxSession);
    const signal = new AbortController().signal;
    await t.send(sample, signal);
    await t.attention!(2, signal);
    await t.attention!(0, signal);
    assert.deepEqual(f.tmux.callsOf('displayMessage'), [
      [f.rt.tmuxSession, 'crewmux: worker w01 crashed: -rf "quoted" $(touch x) `y`'],
    ]);
    assert.deepEqual(f.tmux.callsOf('setSessionOption'), [
      [f.rt.tmuxSession, 'status-right', ' crewmux: 2 need you '],
      [f.rt.tmuxSession, 'status-right', ' crewmux '],
    ]);
  }));
