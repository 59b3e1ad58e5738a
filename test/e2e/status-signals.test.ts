/**
 * Issue 21 item 3, the real thing: a real Claude Code worker (the pinned CLI, against the scripted fake model server on
 * loopback) whose status comes from its hooks, not its pane. The test replaces Claude's pane marker table with
 * nonsense (CREWMUX_TEST_PANE_MARKERS, tests only): no ready, busy or waiting marker can ever show. The step lead
 * spawns the worker, waits for its first turn, gives it a second turn with send_to_worker (typed into its pane: ready
 * because its Stop hook said idle, taken because its UserPromptSubmit hook fired), waits again, merges, verifies and
 * marks the goal done. Both files are on the integration branch, `crewmux status --explain w01` lists busy and idle
 * decisions from source `hook` and none from the pane, and `crewmux status --json` shows the worker's source.
 * Before structured signals, the second turn was never delivered (no ready marker within 10 s) and the run timed out.
 * The same for a real Codex worker, whose turns come from its session rollout (task_started, task_complete) and its
 * notify program (agent-turn-complete). And for a real Gemini CLI worker over ACP (its pane runs crewmux's ACP pane
 * process, which sends its prompts and reports busy on each session/prompt and idle at its stopReason, source `acp`);
 * with its TUI instead (`"acp": {"gemini": false}`) the second turn is never delivered and the run times out; the same
 * for a real Qwen Code worker, over ACP by default since its usage is read from its ACP updates, and for a real OpenCode
 * worker, over ACP by default (before, config naming opencode was refused: it spoke no ACP), whose fs/write_text_file
 * after each allowed write crewmux serves in the worktree (before, "method not found"). Each is skipped when its
 * binary is missing. Seeded HOME
 * (test/helpers/agent-homes.ts), outbound traffic to a closed loopback proxy, as in test/helpers/real-agents.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { which } from '../../src/adapters/process/which.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { OFFLINE_ENV, seedUserHome } from '../helpers/agent-homes.js';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  fixtureAgent,
  git,
  ROOT,
  runCli,
  secureTestBase,
} from '../helpers/env.js';
import type { StepResult } from '../helpers/step-run.js';

const PATH = [join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter);
/** Seconds the run may take before crewmux ends it as timed out. */
const RUN_S = Number(process.env.CREWMUX_RUN_S ?? 150);

let fake: FakeModelServer;
before(async () => {
  fake = createFakeModelServer();
  await fake.listen();
});
after(async () => {
  await fake.close();
});

interface Explained {
  worker: string;
  state: string;
  decisions: { at: number; activity: string; source: string; evidence: string }[];
  /** The text form of `status --explain w01`. */
  text: string;
  /** The end of w01's pane log. */
  pane: string;
  /** The text of the files in the agent's log folder (`o.logs`, below HOME), when asked for. */
  logs: string;
}

/**
 * Runs the two-turn plan with `agent` as the worker, its pane markers nonsense; returns what `status --explain w01`
 * says after asserting the run, both files and the sources shown by list_workers and `status --json` (`sources`);
 * `o.config` is added to the repo's config, `o.runS` replaces RUN_S, `o.flips` (default 3) is the fewest changes of
 * activity the decisions must show, `o.logs` a folder below HOME whose files are returned as `logs`.
 */
