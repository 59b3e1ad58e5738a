/**
 * Boundary: no secret in a worktree (docs/security/secrets.md). Agents that read MCP config only from the
 * project (crush, cursor-agent, kiro) get a file holding a bearer token inside their worktree; kilocode (7.x, an
 * OpenCode fork) no longer does: its config goes under crewmux's state dir (KILO_CONFIG).
 * Attacks: (1) a real run whose workers are the registry's cursor-agent and kiro entries played by
 * scripted programs (one leaves its work for the snapshot commit's `git add -A`, the other runs
 * `git add -A && git commit` itself), merged into the integration branch: `git log -p --all` must hold no
 * token; (2) a repository that commits the config paths as symlinks to files outside (~/.ssh style) or
 * tracks the config file itself: crewmux must not write through, and must refuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli } from '../helpers/env.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { prepareLaunch } from '../../src/app/agents/launch.js';
import { createGit } from '../../src/adapters/git/git.js';

const SCRIPTED_WORKER = join(ROOT, 'dist', 'src', 'demo', 'scripted-worker.js');

test('workers with project-local MCP config: after the run and the merges, git log -p --all holds no token', async () => {
  const t = createTestEnv();
  try {
    // verify runs the configured command (the plan's), and the run trusts the repo config.
    const repo = createRepo(t, { 'README.md': '# test repo\n', '.crewmux/config.json': '{"verify":["git status"]}\n' });
    const bin = join(t.dir, 'agent-bin');
    mkdirSync(bin);
    // cursor-agent leaves its file uncommitted: crewmux's snapshot commit (`git add -A`) commits the leftovers.
    writeFileSync(
      join(bin, 'cursor-agent'),
      `#!/bin/sh\nCREWMUX_SCRIPTED_NO_COMMIT=1 exec '${process.execPath}' '${SCRIPTED_WORKER}'\n`,
    );
    // kiro commits everything in its worktree itself before working, as a careless agent would.
    writeFileSync(
      join(bin, 'kiro-cli'),
      `#!/bin/sh\ngit add -A && git -c user.name=kiro -c user.email=kiro@invalid commit -q -m 'kiro: everything' ; exec '${process.execPath}' '${SCRIPTED_WORKER}'\n`,
    );
    chmodSync(join(bin, 'cursor-agent'), 0o755);
    chmodSync(join(bin, 'kiro-cli'), 0o755);
    const plan = {
      workers: [
        { agent: 'cursor-agent', task: 'C.\n```file:c.txt\nfrom cursor\n```\n' },
        { agent: 'kiro', task: 'K.\n```file:k.txt\nfrom kiro\n```\n' },
      ],
      verify: ['git status'],
    };
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
        'cursor-agent,kiro',
        '--no-attach',
        '--wait',
        '--timeout',
        '90',
        '--trust-repo-config',
      ],
      { env: { PATH: `${bin}:${t.env.PATH}` } },
    );
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const db = new Database(join(t.env.CREWMUX_DATA_DIR!, 'state.db'), { readonly: true });
    const sid = (db.prepare('SELECT id FROM sessions').get() as { id: string }).id;
    const tokens = [
      ...(db.prepare('SELECT lead_token AS t FROM sessions').all() as { t: string }[]),
      ...(db.prepare('SELECT token AS t FROM workers').all() as { t: string }[]),
    ].map((x) => x.t);
    const worktrees = (db.prepare('SELECT worktree AS w FROM workers').all() as { w: string }[]).map((x) => x.w);
    db.close();
    assert.equal(tokens.length, 3, 'the lead and two workers');
    // The config files were really written in the worktrees (the attack surface exists) ...
    for (const [w, rel] of [
      [worktrees[0]!, '.cursor/mcp.json'],
      [worktrees[1]!, '.kiro/settings/mcp.json'],
    ] as const)
      if (existsSync(w)) assert.ok(existsSync(join(w, rel)), `${rel} was written in ${w}`);
    // ... both workers' work was merged ...
    const integration = `crewmux/${sid}/integration`;
    assert.equal(git(repo, 'show', `${integration}:c.txt`), 'from cursor');
    assert.equal(git(repo, 'show', `${integration}:k.txt`), 'from kiro');
    // ... and no commit on any branch holds a token or a config path.
    const history = git(repo, 'log', '-p', '--all');
    for (const tok of tokens) assert.ok(!history.includes(tok), 'a token is in git history');
    const names = git(repo, 'log', '--all', '--name-only', '--format=');
    assert.doesNotMatch(names, /\.cursor\/mcp\.json|\.kiro\/settings\/mcp\.json/);
  } finally {
    t.cleanup();
  }
});

test('a repository that plants symlinks or tracks the config file: crewmux writes nothing through, and refuses', async () => {
  const t = createTestEnv();
  try {
    const victim = join(t.dir, 'victim');
    mkdirSync(join(victim, 'ssh'), { recursive: true });
    writeFileSync(join(victim, 'authorized_keys'), 'ssh-ed25519 AAAA the-real-key\n');
    const repo = createRepo(t, { 'README.md': '# r\n', '.kilocode/mcp.json': '{"mcpServers":{}}\n' });
    symlinkSync(join(victim, 'authorized_keys'), join(repo, '.crush.json'));
    symlinkSync(join(victim, 'ssh'), join(repo, '.cursor'));
    mkdirSync(join(repo, '.kiro'));
    symlinkSync(join(victim, 'ssh'), join(repo, '.kiro', 'settings'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'planted');
    const wt = join(t.dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'w', wt);
    assert.ok(lstatSync(join(wt, '.crush.json')).isSymbolicLink(), 'the checkout has the planted link');

    // A second worktree without the planted commit, where the link appears untracked (an agent of an earlier
    // turn can plant one before restart_worker relaunches): only the no-follow write stands in the way.
    const clean = join(t.dir, 'wt-clean');
    git(repo, 'worktree', 'add', '-q', '-b', 'w-clean', clean, 'HEAD~1');
    symlinkSync(join(victim, 'authorized_keys'), join(clean, '.crush.json'));

    const refusals: Record<string, string> = {};
    for (const [name, worktree] of [
      ['crush', wt],
      ['cursor-agent', wt],
      ['kiro', wt],
      ['kilocode', wt],
      ['crush-untracked', clean],
    ] as const) {
      const input = {
        profile: findAgent(name.replace('-untracked', ''))!,
        binary: `/bin/${name}`,
        baseEnv: {},
        git: createGit(),
        ctx: {
          role: 'worker' as const,
          sessionId: 's1',
          workerId: 'w01',
          cwd: worktree,
          mcpUrl: 'http://127.0.0.1:1/mcp',
          mcpToken: 'planted-attack-token-0123456789abcdef',
          promptFile: join(t.dir, 'state', name, 'prompt.md'),
          stateDir: join(t.dir, 'state', name),
          toolTimeoutS: 45,
        },
      };
      try {
        await prepareLaunch(input);
      } catch (e) {
        refusals[name] = (e as Error).message;
      }
    }
    // Nothing was written through the links, and the tracked file is the repo's own.
    assert.equal(readFileSync(join(victim, 'authorized_keys'), 'utf8'), 'ssh-ed25519 AAAA the-real-key\n');
    assert.ok(!existsSync(join(victim, 'ssh', 'mcp.json')), 'nothing written into the linked directory');
    assert.equal(readFileSync(join(wt, '.kilocode', 'mcp.json'), 'utf8'), '{"mcpServers":{}}\n');
    assert.match(refusals.crush ?? '', /tracks \.crush\.json/, 'a committed link is a tracked file: refused');
    assert.match(refusals['crush-untracked'] ?? '', /symbolic link/);
    assert.match(refusals['cursor-agent'] ?? '', /symbolic link/);
    assert.match(refusals.kiro ?? '', /symbolic link/);
    // Kilo Code 7.x reads KILO_CONFIG (under crewmux's state dir): a tracked .kilocode/mcp.json is not its business.
    assert.equal(refusals.kilocode, undefined, 'kilocode writes nothing in the worktree');
  } finally {
    t.cleanup();
  }
});
