/**
 * The API lead with the real worker CLIs (issue 18): `crewmux run --lead api:anthropic/...` runs crewmux's own lead
 * loop in pane 0 against the fake model server's Anthropic wire, and its two workers are the pinned Claude Code and
 * Codex binaries, each in its own seeded HOME, talking to the same fake server (Anthropic Messages and OpenAI
 * Responses). The fake plays the API lead from crewmux's real lead prompt (one spawn per `AGENT: Create file` line,
 * wait, merge each, verify, mark_goal_done) and each worker from its real worker prompt (write the file with the
 * CLI's own tool, worker_done). Both files on the integration branch prove the whole path ran. Skipped when a binary
 * is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { which } from '../../src/adapters/process/which.js';
import { useFakeModel } from '../helpers/fake-model.js';
import { OFFLINE_ENV, seedUserHome } from '../helpers/agent-homes.js';
import {
  createRepo,
  createTestEnv,
  diagnostics,
  git,
  headlessRunArgs,
  runCli,
  secureTestBase,
} from '../helpers/env.js';

const { fake, path: PATH, runS: RUN_S } = useFakeModel();
const missing = ['claude', 'codex'].filter((b) => !which(b, PATH));

test(
  'an API lead runs a real Claude Code worker and a real Codex worker to done',
  { skip: missing.length ? `${missing.join(', ')} not installed (npm install installs the pinned CLIs)` : false },
  async () => {
    const t = createTestEnv({ base: secureTestBase() });
    try {
      const repo = createRepo(t, {
        'README.md': '# test repo\n',
        '.crewmux/config.json':
          JSON.stringify({ verify: ['git status --short'], toolWait: 20, leadStartTimeout: RUN_S }, null, 2) + '\n',
      });
      const home = t.env.HOME!;
      // Claude's seed is ANTHROPIC_BASE_URL and a key: the API lead's anthropic provider takes the same two.
      const env = {
        PATH,
        ...OFFLINE_ENV,
        ...seedUserHome('claude', home, fake.url),
        ...seedUserHome('codex', home, fake.url),
      };
      const goal =
        'Two files, one per agent.\n- claude: Create file from-claude.txt containing written by claude\n' +
        '- codex: Create file from-codex.txt containing written by codex\n';
      const first = fake.requests.length;
      const lead = 'api:anthropic/claude-fake-lead';
      const r = await runCli(t, repo, headlessRunArgs(goal, { lead, agents: ['claude', 'codex'], timeoutS: RUN_S }), {
        env,
        timeoutMs: (RUN_S + 60) * 1000,
      });
      const why = () => `exit ${r.code}\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`;
      assert.equal(r.code, 0, why());
      const view = JSON.parse((await runCli(t, repo, ['status', '--json'], { env })).stdout) as {
        session: { id: string; status: string; lead: string };
        workers: { id: string; agent: string; state: string }[];
      };
      assert.equal(view.session.status, 'done', why());
      assert.equal(view.session.lead, lead);
      assert.deepEqual(
        view.workers.map((w) => [w.agent, w.state]).sort(),
        [
          ['claude', 'merged'],
          ['codex', 'merged'],
        ],
        why(),
      );
      const integration = `crewmux/${view.session.id}/integration`;
      assert.equal(git(repo, 'show', `${integration}:from-claude.txt`), 'written by claude', why());
      assert.equal(git(repo, 'show', `${integration}:from-codex.txt`), 'written by codex', why());
      const served = fake.requests.slice(first);
      assert.ok(
        served.filter((q) => q.role === 'lead').every((q) => q.protocol === 'anthropic'),
        'the API lead spoke Anthropic Messages',
      );
      const workerProtocols = new Set(served.filter((q) => /^w\d+$/.test(q.role)).map((q) => q.protocol));
      assert.deepEqual(
        [...workerProtocols].sort(),
        ['anthropic', 'responses'],
        'Claude and Codex each called the fake',
      );
    } finally {
      t.cleanup();
    }
  },
);
