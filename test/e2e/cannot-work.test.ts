/**
 * An agent that cannot work is noticed in seconds, through the built CLI with real tmux, git and MCP: a lead
 * that prints Claude Code's "Not logged in" line fails a headless run with that line and its fix; a worker
 * that does is `auth_required` and the lead's wait_for_worker says so; a lead that never calls crewmux fails
 * the run after leadStartTimeout. Every run has a --timeout far beyond the CLI's own kill deadline, so a run
 * that waited for it fails the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { which } from '../../src/adapters/process/which.js';
import { agentPath, OFFLINE_ENV } from '../helpers/agent-homes.js';
import { createRepo, createTestEnv, FIXTURES, fixtureAgent, ROOT, runCli, writeConfig } from '../helpers/env.js';
import { diagnostics } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';

const NOT_LOGGED_IN = 'Not logged in · Please run /login';
const FIX = 'run `claude` once and log in, or set ANTHROPIC_API_KEY';
/** A config agent that prints `lines` and idles, never calling crewmux. */
const sayAndIdle = (lines: string[], extra: Record<string, unknown> = {}) =>
  fixtureAgent('say-and-idle', { args: [join(FIXTURES, 'say-and-idle.mjs'), ...lines], ...extra });
/** Claude Code's not-logged-in answer to its first prompt, with the blocker a custom agent lists in config. */
const nologin = sayAndIdle(['╭──────╮', '│ > do the goal', `  ⎿  ${NOT_LOGGED_IN}`], {
  blockers: [{ kind: 'auth_required', match: NOT_LOGGED_IN, fix: FIX }],
});

async function statusOf(t: ReturnType<typeof createTestEnv>, repo: string) {
  const r = await runCli(t, repo, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    session: { status: string; reason: string };
    workers: { id: string; state: string }[];
  };
}

test('a lead that is not logged in fails a headless run at once, with its own line and the fix', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, { agents: { nologin } });
    const r = await runCli(
      t,
      repo,
      [
        'run',
        '--goal',
        'any goal',
        '--lead',
        'nologin',
        '--agents',
        'nologin',
        '--no-attach',
        '--wait',
        '--trust-repo-config',
        '--timeout',
        '600',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.ok(
      r.stderr.includes(`lead nologin cannot work: ${NOT_LOGGED_IN} — fix: ${FIX}`),
      `stderr names the line and the fix:\n${r.stderr}`,
    );
    assert.match(r.stdout, /lead\.cannot_work/);
    const view = await statusOf(t, repo);
    assert.equal(view.session.status, 'failed');
    assert.match(view.session.reason, /Not logged in · Please run \/login/);
  } finally {
    t.cleanup();
  }
});

test('a worker that is not logged in is auth_required, and wait_for_worker tells the lead', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const run = startStepRun(
      t,
      repo,
      [
        { call: 'spawn_worker', args: { task: 'do something', agent: 'nologin' }, save: 'w' },
        { call: 'wait_for_worker', args: { worker_id: '$w' }, repeatWhile: 'Still running' },
        { call: 'discard_worker', args: { worker_id: '$w', reason: 'its agent is not logged in' } },
        { call: 'mark_goal_failed', args: { reason: 'the worker agent is not logged in' } },
      ],
      { nologin },
      ['--timeout', '600'],
    );
    const r = await run.result;
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const waited = run.steps()[1]!;
    assert.match(waited.text, /^w01 is auth_required:/);
    assert.ok(waited.text.includes(`${NOT_LOGGED_IN} — fix: ${FIX}`), waited.text);
    assert.match(r.stdout, /worker\.auth_required\s+w01 auth_required: the agent nologin cannot work: Not logged in/);
    const view = await statusOf(t, repo);
    assert.equal(view.session.status, 'failed');
    assert.match(view.session.reason, /the worker agent is not logged in/);
  } finally {
    t.cleanup();
  }
});

test('a lead that makes no MCP call within --lead-start-timeout fails the run with its pane tail', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, {
      agents: {
        idle: sayAndIdle(['thinking about it', 'still thinking']),
      },
    });
    const r = await runCli(
      t,
      repo,
      [
        'run',
        '--goal',
        'any goal',
        '--lead',
        'idle',
        '--agents',
        'idle',
        '--no-attach',
        '--wait',
        '--trust-repo-config',
        '--lead-start-timeout',
        '2',
        '--timeout',
        '600',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(
      r.stderr,
      /lead idle cannot work: it made no MCP call within leadStartTimeout \(2 s\) after it started; its pane ends with: .*thinking about it \| still thinking/,
    );
    const view = await statusOf(t, repo);
    assert.equal(view.session.status, 'failed');
  } finally {
    t.cleanup();
  }
});

const PATH = agentPath(ROOT, process.env.PATH ?? '/usr/bin:/bin');

test(
  'the real Claude Code without credentials: a headless run fails at once with its not-logged-in line',
  { skip: which('claude', PATH) ? false : 'claude is not installed (npm install installs the pinned CLI)' },
  async () => {
    const t = createTestEnv();
    try {
      const repo = createRepo(t);
      // An empty HOME and no ANTHROPIC_* variable: Claude Code has no login; outbound traffic goes nowhere.
      const r = await runCli(
        t,
        repo,
        [
          'run',
          '--goal',
          'any goal',
          '--lead',
          'claude',
          '--agents',
          'claude',
          '--no-attach',
          '--wait',
          '--timeout',
          '600',
        ],
        { timeoutMs: 90_000, env: { ...OFFLINE_ENV, PATH } },
      );
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
      assert.match(
        r.stderr,
        /crewmux: session \w+ failed: lead claude cannot work: .*(Not logged in|Select login method|Invalid API key).* — fix: /,
      );
      const view = await statusOf(t, repo);
      assert.equal(view.session.status, 'failed');
    } finally {
      t.cleanup();
    }
  },
);
