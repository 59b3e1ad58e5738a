/**
 * spawn_worker on the fakes: the exact tmux and git calls of a start, and what each failing step
 * leaves behind (all-or-nothing: worktree, branch, row, pane; a failed delivery is a state).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnWorker } from '../../src/app/workers/spawn.js';
import { exitStatusFile, recordingExit } from '../../src/app/workers/panes.js';
import { scriptedWorker } from '../../src/core/agents/profiles/scripted.js';
import { shellQuote } from '../../src/core/text/shell-quote.js';
import { ToolError } from '../../src/core/errors.js';
import { createFakeRuntime, TYPED_AGENT, type FakeRuntime } from '../helpers/fake-runtime.js';

const BRANCH = 'crewmux/s1fake00/w01-implementer';

async function withRuntime(
  fn: (f: FakeRuntime) => Promise<void>,
  opts?: Parameters<typeof createFakeRuntime>[0],
): Promise<void> {
  const f = await createFakeRuntime(opts);
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}

const worktreeOf = (f: FakeRuntime) => join(f.rt.worktreesDir, 'w01-implementer');

/** Nothing of worker w01 is left: no worktree (in git or on disk), no branch, no row, no pane but the lead's and the supervisor's. */
function assertNothingLeft(f: FakeRuntime): void {
  assert.deepEqual([...f.git.worktrees.keys()], [f.rt.repoRoot, f.rt.integrationWorktree]);
  assert.equal(existsSync(worktreeOf(f)), false);
  assert.deepEqual([...f.git.branches.keys()], ['main', f.rt.integrationBranch]);
  assert.equal(f.store.getWorker(f.rt.sid, 'w01'), undefined);
  assert.deepEqual(
    f.tmux.panes().map((p) => p.paneId),
    ['%0', '%1'],
  );
}

test('spawn_worker: worktree from the integration head, row, a pane beside the lead, its log piped in the same tmux call that creates it', () =>
  withRuntime(async (f) => {
    const { worker } = await spawnWorker(f.rt, { task: 'add a --verbose flag' });
    const row = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.deepEqual(worker, row);
    assert.deepEqual(f.git.calls, [
      ['revParse', f.rt.repoRoot, f.rt.integrationBranch],
      ['addWorktree', f.rt.repoRoot, worktreeOf(f), BRANCH, 'c0'],
    ]);
    assert.deepEqual(f.tmux.calls, [
      ['listPanes', f.rt.tmuxSession],
      ['startPane', f.leadWindow, worktreeOf(f), `cat >> ${shellQuote(row.log_file)}`],
    ]);
    assert.equal(row.state, 'running');
    assert.deepEqual(
      [
        row.num,
        row.agent,
        row.perspective,
        row.task,
        row.branch,
        row.worktree,
        row.pane_id,
        row.window_id,
        row.base_commit,
        row.finished_at,
      ],
      [
        1,
        'scripted-worker',
        'implementer',
        'add a --verbose flag',
        BRANCH,
        worktreeOf(f),
        '%2',
        f.leadWindow,
        'c0',
        null,
      ],
    );
    assert.equal(row.done_file, join(worktreeOf(f), '.crewmux', 'done.flag'));
    assert.match(readFileSync(row.prompt_file, 'utf8'), /add a --verbose flag/);
    assert.equal(existsSync(dirname(row.done_file)), true);

    // No start gate: the pane's log is piped by the call that creates it.
    assert.deepEqual([f.gate.created, f.gate.opened], [[], []]);
    const pane = f.tmux.pane('%2')!;
    const agentArgv = scriptedWorker.launch({} as never, process.execPath).argv;
    // The environment reaches the pane through a 0600 file its shell sources and empties (a builtin), never argv.
    const envFile = join(dirname(row.log_file), 'env');
    const sourced = `. ${shellQuote(envFile)} && : > ${shellQuote(envFile)} && `;
    assert.equal(
      pane.spec.command,
      sourced + recordingExit(agentArgv.map(shellQuote).join(' '), exitStatusFile(row.log_file)),
    );
    assert.equal(pane.spec.cwd, worktreeOf(f));
    assert.equal(pane.spec.command.includes(row.token), false);
    const env = readFileSync(envFile, 'utf8');
    assert.match(env, /^export CREWMUX_WORKER_ID='w01'$/m);
    assert.ok(env.includes(`export CREWMUX_MCP_TOKEN='${row.token}'`));
    assert.equal(pane.pipe, `cat >> ${shellQuote(row.log_file)}`);

    assert.deepEqual(f.eventTypes(), ['worker.spawned', 'worker.running']);
    assert.deepEqual(f.started, ['w01']);
  }));

