/**
 * Worker status from structured signals first (issue 21 item 3): the pure decisions from Claude Code hook lines, Codex
 * notify and rollout lines; the monitor on the fakes deciding from a worker's signals file before its pane (and from
 * the pane while the file is silent), each decision recorded with its source; typed delivery that trusts the hooks'
 * idle and UserPromptSubmit over pane markers; the bounded decisions table; the recorder script; Claude's settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decideRolloutLines,
  decideSignalLines,
  moveFor,
  MAX_DECISIONS_PER_WORKER,
  SIGNALS_FILE,
  type StatusDecision,
} from '../../src/core/workers/signals.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { completeTurn, sendToWorker } from '../../src/app/workers/turns.js';
import { deliverySignals, explainWorker, rolloutSignals } from '../../src/app/workers/signals.js';
import { withNonsenseMarkers } from '../../src/app/agents/agent-table.js';
import { scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { codex } from '../../src/core/agents/profiles/codex.js';
import { SIGNAL_RECORDER_SCRIPT } from '../../src/core/agents/profiles/common.js';
import { workerDir } from '../../src/app/runtime.js';
import { createMemoryStore } from '../fakes/store.js';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { UserError } from '../../src/core/errors.js';
import { answerQuestion } from '../../src/app/questions/tickets.js';
import { deliverAnswers } from '../../src/app/questions/pump.js';

const hook = (at: number, event: string, more: Record<string, string> = {}) =>
  JSON.stringify({ at, via: 'claude-hook', event, ...more });

test('Claude Code hook lines decide busy, idle and waiting; other lines decide nothing', () => {
  const lines = [
    hook(1, 'SessionStart'),
    hook(2, 'UserPromptSubmit'),
    hook(3, 'PreToolUse', { tool: 'Write' }),
    hook(4, 'Notification', { type: 'permission_prompt', message: 'Claude needs your permission to use Bash' }),
    hook(5, 'Notification', { type: 'auth_success' }),
    hook(6, 'Stop'),
    hook(7, 'Notification', { type: 'idle_prompt', message: 'Claude is waiting for your input' }),
    hook(8, 'PostToolUse'),
    'not json',
    JSON.stringify({ at: 9, via: 'someone', event: 'Stop' }),
    JSON.stringify({ at: 10, via: 'codex-notify', event: 'agent-turn-complete' }),
  ];
  assert.deepEqual(
    decideSignalLines(lines).map((d) => [d.at, d.activity, d.source, d.evidence]),
    [
      [1, 'idle', 'hook', 'SessionStart'],
      [2, 'busy', 'hook', 'UserPromptSubmit'],
      [3, 'busy', 'hook', 'PreToolUse Write'],
      [4, 'waiting', 'hook', 'Notification permission_prompt: Claude needs your permission to use Bash'],
      [6, 'idle', 'hook', 'Stop'],
      [7, 'idle', 'hook', 'Notification idle_prompt: Claude is waiting for your input'],
      [10, 'idle', 'hook', 'notify agent-turn-complete'],
    ],
  );
});

test('Codex rollout events decide busy and idle; a token_count only starts a turn nobody saw start', () => {
  const ev = (type: string, ts = '2026-11-30T05:00:00.000Z') =>
    JSON.stringify({ timestamp: ts, type: 'event_msg', payload: { type } });
  const t0 = Date.parse('2026-11-30T05:00:00.000Z');
  assert.deepEqual(
    decideRolloutLines(
      [
        JSON.stringify({ type: 'session_meta', payload: { cwd: '/w' } }),
        ev('task_started'),
        ev('token_count'),
        ev('task_complete'),
        ev('token_count'),
        ev('turn_aborted', 'not a time'),
      ],
      undefined,
      42,
    ).map((d) => [d.at, d.activity, d.source, d.evidence]),
    [
      [t0, 'busy', 'rollout', 'task_started'],
      [t0, 'idle', 'rollout', 'task_complete'],
      [42, 'idle', 'rollout', 'turn_aborted'],
    ],
  );
  assert.deepEqual(
    decideRolloutLines([ev('token_count')], undefined, 0).map((d) => d.activity),
    ['busy'],
  );
  assert.deepEqual(decideRolloutLines([ev('token_count')], 'idle', 0), []);
});

test('moveFor: waiting only from a turn in progress, back to running on work or idleness', () => {
  assert.equal(moveFor('running', 'waiting'), 'waiting');
  assert.equal(moveFor('starting', 'waiting'), 'waiting');
  assert.equal(moveFor('waiting', 'busy'), 'running');
  assert.equal(moveFor('waiting', 'idle'), 'running');
  assert.equal(moveFor('running', 'idle'), undefined);
  assert.equal(moveFor('running', 'busy'), undefined);
  assert.equal(moveFor('done', 'waiting'), undefined);
  assert.equal(moveFor('waiting', 'waiting'), undefined);
});

/** A fake runtime whose scripted worker reports through a signals file and shows `[y/N]` as its waiting marker. */
async function withSignalledWorker(
  fn: (f: FakeRuntime, signal: (line: string) => void) => Promise<void>,
  dialogs = true,
) {
  const f = await createFakeRuntime();
  f.rt.agents.set(scriptedWorker.name, {
    profile: {
      ...scriptedWorker,
      markers: { ...scriptedWorker.markers, waiting: ['[y/N]'] },
      signals: { file: SIGNALS_FILE, dialogs },
    },
    binary: process.execPath,
  });
  try {
    await spawnWorker(f.rt, { task: 'work' });
    f.tmux.clearCalls();
    const file = join(workerDir(f.rt, 'w01'), SIGNALS_FILE);
    await fn(f, (line) => appendFileSync(file, line + '\n'));
  } finally {
    f.cleanup();
  }
}

