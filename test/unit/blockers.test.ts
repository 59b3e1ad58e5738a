/**
 * "This agent cannot work" from pane text: the pure matcher over recorded-style screens (what matches, and
 * the false positives it must leave alone), and the monitor turning a match into a worker state that wakes
 * wait_for_worker, or into the end of a headless run for the lead (an attached user keeps it waiting), and
 * leadStartTimeout for a lead that never calls crewmux.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detectBlocker, undecorated } from '../../src/core/workers/blockers.js';
import { canTransition, isActive, isFinished } from '../../src/core/workers/state.js';
import { BUILTIN_AGENTS } from '../../src/core/agents/registry.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { customAgentProfile, type AgentProfile } from '../../src/core/agents/profile.js';
import { ConfigSchema } from '../../src/core/session/config-schema.js';
import { createMonitor, type Monitor } from '../../src/app/workers/monitor.js';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { waitForWorkers } from '../../src/app/workers/wait.js';
import { scriptedLead, scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from '../helpers/fake-runtime.js';

const NOT_LOGGED_IN = 'Not logged in · Please run /login';
/** Claude Code 2.1.197 after its first prompt with no credentials (the shape of its transcript and footer). */
const CLAUDE_NOT_LOGGED_IN = [
  '╭───────────────────────────────────────────────────╮',
  '│ ✻ Welcome to Claude Code!                         │',
  '╰───────────────────────────────────────────────────╯',
  '',
  '> Read the goal and start',
  `  ⎿  ${NOT_LOGGED_IN}`,
  '',
  '╭───────────────────────────────────────────────────╮',
  '│ >                                                 │',
  '╰───────────────────────────────────────────────────╯',
  '  ? for shortcuts',
].join('\n');

test('blockers: Claude Code not logged in is auth_required, with its own line and the fix', () => {
  assert.deepEqual(detectBlocker(claude.blockers, claude.markers, CLAUDE_NOT_LOGGED_IN), {
    kind: 'auth_required',
    line: NOT_LOGGED_IN,
    fix: 'run `claude` once and log in, or set ANTHROPIC_API_KEY',
  });
  assert.equal(
    detectBlocker(claude.blockers, claude.markers, '⏺ Claude AI usage limit reached|1767000000\n> ')?.kind,
    'quota_exhausted',
  );
  assert.equal(detectBlocker(claude.blockers, claude.markers, '│ Select login method:  │\n')?.kind, 'blocked_dialog');
  // With a status line, Claude Code 2.1.197 shows the notice right-aligned in its footer (recorded pane).
  const footer = `  ← for agents${' '.repeat(160)}Not logged in · Run /login\n${' '.repeat(180)}● high · /effort\n`;
  assert.equal(detectBlocker(claude.blockers, claude.markers, footer)?.line, 'Not logged in · Run /login');
  // A short gap is the middle of a line, not a right-aligned cell.
  assert.equal(
    detectBlocker(claude.blockers, claude.markers, 'the CLI said    Not logged in · Run /login\n'),
    undefined,
  );
});

test('blockers: a Gemini ACP worker whose session/new was refused for want of a key is auth_required', () => {
  const gemini = BUILTIN_AGENTS.find((a) => a.name === 'gemini')!;
  // Gemini CLI 0.61.0 `--acp` on a HOME without credentials answers session/new with -32000 and this message;
  // crewmux's ACP pane prints it after a ✕.
  const pane = '✕ Gemini API key is missing or not configured.\n';
  assert.equal(detectBlocker(gemini.blockers, gemini.markers, pane)?.kind, 'auth_required');
});