test('spawn_worker: a typed prompt is pasted from a buffer and confirmed with Enter as a separate key', () =>
  withRuntime(async (f) => {
    f.tmux.startScreen = 'typed agent ready\n> ';
    const { worker } = await spawnWorker(f.rt, { task: 'type me', agent: TYPED_AGENT });
    assert.equal(worker.state, 'running');
    const after = f.tmux.calls.slice(f.tmux.calls.findIndex((c) => c[0] === 'startPane') + 1);
    const buffer = after.find((c) => c[0] === 'loadBuffer')![1]!;
    // Runs of pane reads (ready, the paste landing and holding still, the agent taking it) count once.
    const steps = after
      .map((c) => c.slice(0, 3))
      .filter((c, i, all) => c[0] !== 'capturePane' || all[i - 1]?.[0] !== 'capturePane');
    assert.deepEqual(steps, [
      ['capturePane', '%2'],
      ['loadBuffer', buffer, after.find((c) => c[0] === 'loadBuffer')![2]!],
      ['pasteBuffer', buffer, '%2'],
      ['capturePane', '%2'],
      ['sendKeys', '%2', 'Enter'],
      ['capturePane', '%2'],
    ]);
    assert.match(f.tmux.pane('%2')!.screen, /type me/);
  }));

test('spawn_worker: the fifth worker opens window workers-2 and keeps its panes on exit', () =>
  withRuntime(
    async (f) => {
      for (let i = 0; i < 5; i++) await spawnWorker(f.rt, { task: `task ${i}` });
      const fifth = f.store.getWorker(f.rt.sid, 'w05')!;
      assert.notEqual(fifth.window_id, f.leadWindow);
      const starts = f.tmux.callsOf('startPane').map((c) => c.slice(0, 2));
      assert.deepEqual(
        starts.slice(0, 4).map((c) => c[0]),
        Array(4).fill(f.leadWindow),
      );
      assert.deepEqual(starts[4], [`${f.rt.tmuxSession}:workers-2`, fifth.worktree]);
      assert.equal(f.tmux.windowOption(fifth.window_id!, 'remain-on-exit'), 'on');
    },
    { options: { maxWorkers: 5 } },
  ));

test('spawn_worker rollback: the worktree cannot be added, so nothing was made and nothing is undone', () =>
  withRuntime(async (f) => {
    f.git.failNext('addWorktree', new Error("fatal: cannot lock ref 'refs/heads/crewmux/s1fake00/w01-implementer'"));
    await assert.rejects(
      spawnWorker(f.rt, { task: 't' }),
      (e: Error) =>
        e instanceof ToolError &&
        /could not start worker w01: fatal: cannot lock ref/.test(e.message) &&
        !/cleanup/.test(e.message),
    );
    assert.deepEqual(
      f.git.calls.map((c) => c[0]),
      ['revParse', 'addWorktree'],
    );
    // Nothing was made in tmux: its panes were only listed (alongside the git steps, for the pane's place).
    assert.deepEqual(
      f.tmux.calls.map((c) => c[0]),
      ['listPanes'],
    );
    assertNothingLeft(f);
    const failed = f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'worker.spawn_failed')!;
    assert.deepEqual(failed.data, { undoErrors: [] });
  }));

