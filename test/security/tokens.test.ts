/**
 * Boundary: MCP bearer tokens and the supervisor's pid (docs/security/tokens.md).
 * - A local process that binds the MCP port freed by a crashed supervisor receives the agents' retried
 *   requests with their tokens; after `crewmux resume` those tokens must give no access (they are rotated,
 *   and the live agents relaunched with the new ones), and the goal still completes.
 * - Tokens are compared in constant time, and wrong tokens of any length are refused.
 * - `crewmux stop` never signals a pid that is not this session's supervisor (a recycled pid).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRepo, createTestEnv, diagnostics, eventually, fixtureAgent, git, runCli } from '../helpers/env.js';
import { startStepRun } from '../helpers/step-run.js';
import { seedSession } from '../helpers/dashboard-seed.js';
import { openStore } from '../../src/adapters/state/store.js';
import { principalOf, sameToken, workerTokenLookup } from '../../src/mcp/principal.js';
import { checkSupervisor } from '../../src/app/session/control.js';
import { isAlive } from '../../src/adapters/process/process-tree.js';
import { connectCrewmux } from '../../src/demo/mcp-client.js';
import type { SessionRow } from '../../src/core/session/rows.js';
import { signalPid } from '../helpers/wait.js';

interface Tokens {
  port: number;
  lead: string;
  workers: Record<string, string>;
  status: string;
}

function readTokens(dataDir: string): Tokens {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    const s = db.prepare('SELECT id, mcp_port, lead_token, status FROM sessions').get() as {
      id: string;
      mcp_port: number;
      lead_token: string;
      status: string;
    };
    const rows = db.prepare('SELECT id, token FROM workers WHERE session_id = ?').all(s.id) as {
      id: string;
      token: string;
    }[];
    return {
      port: s.mcp_port,
      lead: s.lead_token,
      status: s.status,
      workers: Object.fromEntries(rows.map((r) => [r.id, r.token])),
    };
  } finally {
    db.close();
  }
}

/** The HTTP status of an MCP `initialize` sent to 127.0.0.1:`port` with bearer `token`. */
async function initializeStatus(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'attacker', version: '1' } },
    }),
  });
  await res.text();
  return res.status;
}

test('tokens captured by binding the freed MCP port give no access after resume; live agents get new ones', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const gate = join(t.dir, 'gate');
    const run = startStepRun(
      t,
      repo,
      [
        { resumable: true },
        { call: 'spawn_worker', args: { task: 'gated', agent: 'gated' }, save: 'a' },
        { call: 'wait_for_worker', args: { worker_id: '$a', timeout_s: 2 }, repeatWhile: 'Still running' },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: { commands: ['git status'] } },
        { call: 'mark_goal_done', args: { summary: 'finished after the tokens were rotated' } },
      ],
      { gated: fixtureAgent('gated-worker', { env: { GATE_FILE: gate } }) },
      [],
      { verify: ['git status'] },
    );
    const status = async () => {
      const r = await runCli(t, repo, ['status', '--json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    };
    const before = await eventually('the worker running', async () => {
      const s = await status();
      return s && s.workers.length === 1 && s.workers[0].state === 'running' ? s : undefined;
    });
    const old = readTokens(t.env.CREWMUX_DATA_DIR!);
    assert.ok(old.lead && old.workers.w01 && old.port);

    // The attack: the supervisor dies; a local process binds its port and collects the bearer tokens of the
    // requests the lead retries.
    signalPid(before.session.supervisorPid, 'SIGKILL');
    await run.result;
    const seen = new Set<string>();
    const thief = createServer((req, res) => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      if (m) seen.add(m[1]!);
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve, reject) => {
      thief.once('error', reject);
      thief.listen(old.port, '127.0.0.1', () => resolve());
    });
    await eventually('the lead to retry on the stolen port', () => seen.has(old.lead), 30_000);
    thief.closeAllConnections();
    await new Promise<void>((r) => thief.close(() => r()));

    const resumed = runCli(t, repo, ['resume', '--no-attach', '--wait'], { timeoutMs: 120_000 });
    const now = await eventually(
      'the resumed session to run with new tokens',
      () => {
        const n = readTokens(t.env.CREWMUX_DATA_DIR!);
        return n.status === 'running' && n.lead !== old.lead ? n : undefined;
      },
      60_000,
    );
    assert.notEqual(now.workers.w01, old.workers.w01);

    // The stolen lead token and the old worker token are refused by the new supervisor.
    for (const stolen of [...seen, old.workers.w01]) assert.equal(await initializeStatus(now.port, stolen), 401);
    // The new ones work.
    assert.equal(await initializeStatus(now.port, now.workers.w01!), 200);
    const lead = await connectCrewmux(`http://127.0.0.1:${now.port}/mcp`, now.lead, 'security-test');
    try {
      const listed = await lead.call('list_workers', {});
      assert.equal(listed.isError, false, listed.text);
    } finally {
      await lead.close();
    }

    // The live agents were relaunched with the new tokens and finish the goal.
    writeFileSync(gate, 'open');
    const r = await resumed;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /session\.resumed .*w01 was relaunched on its worktree with a new token/);
    assert.match(r.stdout, /session\.done/);
    const after = await status();
    assert.deepEqual(
      after.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [['w01', 'merged']],
    );
    assert.notEqual(after.workers[0].pane, before.workers[0].pane, 'the worker was relaunched');
    const leadLog = readFileSync(join(run.sessionDir()!, 'lead', 'pane.log'), 'utf8');
    assert.equal(leadLog.match(/step lead ready/g)?.length, 2, `the lead was relaunched once:\n${leadLog}`);
    assert.equal(
      git(repo, 'show', `${after.session.integrationBranch}:gated.txt`),
      'written while the supervisor was down',
    );
  } finally {
    t.cleanup();
  }
});

