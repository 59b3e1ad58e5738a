/**
 * A goal with one local worker and one on an `exec:` runtime (the shipped example script, which runs it in a tmux
 * session of its own): both finish and are merged; the exec worker's session is gone at the end; a repository's
 * runtime never runs before `crewmux trust`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo, createTestEnv, diagnostics, git, ROOT, runCli } from '../helpers/env.js';

const EXAMPLE = join(ROOT, 'examples', 'runtimes', 'local-tmux.mjs');

function execSessions(socket: string): string[] {
  try {
    return execFileSync('tmux', ['-L', socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // no server: no sessions
  }
}

test('one local worker and one exec: worker (the example script) both finish and are merged', async () => {
  const t = createTestEnv();
  const socket = `${t.socket}-exec`;
  try {
    const config = { runtimes: { example: { exec: EXAMPLE } }, verify: ['git status'] };
    const repo = createRepo(t, { 'README.md': '# test repo\n', '.crewmux/config.json': JSON.stringify(config) });
    const plan = {
      workers: [
        { task: 'Local.\n```file:local.txt\nfrom the local worker\n```\n' },
        { task: 'Elsewhere.\n```file:exec.txt\nfrom the exec worker\n```\n', runtime: 'example' },
      ],
      verify: ['git status'],
    };
    const goal = `Two files.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const args = ['run', '--goal', goal, '--lead', 'scripted-lead', '--agents', 'scripted-worker', '--no-attach'];
    const env = { CREWMUX_PASS_ENV: 'EXAMPLE_RUNTIME_TMUX_SOCKET', EXAMPLE_RUNTIME_TMUX_SOCKET: socket };

    // Untrusted: refused before anything runs, the script included.
    const refused = await runCli(t, repo, [...args, '--wait'], { env });
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /E_REPO_CONFIG_UNTRUSTED/);
    assert.deepEqual(execSessions(socket), []);

    const r = await runCli(t, repo, [...args, '--wait', '--trust-repo-config', '--timeout', '90'], { env });
    assert.equal(r.code, 0, `run failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    const view = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [
        ['w01', 'merged'],
        ['w02', 'merged'],
      ],
    );
    const sid = view.session.id as string;
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:exec.txt`), 'from the exec worker');
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:local.txt`), 'from the local worker');
    // The exec worker ran on the example's tmux server, not in the session's window, and was stopped at the end.
    const record = (w: string) => join(t.env.CREWMUX_DATA_DIR!, 'sessions', sid, 'workers', w, 'runtime.json');
    assert.match(readFileSync(record('w02'), 'utf8'), /^\{"runtime":"example","id":"crewmux-exec-w02-[0-9a-f]+"\}$/);
    assert.equal(existsSync(record('w01')), false, 'a local worker has no runtime record');
    assert.deepEqual(execSessions(socket), []);
    assert.match(r.stdout, /worker\.spawned\s+w02/);
  } finally {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      /* no server */
    }
    t.cleanup();
  }
});
