/** `crewmux manual`: one scripted worker and no lead, through the built bin/crewmux.js on real tmux, git and MCP. */
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  eventually,
  fixtureAgent,
  git,
  runCli,
  writeConfig,
} from '../helpers/env.js';

test('manual: one worker, no lead, ends done with its commit merged and the report stored', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const task = 'Add the adder.\n```file:src/add.mjs\nexport const add = (a, b) => a + b;\n```\n';
    const r = await runCli(t, repo, [
      'manual',
      '--task',
      task,
      '--agent',
      'scripted-worker',
      '--no-attach',
      '--timeout',
      '90',
    ]);
    assert.equal(r.code, 0, `manual failed:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stderr, /manual session s[0-9a-z]+ started/);
    assert.match(r.stdout, /worker\.spawned\s+w01 spawned: scripted-worker as implementer/);
    assert.match(r.stdout, /session\.done/);
    // No lead was ever started: the worker was the session's one agent.
    assert.doesNotMatch(r.stdout, /lead\.started/);
    // The report is printed as for a run.
    assert.match(r.stdout, /crewmux session s[0-9a-z]+: done/);
    assert.match(
      r.stdout,
      /w01 \(scripted-worker\) done: wrote src\/add\.mjs; merged into crewmux\/s[0-9a-z]+\/integration/,
    );

    const status = await runCli(t, repo, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout);
    const sid = view.session.id as string;
    assert.equal(view.session.status, 'done');
    assert.equal(view.session.kind, 'manual');
    assert.equal(view.session.lead, 'none (manual)');
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [['w01', 'merged']],
    );
    // The worker's commit is on its branch, and merged into the session's integration branch.
    assert.equal(
      git(repo, 'show', `crewmux/${sid}/w01-implementer:src/add.mjs`),
      'export const add = (a, b) => a + b;',
    );
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:src/add.mjs`), 'export const add = (a, b) => a + b;');
    // The stored report names the worker and how to take the result.
    assert.equal(view.report.outcome, 'done');
    assert.equal(view.report.workers[0].merged, true);
    assert.equal(view.report.mergeCommand, `git merge crewmux/${sid}/integration`);
    // The user's checkout is untouched, and the tmux session is gone.
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.doesNotMatch(git(repo, 'ls-tree', '-r', '--name-only', 'HEAD'), /src\/add\.mjs/);
    assert.throws(() => t.tmux('has-session', '-t', `=crewmux-${sid}`));

    const sessions = await runCli(t, repo, ['sessions', '--json']);
    assert.equal(sessions.code, 0, sessions.stderr);
    const listed = (JSON.parse(sessions.stdout) as { id: string; kind: string; status: string }[]).find(
      (s) => s.id === sid,
    );
    assert.deepEqual([listed?.kind, listed?.status], ['manual', 'done']);
  } finally {
    t.cleanup();
  }
});

test('manual: a worker that crashes ends the session failed with exit 1, nothing merged', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    writeConfig(repo, { agents: { crash: fixtureAgent('crash-worker') } });
    const r = await runCli(t, repo, [
      'manual',
      'Do something the crash worker will not do.',
      '--agent',
      'crash',
      '--no-attach',
      '--trust-repo-config',
      '--timeout',
      '90',
    ]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /session\.failed/);
    const view = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
    assert.equal(view.session.status, 'failed');
    assert.match(view.session.reason, /w01 \(crash\) crashed: crashed: exited with status 3/);
    assert.deepEqual(
      view.workers.map((w: { id: string; state: string }) => [w.id, w.state]),
      [['w01', 'crashed']],
    );
  } finally {
    t.cleanup();
  }
});

test('manual: stop, then resume relaunches the worker in the first pane; it finishes and the session is done', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const gate = `${t.dir}/gate-open`;
    writeConfig(repo, { agents: { gated: fixtureAgent('gated-worker', { env: { GATE_FILE: gate } }) } });
    const started = await runCli(t, repo, [
      'manual',
      '--task',
      'Write gated.txt when the gate opens.',
      '--agent',
      'gated',
      '--no-attach',
      '--no-wait',
      '--trust-repo-config',
    ]);
    assert.equal(started.code, 0, `${started.stdout}\n${started.stderr}\n${diagnostics(t)}`);
    const sid = started.stdout.trim();
    const running = JSON.parse((await runCli(t, repo, ['status', sid, '--json'])).stdout);
    assert.equal(running.session.status, 'running');
    // The worker runs in the session's first pane (no lead pane before it).
    const firstPane = t.tmux('list-panes', '-t', `=crewmux-${sid}:lead`, '-F', '#{pane_index} #{pane_id}');
    assert.equal(firstPane.split('\n')[0], `0 ${running.workers[0].pane}`);

    const stop = await runCli(t, repo, ['stop', sid]);
    assert.equal(stop.code, 0, `${stop.stdout}\n${stop.stderr}\n${diagnostics(t)}`);
    const stopped = JSON.parse((await runCli(t, repo, ['status', sid, '--json'])).stdout);
    assert.equal(stopped.session.status, 'stopped');
    assert.equal(stopped.workers[0].state, 'killed');

    const resumed = await runCli(t, repo, ['resume', sid, '--no-attach', '--no-wait']);
    assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}\n${diagnostics(t)}`);
    const again = JSON.parse((await runCli(t, repo, ['status', sid, '--json'])).stdout);
    assert.equal(again.session.status, 'running');
    assert.equal(again.workers[0].state, 'running');
    const pane0 = t.tmux('list-panes', '-t', `=crewmux-${sid}:lead`, '-F', '#{pane_index} #{pane_id}');
    assert.equal(pane0.split('\n')[0], `0 ${again.workers[0].pane}`);

    // Let the relaunched worker finish: the session settles as done, its leftover work snapshot-committed and merged.
    writeFileSync(gate, '');
    const done = await eventually(
      'the resumed manual session to end',
      async () => {
        const v = JSON.parse((await runCli(t, repo, ['status', sid, '--json'])).stdout);
        return v.session.status !== 'running' && v;
      },
      60_000,
    );
    assert.equal(done.session.status, 'done', `${JSON.stringify(done.session)}\n${diagnostics(t)}`);
    assert.equal(done.workers[0].state, 'merged');
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:gated.txt`), 'written while the supervisor was down');
  } finally {
    t.cleanup();
  }
});

test('manual: no task, or an unknown agent, is one clear line with the fix and no session', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const none = await runCli(t, repo, ['manual', '--no-attach']);
    assert.equal(none.code, 64, none.stderr);
    assert.match(none.stderr, /E_TASK_MISSING/);
    assert.match(none.stderr, /crewmux manual --task/);
    const unknown = await runCli(t, repo, ['manual', '--task', 'x', '--agent', 'nope', '--no-attach']);
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.match(unknown.stderr, /Unknown agent "nope"/);
    assert.deepEqual(JSON.parse((await runCli(t, repo, ['sessions', '--json'])).stdout), []);
  } finally {
    t.cleanup();
  }
});