test('MCP tokens: wrong tokens of any length are refused; comparisons go through timingSafeEqual digests', () => {
  const lead = 'a'.repeat(48);
  const worker = 'b'.repeat(48);
  const book = { lead, workerByToken: workerTokenLookup(() => [{ id: 'w01', token: worker }]) };
  const who = (token: string) => principalOf(`Bearer ${token}`, book);
  assert.deepEqual(who(lead), { role: 'lead' });
  assert.deepEqual(who(worker), { role: 'worker', workerId: 'w01' });
  for (const wrong of [
    'a',
    'a'.repeat(47),
    'a'.repeat(47) + 'b',
    'b'.repeat(47) + 'a',
    'a'.repeat(49),
    'x'.repeat(500),
  ])
    assert.equal(who(wrong), undefined, wrong);
  assert.equal(principalOf(undefined, book), undefined);
  assert.equal(principalOf(`Basic ${lead}`, book), undefined);
  // Empty stored tokens never match (a row with no token grants nothing).
  const empty = { lead: '', workerByToken: workerTokenLookup(() => [{ id: 'w02', token: '' }]) };
  assert.equal(principalOf('Bearer x', empty), undefined);
  assert.equal(sameToken('abc', 'abc'), true);
  assert.equal(sameToken('abc', 'abcd'), false);
  // No plain `===` on tokens anywhere the MCP server or the supervisor decides who is calling.
  for (const file of ['src/mcp/principal.ts', 'src/mcp/http-server.ts', 'src/compose/supervisor.ts']) {
    const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
    assert.doesNotMatch(text, /token\s*[!=]==\s*\w|\w\s*[!=]==\s*\w*\.?token\b/i, file);
  }
});

test('crewmux stop does not signal a pid that is not its session supervisor (a recycled pid)', async () => {
  const t = createTestEnv();
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const repo = createRepo(t);
    const dataDir = t.env.CREWMUX_DATA_DIR!;
    mkdirSync(dataDir, { recursive: true });
    const store = openStore(join(dataDir, 'state.db'));
    seedSession(store, { id: 's-recycled', repo });
    store.updateSession('s-recycled', { supervisor_pid: sleeper.pid! });
    store.close();

    const r = await runCli(t, repo, ['stop', 's-recycled']);
    assert.ok(isAlive(sleeper.pid!), `sleep ${sleeper.pid} was signalled:\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`pid ${sleeper.pid} is no longer its supervisor and was not signalled`));
  } finally {
    sleeper.kill('SIGKILL');
    t.cleanup();
  }
});

test('checkSupervisor: only a process of this user running `supervise <sid>` counts as the supervisor', async () => {
  const row = { id: 's1', supervisor_pid: process.pid } as SessionRow;
  const uid = process.getuid!();
  const argv = [process.execPath, '/x/bin/crewmux.js', 'supervise', 's1', '--resume'];
  assert.equal(
    checkSupervisor(row, () => ({ uid, argv }), uid),
    'ours',
  );
  assert.equal(
    checkSupervisor(row, () => ({ uid: uid + 1, argv }), uid),
    'other',
  );
  assert.equal(
    checkSupervisor(row, () => ({ uid, argv: ['sleep', '60'] }), uid),
    'other',
  );
  assert.equal(
    checkSupervisor(row, () => ({ uid, argv: [...argv.slice(0, 3), 's2'] }), uid),
    'other',
  );
  assert.equal(
    checkSupervisor(row, () => 'unsupported', uid),
    'unverified',
  );
  assert.equal(
    checkSupervisor({ ...row, supervisor_pid: null }, () => ({ uid, argv }), uid),
    'none',
  );
  // The real /proc: this test process is not a supervisor; a process of ours running `... supervise s1` is.
  assert.equal(checkSupervisor(row), existsSync('/proc/self') ? 'other' : 'unverified');
  const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'supervise', 's1'], { stdio: 'ignore' });
  try {
    // Until its exec, a fresh child's cmdline is still its parent's.
    if (existsSync('/proc/self'))
      await eventually('the child to exec', () =>
        readFileSync(`/proc/${fake.pid}/cmdline`, 'utf8').includes('supervise'),
      );
    assert.equal(
      checkSupervisor({ ...row, supervisor_pid: fake.pid! }),
      existsSync('/proc/self') ? 'ours' : 'unverified',
    );
  } finally {
    fake.kill('SIGKILL');
  }
});