async function twoTurns(
  agent: string,
  sources: string[],
  o: { config?: Record<string, unknown>; runS?: number; flips?: number; logs?: string } = {},
): Promise<Explained> {
  const runS = o.runS ?? RUN_S;
  const t = createTestEnv({ base: secureTestBase() });
  try {
    const plan = join(t.dir, 'plan.json');
    const out = join(t.dir, 'out.json');
    writeFileSync(
      plan,
      JSON.stringify([
        {
          call: 'spawn_worker',
          args: { task: 'Create file first.txt containing first turn', agent },
          save: 'a',
        },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        {
          call: 'send_to_worker',
          args: { worker_id: '$a', message: 'Create file second.txt containing second turn' },
        },
        { call: 'wait_for_worker', args: { worker_id: '$a' }, repeatWhile: 'Still running' },
        { call: 'list_workers', args: {} },
        { call: 'merge_worker', args: { worker_id: '$a' } },
        { call: 'verify', args: {}, repeatWhile: 'still running' },
        { call: 'mark_goal_done', args: { summary: 'two turns, told by hooks' } },
      ]),
    );
    const config = {
      verify: ['git status --short'],
      toolWait: 20,
      leadStartTimeout: runS,
      agents: { 'step-lead': fixtureAgent('step-lead', { env: { STEP_PLAN: plan, STEP_OUT: out } }) },
      ...o.config,
    };
    const repo = createRepo(t, {
      'README.md': '# test repo\n',
      '.crewmux/config.json': JSON.stringify(config, null, 2) + '\n',
    });
    const env = {
      PATH,
      ...OFFLINE_ENV,
      ...seedUserHome(agent, t.env.HOME!, fake.url),
      CREWMUX_TEST_PANE_MARKERS: agent,
    };
    const r = await runCli(
      t,
      repo,
      [
        'run',
        '--goal',
        `a real ${agent} worker told by its own signals`,
        '--lead',
        'step-lead',
        '--agents',
        agent,
        '--no-attach',
        '--wait',
        '--trust-repo-config',
        '--timeout',
        String(runS),
      ],
      { env, timeoutMs: (runS + 60) * 1000 },
    );
    const sessions = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
    const sid = existsSync(sessions) ? readdirSync(sessions)[0] : undefined;
    const workerDir = sid ? join(sessions, sid, 'workers', 'w01') : '';
    const tail = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').slice(-4000) : '(none)');
    const steps = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as StepResult[]) : [];
    const why = () =>
      `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}\n--- steps\n${JSON.stringify(
        steps.map((s) => [s.call, s.isError, s.text.slice(0, 300)]),
      )}\n--- w01 pane\n${tail(join(workerDir, 'pane.log'))}\n--- w01 signals\n${tail(
        join(workerDir, 'agent-signals.jsonl'),
      )}`;
    assert.equal(r.code, 0, why());
    const sent = steps.find((s) => s.call === 'send_to_worker');
    assert.equal(sent?.isError, false, `the second turn was typed and taken\n${why()}`);
    const integration = `crewmux/${sid}/integration`;
    assert.equal(git(repo, 'show', `${integration}:first.txt`), 'first turn', why());
    assert.equal(git(repo, 'show', `${integration}:second.txt`), 'second turn', why());

    // list_workers told the lead which source decided.
    const listed = steps.find((s) => s.call === 'list_workers')?.structured as
      { workers: { id: string; status: { activity: string; source: string } | null }[] } | undefined;
    assert.ok(sources.includes(listed?.workers[0]?.status?.source ?? ''), why());

    // status --explain: busy and idle decisions from the hooks, none from the (nonsense) pane markers.
    const ex = await runCli(t, repo, ['status', sid!, '--explain', 'w01', '--json'], { env });
    assert.equal(ex.code, 0, ex.stderr);
    const explained = JSON.parse(ex.stdout) as Explained;
    assert.deepEqual([...new Set(explained.decisions.map((d) => d.source))].sort(), [...sources].sort(), ex.stdout);
    // Two turns: busy, then idle, twice at least.
    const flips = explained.decisions.filter((d, i, all) => i > 0 && d.activity !== all[i - 1]!.activity);
    assert.ok(flips.length >= (o.flips ?? 3), ex.stdout);
    const text = await runCli(t, repo, ['status', sid!, '--explain', 'w01'], { env });
    assert.match(text.stdout, new RegExp(`^w01 \\(${agent}\\) is merged; its last \\d+ status decisions`, 'm'));

    const status = await runCli(t, repo, ['status', sid!, '--json'], { env });
    const view = JSON.parse(status.stdout) as { workers: { id: string; activity: { source: string } | null }[] };
    assert.ok(sources.includes(view.workers[0]?.activity?.source ?? ''), status.stdout);
    const logDir = o.logs ? join(t.env.HOME!, o.logs) : '';
    const logs =
      logDir && existsSync(logDir)
        ? readdirSync(logDir)
            .map((f) => readFileSync(join(logDir, f), 'utf8'))
            .join('\n')
        : '';
    return { ...explained, text: text.stdout, pane: tail(join(workerDir, 'pane.log')), logs };
  } finally {
    t.cleanup();
  }
}

