/** `crewmux init` scaffolds a project whose How to verify and hooks.json run as written; `doctor` reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, ROOT, runCli, writeConfig } from '../helpers/env.js';
import { verifyCommandsFromProject } from '../../src/core/integration/verify-commands.js';
import { HooksFileSchema, hookCommands } from '../../src/core/session/hooks.js';
import { execFileSync } from 'node:child_process';

test('init writes PROJECT.md with a guessed How to verify, and a hooks.json whose commands run', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t, {
      'package.json': JSON.stringify({ name: 'x', scripts: { test: 'node -e "process.exit(0)"', build: 'node -e 1' } }),
      '.gitignore': 'node_modules/\n',
    });
    const r = await runCli(t, repo, ['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote \.crewmux\/PROJECT\.md/);
    const verify = verifyCommandsFromProject(readFileSync(join(repo, '.crewmux', 'PROJECT.md'), 'utf8'));
    assert.deepEqual(verify, ['npm run build', 'npm test']);
    for (const c of verify) execFileSync('/bin/sh', ['-c', c], { cwd: repo, stdio: 'ignore' });
    const hooks = hookCommands([
      {
        source: 'init',
        file: HooksFileSchema.parse(JSON.parse(readFileSync(join(repo, '.crewmux', 'hooks.json'), 'utf8'))),
      },
    ]);
    assert.ok(hooks.length >= 3);
    for (const h of hooks) execFileSync('/bin/sh', ['-c', h.command], { cwd: repo, input: '{"event":"test"}' });
    assert.equal(
      readFileSync(join(repo, '.crewmux', 'logs', 'hooks.jsonl'), 'utf8').split('{"event":"test"}').length - 1,
      hooks.length,
    );
    assert.match(
      readFileSync(join(repo, '.gitignore'), 'utf8'),
      /node_modules\/\n# crewmux\n\.crewmux\/done\.flag\n\.crewmux\/logs\/\n/,
    );
    const again = await runCli(t, repo, ['init']);
    assert.match(again.stdout, /kept {2}\.crewmux\/config\.json/);
    assert.ok(existsSync(join(repo, '.crewmux', 'CONVENTIONS.md')));
  } finally {
    t.cleanup();
  }
});

test('doctor reports every check and exits 1 on a fatal one', async () => {
  const t = createTestEnv();
  try {
    const ok = await runCli(t, t.dir, ['doctor', '--json']);
    const checks = JSON.parse(ok.stdout) as { name: string; level: string }[];
    assert.deepEqual(checks.map((c) => c.name).slice(0, 5), ['tmux', 'git', 'node', 'better-sqlite3', 'node-pty']);
    assert.equal(ok.code, checks.some((c) => c.level === 'fatal') ? 1 : 0);
    const noTmux = await runCli(t, t.dir, ['doctor'], { env: { PATH: '/nonexistent' } });
    assert.equal(noTmux.code, 1);
    assert.match(noTmux.stdout, /fatal\s+tmux\s+not found on PATH/);
  } finally {
    t.cleanup();
  }
});

test('doctor says whether each detected agent is logged in, from files and keys, never printing a secret', async () => {
  const t = createTestEnv();
  try {
    const home = t.env.HOME!;
    mkdirSync(join(home, '.codex'), { recursive: true });
    writeFileSync(join(home, '.codex', 'auth.json'), JSON.stringify({ OPENAI_API_KEY: 'sk-secret-codex-123' }));
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ numStartups: 1 }));
    const env = {
      PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
      GEMINI_API_KEY: 'secret-gemini-456',
    };
    const r = await runCli(t, t.dir, ['doctor', '--json'], { env });
    const checks = JSON.parse(r.stdout) as { name: string; level: string; detail: string; fix?: string }[];
    const login = (name: string) => checks.find((c) => c.name === `${name} login`);
    assert.deepEqual(login('codex'), { name: 'codex login', level: 'ok', detail: 'logged in (~/.codex/auth.json)' });
    assert.deepEqual(login('gemini'), {
      name: 'gemini login',
      level: 'ok',
      detail: 'logged in (GEMINI_API_KEY is set)',
    });
    // ~/.claude.json without oauthAccount is not a login.
    assert.equal(login('claude')?.level, 'warn');
    assert.match(
      login('claude')!.detail,
      /^not logged in: none of ANTHROPIC_API_KEY, .*~\/\.claude\/\.credentials\.json/,
    );
    assert.match(login('claude')!.fix!, /ANTHROPIC_API_KEY|login/);
    assert.doesNotMatch(r.stdout + r.stderr, /sk-secret-codex-123|secret-gemini-456/);
    // The pinned CLIs are inside their verified ranges: no version warning.
    assert.deepEqual(
      checks.filter((c) => c.name.endsWith(' version')),
      [],
    );
  } finally {
    t.cleanup();
  }
});

test('doctor warns when an installed agent is newer than the versions crewmux was verified on', async () => {
  const t = createTestEnv();
  try {
    const bin = join(t.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\necho "2.1.999 (Claude Code)"\n', { mode: 0o755 });
    const r = await runCli(t, t.dir, ['doctor', '--json'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    const checks = JSON.parse(r.stdout) as { name: string; level: string; detail: string }[];
    const v = checks.find((c) => c.name === 'claude version');
    assert.equal(v?.level, 'warn', JSON.stringify(checks));
    assert.match(v.detail, /^claude 2\.1\.999 is newer than the versions crewmux was verified on \(2\.1\.197 to /);
    assert.match(v.detail, /npm install -g @anthropic-ai\/claude-code@2\.1\.\d+/);
    const detect = await runCli(t, t.dir, ['detect'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.match(detect.stdout, /^Warning: claude 2\.1\.999 is newer than the versions crewmux was verified on/m);
  } finally {
    t.cleanup();
  }
});

test('doctor exits 1 on a malformed config.json and lists every config error, project and global', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, { lead: 3, maxWorkers: 'many', agents: { x: { command: 'x', prompt: 'sometimes' } } });
    mkdirSync(t.env.CREWMUX_CONFIG_DIR!, { recursive: true });
    writeFileSync(join(t.env.CREWMUX_CONFIG_DIR!, 'config.json'), '{ "lead": ');
    const r = await runCli(t, repo, ['doctor']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const project = join(repo, '.crewmux', 'config.json');
    const line = r.stdout.split('\n').find((l) => l.includes(project)) ?? '';
    assert.match(line, /^fatal\s+config\s/);
    for (const key of ['lead', 'maxWorkers', 'agents.x.prompt'])
      assert.ok(line.includes(`${key}: `), `${key} in ${line}`);
    assert.match(r.stdout, /^fatal\s+config\s+\S+config\.json is not valid JSON/m);
    const json = JSON.parse((await runCli(t, repo, ['doctor', '--json'])).stdout) as { name: string; level: string }[];
    assert.deepEqual(
      json.filter((c) => c.name === 'config').map((c) => c.level),
      ['fatal', 'fatal'],
    );
    writeConfig(repo, {});
    rmSync(join(t.env.CREWMUX_CONFIG_DIR!, 'config.json'));
    const fine = await runCli(t, repo, ['doctor']);
    assert.match(fine.stdout, /^ok\s+config\s/m);
  } finally {
    t.cleanup();
  }
});
