/**
 * Boundary: launch files hold only what crewmux sets and what agents need (docs/security/secrets.md,
 * "Environment files"). The supervisor's whole environment used to be copied into the lead's
 * launch.sh (kept for the session), supervisor.env and every worker's env file, so an unrelated secret
 * of the user's shell sat on disk. The attack: a run (built bin/crewmux.js, scripted lead, a worker that
 * records its environment) with a canary AWS_SECRET_ACCESS_KEY in the caller's environment, on a tmux
 * server started beforehand without it; every file under the data dir is read while the run goes and
 * after it. The canary must be in none, and the worker must still get ANTHROPIC_API_KEY.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, fixtureAgent, runCli } from '../helpers/env.js';

const AWS_CANARY = `aws-canary-${process.pid}-wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY`;
const DB_CANARY = `postgres://app:db-canary-${process.pid}@db.internal/app`;
const KEY = `sk-ant-env-${process.pid}-0123456789abcdef`;

/** Files under `dir` (recursively) whose bytes contain one of `needles`. */
function filesHolding(dir: string, needles: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) {
          const text = readFileSync(p, 'latin1');
          if (needles.some((s) => text.includes(s))) out.push(p);
        }
      } catch {
        /* gone meanwhile (env files are deleted once read) */
      }
    }
  };
  walk(dir);
  return out;
}

test('an unrelated secret of the caller never lands in a file under the data dir; the agent still gets its API key', async () => {
  const t = createTestEnv();
  try {
    const out = join(t.dir, 'worker-env.json');
    const plan = { workers: [{ agent: 'env-worker', task: 'Record your environment.' }], verify: ['git status'] };
    const repo = createRepo(t, {
      'README.md': '# test repo\n',
      '.crewmux/config.json': JSON.stringify({
        verify: plan.verify,
        agents: { 'env-worker': fixtureAgent('env-worker', { env: { ENV_OUT: out } }) },
      }),
    });
    // The tmux server already runs (started from a shell without the secrets), as a user's usually does.
    t.tmux('new-session', '-d', '-s', 'keeper');
    const dataDir = t.env.CREWMUX_DATA_DIR!;
    const found = new Set<string>();
    let running = true;
    const scanner = (async () => {
      while (running) {
        for (const f of filesHolding(dataDir, [AWS_CANARY, DB_CANARY])) found.add(f);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const goal = `Record.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
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
        'env-worker',
        '--no-attach',
        '--wait',
        '--timeout',
        '90',
        '--trust-repo-config',
      ],
      {
        env: {
          CREWMUX_ROUTER: 'off',
          ANTHROPIC_API_KEY: KEY,
          AWS_SECRET_ACCESS_KEY: AWS_CANARY,
          DATABASE_URL: DB_CANARY,
        },
      },
    );
    running = false;
    await scanner;
    for (const f of filesHolding(dataDir, [AWS_CANARY, DB_CANARY])) found.add(f);
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.ok(existsSync(join(dataDir, 'sessions')), 'the run wrote its session files');
    assert.deepEqual([...found], [], 'no file under the data dir holds the unrelated secrets');
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { ANTHROPIC_API_KEY: KEY, AWS_SECRET_ACCESS_KEY: null });
  } finally {
    t.cleanup();
  }
});