test(
  "a real Claude Code worker's busy and idle states come from its hooks: nonsense pane markers change nothing",
  { skip: which('claude', PATH) ? false : 'claude not installed (npm install in the repo installs the pinned CLI)' },
  async () => {
    const x = await twoTurns('claude', ['hook']);
    const seen = x.decisions.map((d) => `${d.activity} ${d.evidence.split(' ')[0]}`);
    assert.ok(seen.includes('busy UserPromptSubmit') || seen.includes('busy PreToolUse'), x.text);
    assert.ok(seen.includes('idle Stop'), x.text);
    assert.match(x.text, /idle {5}hook {5}Stop/);
  },
);

test(
  "a real Codex worker's busy and idle states come from its rollout and notify: nonsense pane markers change nothing",
  { skip: which('codex', PATH) ? false : 'codex not installed (npm install in the repo installs the pinned CLI)' },
  async () => {
    const x = await twoTurns('codex', ['hook', 'rollout']);
    const seen = x.decisions.map((d) => `${d.activity} ${d.source} ${d.evidence}`);
    assert.ok(seen.includes('busy rollout task_started'), x.text);
    assert.ok(seen.includes('idle hook notify agent-turn-complete'), x.text);
  },
);

test(
  'a real Gemini CLI worker over ACP: its busy and idle states come from the ACP session, nonsense pane markers change nothing',
  { skip: which('gemini', PATH) ? false : 'gemini not installed (npm install in the repo installs the pinned CLI)' },
  async () => {
    const x = await twoTurns('gemini', ['acp']);
    const seen = x.decisions.map((d) => `${d.activity} ${d.source} ${d.evidence}`);
    assert.ok(seen.includes('busy acp session/prompt'), x.text);
    assert.ok(seen.includes('idle acp stopReason end_turn'), x.text);
    // Gemini asked over ACP before writing and before calling worker_done; crewmux's policy answered.
    assert.match(x.pane, /crewmux: allowed Writing to second\.txt \(inside the worktree\)/, x.pane);
  },
);

test(
  'a real Qwen Code worker over ACP (its default): busy and idle from the ACP session, nonsense pane markers change nothing',
  { skip: which('qwen', PATH) ? false : 'qwen not installed (npm install in the repo installs the pinned CLI)' },
  async () => {
    const x = await twoTurns('qwen', ['acp']);
    const seen = x.decisions.map((d) => `${d.activity} ${d.source} ${d.evidence}`);
    assert.ok(seen.includes('busy acp session/prompt'), x.text);
    assert.ok(seen.includes('idle acp stopReason end_turn'), x.text);
  },
);

test(
  'a real OpenCode worker over ACP (its default): busy and idle from the ACP session, nonsense pane markers change nothing; its fs/write_text_file served',
  {
    skip: which('opencode', PATH) ? false : 'opencode not installed (npm install in the repo installs the pinned CLI)',
  },
  async () => {
    // OpenCode 1.18.33 needed up to 2 minutes to its first model request on loaded cores (real-agents-run-opencode.test.ts).
    // Two full turns: the second turn's closing answer (its end_turn) lands within the closing grace a done worker gets
    // (app/workers/closing-answer.ts); before that grace the session's end cut it on loaded cores.
    const x = await twoTurns('opencode', ['acp'], { runS: RUN_S * 2, logs: '.local/share/opencode/log' });
    const seen = x.decisions.map((d) => `${d.activity} ${d.source} ${d.evidence}`);
    assert.ok(seen.includes('busy acp session/prompt'), x.text);
    assert.ok(seen.includes('idle acp stopReason end_turn'), x.text);
    assert.ok(seen.filter((s) => s === 'idle acp stopReason end_turn').length >= 2, `both turns ended\n${x.text}`);
    // OpenCode asked over ACP before writing (its permission set to ask); crewmux's policy answered.
    assert.match(x.pane, /crewmux: allowed .*second\.txt.* \(inside the worktree\)/, x.pane);
    // Then it sent the write to crewmux too (fs/write_text_file), which crewmux served in the worktree: before, it
    // answered "method not found" and OpenCode logged the error.
    assert.match(
      x.pane,
      /crewmux: (wrote second\.txt for the agent|second\.txt already held what the agent wrote)/,
      x.pane,
    );
    assert.ok(x.logs.length > 0, 'OpenCode wrote its log below HOME');
    assert.doesNotMatch(x.pane + x.logs, /does not serve fs\/|method not found/i, x.logs.slice(-4000));
  },
);