test('blockers: text in a file or diff the agent shows, a quoted line, old output and a busy agent do not match', () => {
  const p = claude.blockers;
  const m = claude.markers;
  // A diff of a file holding the text: the line starts with a line number and a sign.
  assert.equal(
    detectBlocker(p, m, `⏺ Update(src/auth.ts)\n  12 + const msg = "${NOT_LOGGED_IN}";\n  12 +   ${NOT_LOGGED_IN}\n> `),
    undefined,
  );
  // The text in the middle of a line (a quote, an explanation).
  assert.equal(detectBlocker(p, m, `⏺ The error "${NOT_LOGGED_IN}" appears when...\n> `), undefined);
  // Scrolled above the bottom window: an old answer, the agent went on since.
  const old = `  ⎿  ${NOT_LOGGED_IN}\n` + Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n');
  assert.equal(detectBlocker(p, m, old), undefined);
  // Busy (retrying, or still working): not judged.
  assert.equal(detectBlocker(p, m, `  ⎿  ${NOT_LOGGED_IN}\n✻ Working… (esc to interrupt)`), undefined);
  // No patterns, no match.
  assert.equal(detectBlocker(undefined, m, CLAUDE_NOT_LOGGED_IN), undefined);
});

test('blockers: the line is escaped, decoration is stripped, and custom agents list their own in config', () => {
  const custom = customAgentProfile(
    'mine',
    ConfigSchema.parse({
      agents: {
        mine: { command: 'x', blockers: [{ kind: 'quota_exhausted', match: 'Out of credits', fix: 'top up' }] },
      },
    }).agents!.mine!,
  );
  const b = detectBlocker(custom.blockers, custom.markers, '■ Out of credits \u202e today\u0007\n');
  assert.deepEqual(b, { kind: 'quota_exhausted', line: 'Out of credits \\u202e today\\x07', fix: 'top up' });
  assert.equal(undecorated('  │ ⚠ Please set an Auth method │'), 'Please set an Auth method');
  assert.throws(() =>
    ConfigSchema.parse({ agents: { x: { command: 'x', blockers: [{ kind: 'nope', match: 'abc', fix: 'f' }] } } }),
  );
});

/**
 * Panes recorded from the pinned CLIs against a model server answering as the real API does when it refuses the
 * key (401; Gemini: 400 API_KEY_INVALID) or the quota (429 insufficient_quota): test/fixtures/blockers/.
 */
