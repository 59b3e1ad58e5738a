/**
 * Boundary: no secret on a command line (docs/security/secrets.md). Every local user can read every
 * process's argv in /proc/PID/cmdline, so agent environments (API keys, CREWMUX_MCP_TOKEN) must never
 * be passed as argv, e.g. as tmux `-e K=V`. The attack: while a real run (built bin/crewmux.js, scripted
 * lead and workers, real tmux/git/MCP) spawns its panes, scan /proc/*\/cmdline of every process for the
 * session's tokens (from state.db) and a canary API key. A PATH shim in front of tmux holds each pane-
 * spawning tmux call for 400 ms so even a short-lived argv is seen by the scan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRepo, createTestEnv, diagnostics, runCli } from '../helpers/env.js';
import { exec, ExecError } from '../../src/adapters/process/exec.js';

const CANARY = `sk-ant-canary-${process.pid}-0123456789abcdefABCDEF`;

const plan = {
  workers: [
    { agent: 'scripted-worker', task: 'One.\n```file:one.txt\none\n```\n' },
    { agent: 'scripted-worker', task: 'Two.\n```file:two.txt\ntwo\n```\n' },
  ],
  verify: ['git status'],
};

/** Every process's argv, NUL-separated words joined by spaces. */
function allCmdlines(): { pid: string; argv: string }[] {
  const out: { pid: string; argv: string }[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      out.push({ pid, argv: readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ') });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The session's tokens so far: the lead's and every worker's. */
function tokens(dbFile: string): string[] {
  if (!existsSync(dbFile)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const lead = db.prepare('SELECT lead_token AS t FROM sessions').all() as { t: string }[];
    const workers = db.prepare('SELECT token AS t FROM workers').all() as { t: string }[];
    return [...lead, ...workers].map((r) => r.t).filter(Boolean);
  } catch {
    return [];
  } finally {
    db?.close();
  }
}

test('while workers spawn, no process argv holds a session token or the canary API key', async () => {
  const t = createTestEnv();
  try {
    // The plan's verify command is the configured one, so the scripted lead may run it (and the repo config is trusted).
    const repo = createRepo(t, {
      'README.md': '# test repo\n',
      '.crewmux/config.json': JSON.stringify({ verify: plan.verify }),
    });
    // A tmux in front of the real one that lingers on pane-spawning commands, so the scan cannot miss them.
    const realTmux = execFileSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).trim();
    const shimDir = join(t.dir, 'shim-bin');
    mkdirSync(shimDir);
    writeFileSync(
      join(shimDir, 'tmux'),
      `#!/bin/sh\nfor a in "$@"; do case "$a" in new-session|new-window|split-window|respawn-pane) sleep 0.4;; esac; done\nexec '${realTmux}' "$@"\n`,
    );
    chmodSync(join(shimDir, 'tmux'), 0o755);
    const env = {
      PATH: `${shimDir}:${t.env.PATH}`,
      ANTHROPIC_API_KEY: CANARY,
      GITHUB_TOKEN: `ghp_canary${process.pid}xyzXYZ0123456789`,
    };
    const secrets = new Set<string>([CANARY, env.GITHUB_TOKEN]);
    const dbFile = join(t.env.CREWMUX_DATA_DIR!, 'state.db');
    const found: string[] = [];
    let scans = 0;
    let running = true;
    const scanner = (async () => {
      while (running) {
        for (const s of tokens(dbFile)) secrets.add(s);
        for (const p of allCmdlines())
          for (const s of secrets)
            if (p.argv.includes(s)) found.push(`pid ${p.pid} holds ${s.slice(0, 12)}...: ${p.argv.slice(0, 300)}`);
        scans++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const goal = `Two files.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const r = await runCli(
      t,
      repo,
      [
        'run',
        '--goal',
        goal,
        '--lead',
        'scripted-lead',
        '--agents',
        'scripted-worker',
        '--no-attach',
        '--wait',
        '--timeout',
        '90',
        '--trust-repo-config',
      ],
      { env },
    );
    running = false;
    await scanner;
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.ok(scans > 10, `the scanner ran (${scans} scans)`);
    assert.ok(
      secrets.size >= 5,
      `the lead token and both worker tokens were read from state.db (${secrets.size} secrets)`,
    );
    assert.deepEqual([...new Set(found)], [], 'no secret on any command line');
    // The workers still got their environment (they reached MCP with CREWMUX_MCP_TOKEN), and the env files are gone.
    assert.match(r.stdout, /w01 done/);
    assert.match(r.stdout, /w02 done/);
    const sessions = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
    for (const sid of readdirSync(sessions)) {
      assert.ok(!existsSync(join(sessions, sid, 'supervisor.env')), 'the supervisor env file was deleted once read');
      const wdir = join(sessions, sid, 'workers');
      for (const w of existsSync(wdir) ? readdirSync(wdir) : [])
        assert.ok(!existsSync(join(wdir, w, 'env')), `${w}'s env file was deleted once read`);
    }
  } finally {
    t.cleanup();
  }
});

test('a failing command quoted in an error carries no secret', async () => {
  const token = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6';
  const err = await exec(
    'sh',
    [
      '-c',
      'echo "auth failed for $1" >&2; exit 3',
      'sh',
      `CREWMUX_MCP_TOKEN=${token}`,
      '-e',
      `ANTHROPIC_API_KEY=${CANARY}`,
      'Bearer sk-proj-abcdefghijklmnop',
    ],
    { timeoutMs: 5_000 },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ExecError, 'the command failed with an ExecError');
  for (const text of [err.message, err.result.command])
    for (const s of [token, CANARY, 'sk-proj-abcdefghijklmnop'])
      assert.ok(!text.includes(s), `"${text}" holds a secret`);
  assert.match(err.message, /CREWMUX_MCP_TOKEN=<redacted>/);
  assert.match(err.message, /exited 3: auth failed for CREWMUX_MCP_TOKEN=<redacted>/);
});