const worker = (f: FakeRuntime) => f.store.getWorker(f.rt.sid, 'w01')!;
const explained = (f: FakeRuntime) =>
  explainWorker(f.store, f.rt.sid, 'w01').decisions.map((d) => `${d.activity} ${d.source} ${d.evidence}`);

test('monitor: the pane decides while the hooks are silent; once they speak, they decide and the pane does not', () =>
  withSignalledWorker(async (f, signal) => {
    const monitor = createMonitor(f.rt);
    try {
      // No hook line yet: the pane's waiting marker decides (the fallback), recorded with source pane.
      f.tmux.setScreen('%2', 'Overwrite config.json? [y/N] ');
      await monitor.tick();
      assert.equal(worker(f).state, 'waiting');
      f.tmux.setScreen('%2', 'scripted worker busy\n');
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'running');
      // The hooks speak: busy; the pane's [y/N] (an old line) no longer makes it waiting.
      signal(hook(f.clock.now(), 'UserPromptSubmit'));
      f.tmux.setScreen('%2', 'Overwrite config.json? [y/N] ');
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'running');
      // A permission Notification: waiting, a pane ticket with the screen; a tool call: running again.
      signal(hook(f.clock.now(), 'Notification', { type: 'permission_prompt', message: 'needs permission for Bash' }));
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'waiting');
      const waited = f.store.eventsAfter(f.rt.sid).filter((e) => e.type === 'worker.waiting');
      assert.match(waited.at(-1)!.message, /waiting for input \(hook: Notification permission_prompt/);
      assert.equal(f.store.questions().list(f.rt.sid)[0]?.source, 'pane');
      signal(hook(f.clock.now(), 'PreToolUse', { tool: 'Bash' }));
      await monitor.tick();
      assert.equal(worker(f).state, 'running');
      signal(hook(f.clock.now(), 'Stop'));
      await monitor.tick();
      assert.equal(worker(f).state, 'running', 'idle without worker_done: the turn is still on');
      assert.deepEqual(explained(f), [
        'waiting pane marker "[y/N]"',
        'busy pane marker "scripted worker busy"',
        'busy hook UserPromptSubmit',
        'waiting hook Notification permission_prompt: needs permission for Bash',
        'busy hook PreToolUse Bash',
        'idle hook Stop',
      ]);
    } finally {
      monitor.close();
    }
  }));