test('spawn_worker rollback: the row cannot be created, so the worktree and branch are removed (and the other row kept)', () =>
  withRuntime(async (f) => {
    // A row w01 that the counter does not know about (e.g. left by an older supervisor): the insert fails.
    const wt = worktreeOf(f);
    f.store.createWorker({
      session_id: f.rt.sid,
      id: 'w01',
      num: 1,
      agent: 'scripted-worker',
      perspective: 'tester',
      task: 'older',
      state: 'done',
      branch: 'older-branch',
      worktree: '/elsewhere',
      pane_id: null,
      window_id: null,
      token: 't',
      nonce: 'n',
      prompt_file: '/p',
      log_file: '/l',
      done_file: '/d',
      pid: null,
      base_commit: 'c0',
    });
    await assert.rejects(spawnWorker(f.rt, { task: 't' }), /could not start worker w01: UNIQUE constraint failed/);
    assert.deepEqual(f.git.calls, [
      ['revParse', f.rt.repoRoot, f.rt.integrationBranch],
      ['addWorktree', f.rt.repoRoot, wt, BRANCH, 'c0'],
      ['removeWorktree', f.rt.repoRoot, wt, 'force'],
      ['deleteBranch', f.rt.repoRoot, BRANCH, 'force'],
    ]);
    // Nothing was made in tmux: its panes were only listed (alongside the git steps, for the pane's place).
    assert.deepEqual(
      f.tmux.calls.map((c) => c[0]),
      ['listPanes'],
    );
    assert.equal(existsSync(wt), false);
    assert.equal(f.git.branches.has(BRANCH), false);
    assert.deepEqual(
      f.store.listWorkers(f.rt.sid).map((w) => [w.id, w.task, w.state]),
      [['w01', 'older', 'done']],
    );
  }));

test('spawn_worker rollback: no pane can be split, so the row, worktree and branch are removed', () =>
  withRuntime(async (f) => {
    f.tmux.fail.startPane = new Error('no space for new pane');
    await assert.rejects(spawnWorker(f.rt, { task: 't' }), /could not start worker w01: no space for new pane\. /);
    assert.deepEqual(
      f.tmux.calls.map((c) => c.slice(0, 3)),
      [
        ['listPanes', f.rt.tmuxSession],
        ['startPane', f.leadWindow, worktreeOf(f)],
        ['selectLayout', f.leadWindow, 'tiled'],
        ['startPane', f.leadWindow, worktreeOf(f)],
      ],
    );
    assert.deepEqual(
      f.git.calls.map((c) => c[0]),
      ['revParse', 'addWorktree', 'removeWorktree', 'deleteBranch'],
    );
    assert.deepEqual(f.gate.opened, []);
    assertNothingLeft(f);
  }));

test('spawn_worker: a prompt that cannot be delivered leaves the worker failed with its pane, row and worktree (failure is a state)', () =>
  withRuntime(async (f) => {
    f.tmux.startScreen = 'typed agent ready\n> ';
    f.tmux.failNext('pasteBuffer', new Error("can't find pane: %2"));
    await assert.rejects(
      spawnWorker(f.rt, { task: 't', agent: TYPED_AGENT }),
      (e: Error) =>
        e instanceof ToolError &&
        /w01 started but its prompt was not delivered \(can't find pane: %2\)/.test(e.message),
    );
    const row = f.store.getWorker(f.rt.sid, 'w01')!;
    assert.deepEqual([row.state, row.pane_id, row.summary], ['failed', '%2', "start failed: can't find pane: %2"]);
    assert.equal(f.tmux.pane('%2')!.dead, false);
    assert.equal(f.git.worktrees.get(worktreeOf(f)), BRANCH);
    assert.deepEqual(f.tmux.callsOf('killPane'), []);
    assert.deepEqual(f.git.callsOf('removeWorktree'), []);
    assert.deepEqual(f.eventTypes(), ['worker.failed']);
  }));

test('spawn_worker rollback: a cleanup step that fails too is kept beside the first error, and what it left is there', () =>
  withRuntime(async (f) => {
    f.tmux.fail.startPane = new Error('no space for new pane');
    f.git.fail.removeWorktree = new Error("fatal: cannot remove '.crewmux': Device or resource busy");
    await assert.rejects(spawnWorker(f.rt, { task: 't' }), (e: Error) =>
      e.message.includes(
        'could not start worker w01: no space for new pane (cleanup also failed: remove worktree: fatal: cannot remove',
      ),
    );
    // The row went first (reverse order); the worktree and its branch are left, as the error says.
    assert.equal(f.store.getWorker(f.rt.sid, 'w01'), undefined);
    assert.equal(f.git.worktrees.get(worktreeOf(f)), BRANCH);
    assert.equal(f.git.branches.has(BRANCH), true);
    const failed = f.store.eventsAfter(f.rt.sid).find((e) => e.type === 'worker.spawn_failed')!;
    assert.deepEqual(failed.data, {
      undoErrors: ["remove worktree: fatal: cannot remove '.crewmux': Device or resource busy"],
    });
  }));
