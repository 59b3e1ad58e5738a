/**
 * The real-agent e2e runs, shared by test/e2e/real-agents-run-*.test.ts (each file names the CLIs it runs, so the
 * e2e tier's two slots share the long runs): the pinned real agent CLIs through the real
 * `crewmux run --no-attach --wait` (built bin/crewmux.js, private tmux socket, real git, crewmux's own MCP server),
 * each talking to the scripted fake model server on loopback:
 * - as LEAD: the CLI leads and the same CLI works (spawn_worker, wait_for_worker, merge_worker,
 *   verify, mark_goal_done, all decided by the fake model from crewmux's real lead prompt);
 * - as WORKER: the scripted lead follows a JSON plan in the goal, and the CLI writes the file with its
 *   own file tool and calls worker_done (over ACP, driven by crewmux's ACP pane process, for the CLIs whose workers
 *   speak it by default: Gemini CLI, Qwen Code, OpenCode);
 * - mixed: a Claude Code lead with a Codex worker and a Gemini worker.
 * The fake model plays a lead that ends its turn when crewmux's tools are missing from its request (no
 * waiting for MCP servers): a lead run passes only if crewmux typed the goal after the lead's MCP client
 * listed crewmux's tools (issue 14, "the lead never starts blind").
 * A run that ends done proves no dialog blocked any pane. A CLI whose binary is missing is skipped.
 * Each run gets its own HOME, seeded like a user's (agent-homes.ts); outbound traffic
 * goes to a closed loopback proxy. CREWMUX_AGENTS=claude,codex limits the CLIs; CREWMUX_RUN_S sets the
 * per-run --timeout (default 150); CREWMUX_RUN_VERBOSE=1 prints each run's progress lines.
 * A file's runs go one at a time (node:test runs a file's tests in sequence); the e2e tier runs two files at once on
 * its 2 shared cores, which the slow CLIs' longer time limits (runSeconds) allow for. CREWMUX_AGENT_BIN_DIR puts
 * other binaries first on PATH (scripts/canary.mjs: each CLI's latest release).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { which } from '../../src/adapters/process/which.js';
import { findAgent } from '../../src/core/agents/registry.js';
import type { FakeModelServer, RecordedRequest } from '../fakes/fake-model-server.js';
import type { SessionUsageView } from '../../src/app/usage/views.js';
import { BLIND_LEAD_TEXT } from '../fakes/fake-model/policy.js';
import { OFFLINE_ENV, seedUserHome } from './agent-homes.js';
import { createRepo, createTestEnv, diagnostics, git, headlessRunArgs, runCli, secureTestBase } from './env.js';
import type { TestEnv } from './env.js';
import { useFakeModel, type FakeModelSetup } from './fake-model.js';

const ONLY = process.env.CREWMUX_AGENTS?.split(',');
/** What one file's runs share: the fake model server, PATH and the run time limit. */
type Runs = FakeModelSetup;
/**
 * Kilo Code 7.7.7 needed 1.5 to 3 minutes from launch to listing crewmux's tools on 2 cores at load average 11
 * (a fresh HOME per run: its first-run set-up each time), so runs with it get four times the time. OpenCode
 * 1.18.33 needed 1m40 to 2m from launch to its first model request at load average 15 (with or without crewmux
 * reading its database), so runs with it get twice the time.
 */
const runSeconds = (r: Runs, agents: string[]) =>
  agents.includes('kilocode') ? r.runS * 4 : agents.includes('opencode') ? r.runS * 2 : r.runS;
// Gemini CLI and Qwen Code skip a system settings file below a world-writable directory (/tmp), and
// crewmux writes them under its data dir; so these runs live under the repo's ignored test-artifacts/.
const BASE = secureTestBase();

const binaryOf = (r: Runs, agent: string) =>
  findAgent(agent)
    ?.binaries.map((b) => which(b, r.path))
    .find(Boolean);
const missing = (r: Runs, agents: string[]) => {
  const gone = agents.filter((a) => !binaryOf(r, a));
  return gone.length ? `${gone.join(', ')} not installed (npm install in the repo installs the pinned CLIs)` : false;
};