test('monitor: a source that cannot report dialogs (Codex) leaves waiting to the pane, and its next word ends it', () =>
  withSignalledWorker(async (f, signal) => {
    const monitor = createMonitor(f.rt);
    try {
      signal(JSON.stringify({ at: f.clock.now(), via: 'codex-notify', event: 'agent-turn-complete' }));
      f.tmux.setScreen('%2', 'scripted worker busy\n');
      await monitor.tick();
      f.tmux.setScreen('%2', 'Run this command? [y/N] ');
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'waiting');
      // The same (old) structured word does not undo it at the next tick.
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'waiting');
      signal(JSON.stringify({ at: f.clock.now(), via: 'codex-notify', event: 'agent-turn-complete' }));
      f.tmux.setScreen('%2', 'done\n> ');
      await monitor.tick();
      assert.equal(worker(f).state, 'running');
      assert.deepEqual(explained(f), [
        'idle hook notify agent-turn-complete',
        'waiting pane marker "[y/N]"',
        'idle hook notify agent-turn-complete',
      ]);
    } finally {
      monitor.close();
    }
  }, false));

test('monitor: a resumed supervisor does not record the decisions an earlier one read again', () =>
  withSignalledWorker(async (f, signal) => {
    signal(hook(f.clock.now(), 'UserPromptSubmit'));
    signal(hook(f.clock.now() + 1, 'Stop'));
    const first = createMonitor(f.rt);
    await first.tick();
    first.close();
    // A new Runtime object, as a resumed supervisor builds: its reader starts at the top of the file.
    const second = createMonitor({ ...f.rt });
    await second.tick();
    second.close();
    assert.deepEqual(explained(f), ['busy hook UserPromptSubmit', 'idle hook Stop']);
  }));

test('send_to_worker types into an agent whose hooks say idle although no pane marker shows, confirmed by its hook', () =>
  withSignalledWorker(async (f, signal) => {
    f.rt.agents = withNonsenseMarkers(f.rt.agents, [scriptedWorker.name]);
    await completeTurn(f.rt, 'w01', { status: 'done', summary: 'first' }, 'mcp');
    f.tmux.setScreen('%2', 'a screen with no marker at all\n> ');
    // Without a hook line, the agent is never seen ready: no marker shows.
    await assert.rejects(sendToWorker(f.rt, 'w01', 'more work'), /did not become ready/);
    signal(hook(f.clock.now(), 'Stop'));
    // Claude's UserPromptSubmit hook fires when Enter submits the paste.
    f.tmux.beforeCall = (method, args) => {
      if (method === 'sendKeys' && args[1] === 'Enter') signal(hook(f.clock.now(), 'UserPromptSubmit'));
    };
    await sendToWorker(f.rt, 'w01', 'more work');
    assert.deepEqual(f.tmux.callsOf('sendKeys'), [['%2', 'Enter']]);
    assert.match(f.tmux.pane('%2')!.screen, /more work/);
    assert.deepEqual(explained(f).slice(-2), ['idle hook Stop', 'busy hook UserPromptSubmit']);
  }));

test('withNonsenseMarkers: only the named agents lose their markers', () => {
  const table = new Map([[scriptedWorker.name, { profile: scriptedWorker, binary: '/x' }]]);
  const out = withNonsenseMarkers(table, [scriptedWorker.name, 'nobody']);
  assert.match(out.get(scriptedWorker.name)!.profile.markers.ready![0]!, /no screen shows this ready marker/);
  assert.deepEqual(table.get(scriptedWorker.name)!.profile.markers, scriptedWorker.markers);
  assert.equal(out.size, 1);
});