const RECORDED: { file: string; agent: string; kind: string; line: RegExp }[] = [
  {
    file: 'codex-0.169-invalid-key',
    agent: 'codex',
    kind: 'auth_required',
    line: /^unexpected status 401 Unauthorized: Incorrect API key/,
  },
  {
    file: 'codex-0.169-quota',
    agent: 'codex',
    kind: 'quota_exhausted',
    line: /^Quota exceeded\. Check your plan and billing details\.$/,
  },
  {
    file: 'gemini-0.61-invalid-key',
    agent: 'gemini',
    kind: 'auth_required',
    line: /^\[API Error: \{"error":\{"code":400,"message":"API key not valid\./,
  },
  {
    file: 'qwen-0.24-invalid-key',
    agent: 'qwen',
    kind: 'auth_required',
    line: /^\[API Error: 401 Incorrect API key provided/,
  },
  {
    file: 'opencode-1.18-invalid-key',
    agent: 'opencode',
    kind: 'auth_required',
    line: /^Incorrect API key provided: dummy/,
  },
  { file: 'opencode-1.18-quota', agent: 'opencode', kind: 'quota_exhausted', line: /^You exceeded your current quota/ },
];

for (const r of RECORDED)
  test(`blockers: ${r.file} (recorded) is ${r.kind}, with the agent's own line`, () => {
    const text = readFileSync(new URL(`../../../test/fixtures/blockers/${r.file}.txt`, import.meta.url), 'utf8');
    const p = BUILTIN_AGENTS.find((a: AgentProfile) => a.name === r.agent)!;
    const b = detectBlocker(p.blockers, p.markers, text);
    assert.equal(b?.kind, r.kind, `${r.file}: ${JSON.stringify(b)}`);
    assert.match(b.line, r.line);
    assert.ok(b.fix.length > 0);
  });

test('blockers: the API error texts of Gemini CLI, Qwen Code and OpenCode from their bundles', () => {
  const kindOf = (agent: string, screen: string) => {
    const p = BUILTIN_AGENTS.find((a: AgentProfile) => a.name === agent)!;
    return detectBlocker(p.blockers, p.markers, screen)?.kind;
  };
  // Gemini CLI 0.61 (parseAndFormatApiError): a 429 that outlived its retries, with the rate-limit advice after it.
  assert.equal(
    kindOf(
      'gemini',
      '✕ [API Error: {"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method\n >   Type your message',
    ),
    'quota_exhausted',
  );
  // Qwen Code 0.24: the final 429 (not the one that says it is retrying: the agent is busy then).
  assert.equal(
    kindOf(
      'qwen',
      '  ✕ [API Error: 429 You exceeded your current quota, please check your plan and billing details.]\n>   Type your message',
    ),
    'quota_exhausted',
  );
  assert.equal(
    kindOf(
      'qwen',
      '  ✕ [API Error: 429 You exceeded your current quota] (Retrying in 83s… (attempt 2/10))\n  .  Thinking (5m 25s · esc to cancel)',
    ),
    undefined,
  );
  // A model's own text that mentions an API error mid-line does not count.
  assert.equal(
    kindOf('qwen', '  ✦ The log shows [API Error: 401 ...] when the key is wrong.\n>   Type your message'),
    undefined,
  );
});

test('blockers: every verified agent that needs a login lists at least one auth text', () => {
  for (const name of ['claude', 'codex', 'gemini', 'qwen', 'opencode']) {
    const p = BUILTIN_AGENTS.find((a: AgentProfile) => a.name === name)!;
    assert.ok(
      p.blockers?.some((b) => b.kind === 'auth_required' && b.fix),
      name,
    );
  }
});

test('states: a worker that cannot work is finished (wait_for_worker wakes) and can be resumed, merged or discarded', () => {
  for (const s of ['auth_required', 'quota_exhausted', 'blocked_dialog'] as const) {
    assert.equal(isActive(s), false);
    assert.equal(isFinished(s), true);
    for (const from of ['starting', 'running', 'waiting'] as const) assert.ok(canTransition(from, s), `${from}->${s}`);
    for (const to of ['running', 'discarded', 'merged', 'killed'] as const)
      assert.ok(canTransition(s, to), `${s}->${to}`);
    assert.equal(canTransition('done', s), false);
  }
});

/** A fake runtime whose worker and lead agents show Claude Code's blockers; the monitor is ticked by the test. */
async function withBlockers(
  fn: (f: FakeRuntime, monitor: Monitor) => Promise<void>,
  opts?: FakeRuntimeOptions,
): Promise<void> {
  const f = await createFakeRuntime(opts);
  for (const p of [scriptedWorker, scriptedLead])
    f.rt.agents.set(p.name, { profile: { ...p, blockers: claude.blockers }, binary: process.execPath });
  const monitor = createMonitor(f.rt);
  try {
    await fn(f, monitor);
  } finally {
    monitor.close();
    f.cleanup();
  }
}

const sessionOf = (f: FakeRuntime) => f.store.getSession(f.rt.sid)!;
const eventsOf = (f: FakeRuntime, type: string) =>
  f.store.eventsAfter(f.rt.sid, 0, 10_000).filter((e) => e.type === type);

test('monitor: a worker showing "Not logged in" is auth_required at the next tick and wait_for_worker wakes with why', () =>
  withBlockers(async (f, monitor) => {
    await spawnWorker(f.rt, { task: 'work' });
    const waiting = waitForWorkers(f.rt, ['w01'], 'any', 60_000);
    f.tmux.setScreen('%2', CLAUDE_NOT_LOGGED_IN);
    await monitor.tick();
    const r = await waiting;
    assert.equal(r.timedOut, false);
    assert.deepEqual(
      r.finished.map((w) => [w.id, w.state]),
      [['w01', 'auth_required']],
    );
    assert.match(
      r.finished[0]!.summary!,
      /the agent scripted-worker cannot work: Not logged in · Please run \/login — fix: run `claude`/,
    );
    const ev = eventsOf(f, 'worker.auth_required')[0]!;
    assert.equal(ev.data.line, NOT_LOGGED_IN);
    assert.equal(sessionOf(f).status, 'running');
  }));

test('monitor: a worker editing a file that holds the text stays running', () =>
  withBlockers(async (f, monitor) => {
    await spawnWorker(f.rt, { task: 'work' });
    f.tmux.setScreen(
      '%2',
      `⏺ Write(src/login.ts)\n  1 export const NOT = "${NOT_LOGGED_IN}";\n  2 ${NOT_LOGGED_IN}\n> `,
    );
    await monitor.tick();
    assert.equal(f.store.getWorker(f.rt.sid, 'w01')!.state, 'running');
  }));

test('monitor: a lead showing "Not logged in" ends a run nobody is attached to as failed, with its line and the fix', () =>
  withBlockers(async (f, monitor) => {
    f.tmux.setScreen(f.leadPane, CLAUDE_NOT_LOGGED_IN);
    await monitor.tick();
    await f.rt.ending;
    const s = sessionOf(f);
    assert.equal(s.status, 'failed');
    assert.equal(
      s.outcome_reason,
      'lead scripted-lead cannot work: Not logged in · Please run /login — fix: run `claude` once and log in, or set ANTHROPIC_API_KEY',
    );
    assert.equal(eventsOf(f, 'lead.cannot_work').length, 1);
  }));

test('monitor: with a user attached, a blocked lead is told once (event and tmux message) and the run keeps waiting', () =>
  withBlockers(async (f, monitor) => {
    f.tmux.clients = ['/dev/pts/7'];
    f.tmux.setScreen(f.leadPane, CLAUDE_NOT_LOGGED_IN);
    await monitor.tick();
    f.clock.advance(1_500);
    await monitor.tick();
    assert.equal(sessionOf(f).status, 'running');
    assert.equal(eventsOf(f, 'lead.cannot_work').length, 1);
    assert.equal(eventsOf(f, 'lead.cannot_work')[0]!.data.attached, true);
    assert.deepEqual(f.tmux.callsOf('displayMessage'), [
      [
        f.rt.tmuxSession,
        `crewmux: lead scripted-lead cannot work: ${NOT_LOGGED_IN} — fix: run \`claude\` once and log in, or set ANTHROPIC_API_KEY`,
      ],
    ]);
    // The user detaches without fixing it: the run fails.
    f.tmux.clients = [];
    f.clock.advance(1_500);
    await monitor.tick();
    await f.rt.ending;
    assert.equal(sessionOf(f).status, 'failed');
  }));

test('monitor: a lead with no MCP call within leadStartTimeout fails the run with its pane tail; a call stops the clock', async () => {
  await withBlockers(
    async (f, monitor) => {
      f.tmux.setScreen(f.leadPane, 'banner\nthinking\x1b[31m hard\x1b[0m\n');
      await monitor.tick();
      f.clock.advance(5_000);
      await monitor.tick();
      assert.equal(sessionOf(f).status, 'running');
      f.clock.advance(1_500);
      await monitor.tick();
      await f.rt.ending;
      assert.equal(sessionOf(f).status, 'failed');
      assert.match(
        sessionOf(f).outcome_reason!,
        /^lead scripted-lead cannot work: it made no MCP call within leadStartTimeout \(5 s\) after it started; its pane ends with: banner \| thinking hard — fix: /,
      );
    },
    { options: { leadStartTimeoutS: 5 } },
  );
  await withBlockers(
    async (f, monitor) => {
      await monitor.tick();
      monitor.leadActivity();
      f.clock.advance(60_000);
      await monitor.tick();
      assert.equal(sessionOf(f).status, 'running');
    },
    { options: { leadStartTimeoutS: 5 } },
  );
});