/** Tails of every pane log and supervisor log of the runs under `t`, for failure messages. */
function paneLogs(t: TestEnv): string {
  const dir = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
  if (!existsSync(dir)) return '';
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('pane.log') && !f.endsWith(join('lead', 'pane.log')))
      .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-2500)}`)
      .join('\n');
  } catch (e) {
    // An agent's lock file may come and go while the tree is walked; the logs are a diagnostic only.
    return `(pane logs unreadable: ${(e as Error).message})`;
  }
}

/** Worker `id`'s pane log in the run `o`, or '' when there is none. */
function workerPane(o: Outcome, id: string): string {
  const f = join(o.t.env.CREWMUX_DATA_DIR!, 'sessions', o.sid, 'workers', id, 'pane.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/**
 * An agent whose workers speak ACP by default (its registry entry) ran its worker `id` over ACP: the pane shows
 * crewmux's ACP pane process, which named the agent's ACP session.
 */
function assertAcpWorker(o: Outcome, id: string, agent: string): void {
  if (!findAgent(agent)?.acp?.workers) return;
  const pane = workerPane(o, id);
  assert.match(pane, /crewmux: .* over ACP; crewmux's MCP server/, `${id} (${agent}) over ACP:\n${pane.slice(-4000)}`);
}

/** deepEqual whose failure message (`why`, costly: it reads every log) is built only on failure. */
function same(actual: unknown, expected: unknown, why: () => string): void {
  if (!isDeepStrictEqual(actual, expected)) assert.deepEqual(actual, expected, why());
}

interface Outcome {
  t: TestEnv;
  repo: string;
  sid: string;
  code: number | null;
  view: {
    session: { id: string; status: string; lead: string; reason: string | null };
    workers: { id: string; agent: string; state: string; branch: string }[];
    report: { verifies: { passed: boolean }[] } | null;
  };
  /** `crewmux usage --json` after the run. */
  usage: SessionUsageView;
  /** What the fake model answered during this run. */
  served: RecordedRequest[];
  ms: number;
  why: () => string;
}

/** One goal through `crewmux run --no-attach --wait` with `lead` and worker `agents`, HOME seeded for all of them; the caller cleans up `t`. */
async function runGoal(runs: Runs, lead: string, agents: string[], goal: string): Promise<Outcome> {
  const { fake } = runs;
  const runS = runSeconds(runs, [lead, ...agents]);
  const t = createTestEnv({ base: BASE });
  const repo = createRepo(t, {
    'README.md': '# test repo\n',
    // toolWait 20: wait_for_worker and verify answer "still running" well inside every CLI's tool timeout.
    // leadStartTimeout: a CLI slow to start on a loaded machine (OpenCode's first run in a fresh HOME drew
    // nothing for over 2 minutes) gets the run's time, not the default 120 s.
    '.crewmux/config.json':
      JSON.stringify({ verify: ['git status --short'], toolWait: 20, leadStartTimeout: runS }, null, 2) + '\n',
  });
  const home = t.env.HOME!;
  const users = [...new Set([lead, ...agents])].reduce<Record<string, string>>(
    (env, a) => ({ ...env, ...seedUserHome(a, home, fake.url) }),
    {},
  );
  const env = { PATH: runs.path, ...OFFLINE_ENV, ...users };
  const started = Date.now();
  const firstRequest = fake.requests.length;
  const r = await runCli(t, repo, headlessRunArgs(goal, { lead, agents, timeoutS: runS }), {
    env,
    timeoutMs: (runS + 60) * 1000,
  });
  const ms = Date.now() - started;
  if (process.env.CREWMUX_RUN_VERBOSE === '1')
    process.stderr.write(
      `--- crewmux run (lead ${lead}, workers ${agents.join(',')}), ${ms} ms\n${r.stdout}${r.stderr}`,
    );
  const why = () => `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}\n${paneLogs(t)}`;
  const status = await runCli(t, repo, ['status', '--json'], { env });
  if (status.code !== 0) {
    const message = `status failed: ${status.stderr}\n${why()}`;
    t.cleanup();
    assert.fail(message);
  }
  const view = JSON.parse(status.stdout) as Outcome['view'];
  const usage = await runCli(t, repo, ['usage', view.session.id, '--json'], { env });
  if (usage.code !== 0) {
    const message = `usage failed: ${usage.stderr}\n${why()}`;
    t.cleanup();
    assert.fail(message);
  }
  const served = fake.requests.slice(firstRequest);
  return {
    t,
    repo,
    sid: view.session.id,
    code: r.code,
    view,
    usage: JSON.parse(usage.stdout) as SessionUsageView,
    served,
    ms,
    why,
  };
}

/** The common checks: exit 0, session done, workers merged with their files on branch and integration. */
function assertDone(o: Outcome, files: { worker: string; agent: string; file: string; content: string }[]): void {
  same(o.code, 0, () => `run did not exit 0:\n${o.why()}`);
  same(o.view.session.status, 'done', o.why);
  same(
    o.view.workers.map((w) => [w.id, w.agent, w.state]),
    files.map((f) => [f.worker, f.agent, 'merged']),
    o.why,
  );
  const integration = `crewmux/${o.sid}/integration`;
  for (const f of files) {
    const branch = o.view.workers.find((w) => w.id === f.worker)!.branch;
    assert.equal(git(o.repo, 'show', `${branch}:${f.file}`), f.content, `${f.file} on ${branch}`);
    assert.equal(git(o.repo, 'show', `${integration}:${f.file}`), f.content, `${f.file} on ${integration}`);
  }
  assert.deepEqual(
    git(o.repo, 'ls-tree', '-r', '--name-only', integration).split('\n').sort(),
    ['.crewmux/config.json', 'README.md', ...files.map((f) => f.file)].sort(),
  );
  assert.equal(
    git(o.repo, 'rev-list', '--merges', '--count', integration),
    String(files.length),
    'one merge commit per worker',
  );
  assert.ok(o.view.report?.verifies.length && o.view.report.verifies.at(-1)!.passed, 'the last verify passed');
  // The user's checkout is untouched.
  assert.equal(git(o.repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  // Besides the session's episode (.crewmux/memory/episodes/, untracked) the checkout is clean.
  assert.equal(git(o.repo, 'status', '--porcelain'), '?? .crewmux/memory/');
}

/** Agents whose usage crewmux must read from their own files (their registry entry's usage.source). */
const readsUsage = (agent: string) =>
  ['claude', 'codex', 'gemini', 'qwen', 'opencode', 'kilocode', 'copilot'].includes(agent);

/**
 * Usage per worker (and the lead), read by crewmux from the agents' own files: non-zero, from the models the
 * fake served that worker, and exactly the calls and tokens the fake served it (side requests such as titles
 * are not in an agent's transcript and are not attributed to a worker by the fake, so they are left out);
 * the lead's, no more than it was served.
 */
function assertUsage(o: Outcome, who: Record<string, string>): void {
  for (const [id, agent] of Object.entries(who)) {
    if (!readsUsage(agent)) continue;
    const got = o.usage.workers[id];
    const mine = o.served.filter((r) => r.role === id);
    const served = mine.reduce((a, r) => ({ input: a.input + r.usage.input, output: a.output + r.usage.output }), {
      input: 0,
      output: 0,
    });
    const detail = () =>
      `${id} (${agent}): crewmux recorded ${JSON.stringify(got)}; the fake served ${mine.length} call(s) ${JSON.stringify(served)}\n${o.why()}`;
    if (process.env.CREWMUX_RUN_VERBOSE === '1') process.stderr.write(`usage ${detail().split('\n')[0]}\n`);
    assert.ok(got && got.total > 0 && got.output > 0 && got.calls > 0, `no usage recorded for ${detail()}`);
    assert.equal(got.agent, agent);
    const models = new Set(mine.map((r) => r.usage.model));
    assert.ok(
      Object.keys(o.usage.models).some((m) => models.has(m)),
      `recorded models ${Object.keys(o.usage.models).join(', ')} vs served ${[...models].join(', ')}: ${detail()}`,
    );
    if (id !== 'lead') {
      // Every call must be in its transcript, exactly: the closing answer after worker_done too (the session's end
      // gives a worker that reported done a grace to finish it: app/workers/closing-answer.ts).
      same([got.calls, got.input, got.output], [mine.length, served.input, served.output], detail);
    }
    // A done lead is not stopped: its last answer may reach its transcript after the final read.
    else assert.ok(got.input <= served.input && got.output <= served.output, `more than was served: ${detail()}`);
  }
}

/** Fake-model decisions that called crewmux tool `tool` (`crewmux_x`, `crewmux-x`, ...), directly or through Qwen's `tool_call` proxy. */
function modelCalled(fake: FakeModelServer, tool: string): number {
  const named = (n: unknown) => typeof n === 'string' && new RegExp(`(^|[_-])${tool}$`).test(n);
  return fake.requests.filter(
    (r) =>
      r.decision.kind === 'tool' &&
      (named(r.decision.tool.name) || (r.decision.tool.name === 'tool_call' && named(r.decision.args.name))),
  ).length;
}

/** Lead turns the fake model ended because crewmux's tools were missing from the request. */
function blindTurns(fake: FakeModelServer): number {
  return fake.requests.filter((r) => r.decision.kind === 'text' && r.decision.text === BLIND_LEAD_TEXT).length;
}

/**
 * Declares the real-agent runs of `agents` (each as worker and as lead, those CREWMUX_AGENTS leaves in) and, with
 * `mixed`, the Claude Code lead with Codex and Gemini workers, on one fake model server for the calling file; the
 * file prints its runs' timings at the end. Call it once, at the top level of a test file.
 */
export function realAgentRuns(agents: string[], opts: { mixed?: boolean } = {}): void {
  const runs = useFakeModel({ server: { blindLead: 'end-turn' } });
  const timings: string[] = [];
  after(() => {
    if (!timings.length) return;
    process.stdout.write(
      `# real-agents-run timings:\n${timings.map((l) => `#   ${l}`).join('\n')}\n#   blind lead turns: ${blindTurns(runs.fake)}\n`,
    );
  });
  for (const agent of agents.filter((a) => !ONLY || ONLY.includes(a))) {
    describe(`real ${agent} through crewmux run`, () => {
      test(
        `${agent} as worker: the scripted lead's plan, the file written by ${agent}'s own tool, worker_done, merge, verify, done`,
        { skip: missing(runs, [agent]), timeout: (runSeconds(runs, [agent]) + 90) * 1000 },
        async () => {
          const file = `worker-${agent}.txt`;
          const content = `hello from ${agent}`;
          const plan = {
            workers: [{ task: `Create file ${file} containing ${content}`, agent }],
            verify: ['git status --short'],
          };
          const o = await runGoal(
            runs,
            'scripted-lead',
            [agent],
            `One file by a real ${agent} worker.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`,
          );
          try {
            timings.push(`${agent} worker: ${(o.ms / 1000).toFixed(1)} s`);
            assertDone(o, [{ worker: 'w01', agent, file, content }]);
            assert.equal(o.view.session.lead, 'scripted-lead');
            assertAcpWorker(o, 'w01', agent);
            assertUsage(o, { w01: agent });
          } finally {
            o.t.cleanup();
          }
        },
      );

      test(
        `${agent} as lead (and its worker): the goal arrives after crewmux's tools are listed; spawn_worker, wait_for_worker, merge_worker, verify, mark_goal_done`,
        { skip: missing(runs, [agent]), timeout: (runSeconds(runs, [agent]) + 90) * 1000 },
        async () => {
          const file = `lead-${agent}.txt`;
          const content = `written for a ${agent} lead`;
          const before = modelCalled(runs.fake, 'mark_goal_done');
          const blindBefore = blindTurns(runs.fake);
          const o = await runGoal(runs, agent, [agent], `Create file ${file} containing ${content}`);
          try {
            timings.push(`${agent} lead: ${(o.ms / 1000).toFixed(1)} s`);
            same(
              blindTurns(runs.fake) - blindBefore,
              0,
              () => `the lead's model saw the goal without crewmux's tools:\n${o.why()}`,
            );
            assertDone(o, [{ worker: 'w01', agent, file, content }]);
            assert.equal(o.view.session.lead, agent);
            assertAcpWorker(o, 'w01', agent);
            assertUsage(o, { lead: agent, w01: agent });
            assert.ok(
              modelCalled(runs.fake, 'mark_goal_done') > before,
              'the lead CLI called mark_goal_done as the model told it',
            );
          } finally {
            o.t.cleanup();
          }
        },
      );
    });
  }
  if (opts.mixed) mixedRun(runs, timings);
}