test('the decisions table keeps the newest decisions per worker; explain refuses an unknown worker', async () => {
  const store = createMemoryStore();
  try {
    const d = (at: number): StatusDecision => ({
      at,
      activity: at % 2 ? 'busy' : 'idle',
      source: 'hook',
      evidence: `e${at}`,
    });
    for (let i = 1; i <= MAX_DECISIONS_PER_WORKER + 10; i++) store.statusDecisions().add('s1', 'w01', d(i));
    store.statusDecisions().add('s1', 'w02', { ...d(1), source: 'pane' });
    const all = store.statusDecisions().list('s1', 'w01', 1000);
    assert.equal(all.length, MAX_DECISIONS_PER_WORKER);
    assert.deepEqual([all[0]!.at, all.at(-1)!.at], [11, MAX_DECISIONS_PER_WORKER + 10]);
    assert.deepEqual(
      [...store.statusDecisions().latest('s1')].map(([w, x]) => [w, x.at, x.source]),
      [
        ['w01', MAX_DECISIONS_PER_WORKER + 10, 'hook'],
        ['w02', 1, 'pane'],
      ],
    );
    assert.equal(store.statusDecisions().latestStructured('s1', 'w02'), undefined);
  } finally {
    store.close();
  }
  const f = await createFakeRuntime();
  try {
    await spawnWorker(f.rt, { task: 'work' });
    assert.throws(
      () => explainWorker(f.store, f.rt.sid, 'w9'),
      (e: unknown) => e instanceof UserError && /no worker "w9" \(its workers: w01\)/.test(e.message),
    );
  } finally {
    f.cleanup();
  }
});

test('the recorder appends one 0600 line per hook or notify call and prints nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-signals-'));
  try {
    const file = join(dir, SIGNALS_FILE);
    const script = SIGNAL_RECORDER_SCRIPT;
    const input = JSON.stringify({
      session_id: 's',
      hook_event_name: 'Notification',
      notification_type: 'permission_prompt',
      message: 'x'.repeat(500),
      prompt: 'secret prompt text',
    });
    const out = execFileSync(process.execPath, [script, file], { input });
    assert.equal(out.length, 0);
    execFileSync(process.execPath, [script, file, JSON.stringify({ type: 'agent-turn-complete', 'thread-id': 't' })]);
    execFileSync(process.execPath, [script, file], { input: 'not json' });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      { ...lines[0], at: 0 },
      { at: 0, via: 'claude-hook', event: 'Notification', type: 'permission_prompt', message: 'x'.repeat(200) },
    );
    assert.deepEqual({ ...lines[1], at: 0 }, { at: 0, via: 'codex-notify', event: 'agent-turn-complete' });
    assert.deepEqual(
      decideSignalLines(readFileSync(file, 'utf8').split('\n')).map((d) => d.activity),
      ['waiting', 'idle'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Claude Code worker's settings run the recorder on its status hooks and every tool call; a lead's do not", () => {
  const ctx = {
    role: 'worker' as const,
    sessionId: 's1',
    workerId: 'w01',
    cwd: '/w',
    mcpUrl: 'http://127.0.0.1:1/mcp',
    mcpToken: 'tok-secret',
    mcpConfigPath: '/state/mcp.json',
    promptFile: '/state/prompt.md',
    stateDir: '/state',
    toolTimeoutS: 45,
    askHook: ['/node', '/ask-hook.js'],
    nodePath: '/node',
  };
  const settingsOf = (c: typeof ctx | (Omit<typeof ctx, 'role'> & { role: 'lead' })) => {
    const spec = claude.launch(c, 'claude');
    const file = spec.files!.find((x) => x.path.endsWith('claude-crewmux-settings.json'))!;
    return JSON.parse(file.content) as { hooks?: Record<string, { matcher?: string; hooks: { command: string }[] }[]> };
  };
  const hooks = settingsOf(ctx).hooks!;
  const record = `/node ${SIGNAL_RECORDER_SCRIPT} /state/${SIGNALS_FILE}`;
  for (const e of ['SessionStart', 'UserPromptSubmit', 'Stop', 'StopFailure', 'Notification'])
    assert.deepEqual(
      hooks[e]!.map((h) => [h.matcher, h.hooks[0]!.command]),
      [[undefined, record]],
      e,
    );
  assert.deepEqual(
    hooks.PreToolUse!.map((h) => [h.matcher, h.hooks[0]!.command]),
    [
      ['AskUserQuestion', '/node /ask-hook.js'],
      ['*', record],
    ],
  );
  assert.doesNotMatch(JSON.stringify(hooks), /tok-secret/);
  assert.equal(settingsOf({ ...ctx, role: 'lead' }).hooks, undefined);
  assert.deepEqual(claude.signals, { file: SIGNALS_FILE, dialogs: true });
});

test("a Codex worker's notify runs the recorder and its rollout lines decide its activity (source rollout)", async () => {
  const argv = codex.launch(
    {
      role: 'worker',
      sessionId: 's1',
      workerId: 'w01',
      cwd: '/w',
      mcpUrl: 'http://127.0.0.1:1/mcp',
      mcpToken: 'tok-secret',
      mcpConfigPath: '/state/mcp.json',
      promptFile: '/state/prompt.md',
      stateDir: '/state',
      toolTimeoutS: 45,
      nodePath: '/node',
    },
    'codex',
  ).argv;
  assert.ok(
    argv.includes(`notify=${JSON.stringify(['/node', SIGNAL_RECORDER_SCRIPT, `/state/${SIGNALS_FILE}`])}`),
    argv.join(' '),
  );
  assert.doesNotMatch(argv.join(' '), /tok-secret/);
  assert.deepEqual(codex.signals, { file: SIGNALS_FILE, rollout: true });

  const f = await createFakeRuntime();
  f.rt.agents.set(scriptedWorker.name, {
    profile: { ...scriptedWorker, signals: { rollout: true } },
    binary: process.execPath,
  });
  const monitor = createMonitor(f.rt);
  try {
    await spawnWorker(f.rt, { task: 'work' });
    const ev = (type: string, at: number) =>
      JSON.stringify({ timestamp: new Date(at).toISOString(), type: 'event_msg', payload: { type } });
    const t = f.clock.now();
    rolloutSignals(f.rt, 'w01', [ev('task_started', t), ev('token_count', t + 1), ev('task_complete', t + 2)]);
    await monitor.tick();
    assert.deepEqual(explained(f), ['busy rollout task_started', 'idle rollout task_complete']);
    assert.equal(worker(f).state, 'running');
    // A rollout line read late (the collector's pass) never replaces a newer word: the agent stays idle for delivery.
    rolloutSignals(f.rt, 'w01', [ev('task_started', t - 10)]);
    assert.equal(deliverySignals(f.rt, worker(f))!.ready(), true);
    rolloutSignals(f.rt, 'w01', [ev('task_started', t + 3)]);
    assert.equal(deliverySignals(f.rt, worker(f))!.ready(), false);
    assert.equal(deliverySignals(f.rt, worker(f))!.submittedSince(t + 3), true);
  } finally {
    monitor.close();
    f.cleanup();
  }
});

test('an ACP permission left to a person: waiting, a pane ticket, its answer typed while the source says waiting', () =>
  withSignalledWorker(async (f, signal) => {
    const monitor = createMonitor(f.rt);
    const acp = (event: string, more: Record<string, string> = {}) =>
      JSON.stringify({ at: f.clock.now(), via: 'acp', event, ...more });
    try {
      signal(acp('prompt'));
      await monitor.tick();
      // The ACP pane shows the request with numbered options; no registry marker is on the screen.
      f.tmux.setScreen(
        '%2',
        'crewmux: the agent asks to run Edit hosts; crewmux does not answer it\n  1. Allow (allow_once)\n  2. Reject (reject_once)\ncrewmux: type the number of your answer and Enter\n',
      );
      signal(acp('permission', { message: 'Edit hosts' }));
      f.clock.advance(1_000);
      await monitor.tick();
      assert.equal(worker(f).state, 'waiting');
      assert.deepEqual(explained(f).slice(-1), ['waiting acp session/request_permission: Edit hosts']);
      const ticket = f.store.questions().list(f.rt.sid)[0]!;
      assert.equal(ticket.source, 'pane');
      answerQuestion(f.rt, ticket.id, '2', 'lead');
      assert.equal(await deliverAnswers(f.rt), 1);
      assert.match(f.tmux.pane('%2')!.screen, /^> 2\n/);
    } finally {
      monitor.close();
    }
  }));