/** The mixed run: a Claude Code lead with a Codex worker and a Gemini worker (needs all three CLIs). */
function mixedRun(runs: Runs, timings: string[]): void {
  describe('mixed real agents through crewmux run', () => {
    const agents = ['claude', 'codex', 'gemini'];
    const skip =
      ONLY && !agents.every((a) => ONLY.includes(a))
        ? 'CREWMUX_AGENTS leaves out claude, codex or gemini'
        : missing(runs, agents);
    test(
      'a Claude Code lead with a Codex worker and a Gemini worker',
      { skip, timeout: (runs.runS + 90) * 1000 },
      async () => {
        const goal = [
          'Two files, one per worker.',
          '- codex: Create file mixed-codex.txt containing hello from codex',
          '- gemini: Create file mixed-gemini.txt containing hello from gemini',
        ].join('\n');
        const o = await runGoal(runs, 'claude', ['codex', 'gemini'], goal);
        try {
          timings.push(`mixed claude lead + codex, gemini workers: ${(o.ms / 1000).toFixed(1)} s`);
          assertDone(o, [
            { worker: 'w01', agent: 'codex', file: 'mixed-codex.txt', content: 'hello from codex' },
            { worker: 'w02', agent: 'gemini', file: 'mixed-gemini.txt', content: 'hello from gemini' },
          ]);
          assert.equal(o.view.session.lead, 'claude');
        } finally {
          o.t.cleanup();
        }
      },
    );
  });
}
