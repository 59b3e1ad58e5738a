/**
 * The API lead across a crash (issue 18): the supervisor is SIGKILLed while the lead waits on a worker; the
 * lead stops when its tool server is gone, the worker finishes while crewmux is down, and `crewmux resume`
 * relaunches the lead on the same conversation (the fake model sees the earlier messages, the interrupted
 * call answered as such, and the resume note), which then merges, verifies and ends the goal done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useFakeModel } from '../helpers/fake-model.js';
import { createTestEnv, diagnostics, eventually, git, runCli } from '../helpers/env.js';
import { startGatedRun } from '../helpers/gated-run.js';
import { RESUME_NOTE } from '../../src/core/api-lead/system-prompt.js';
import { signalPid } from '../helpers/wait.js';

const { fake } = useFakeModel({ server: { keepBodies: true } });

const NO_KEYS = Object.fromEntries(
  ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GROQ_API_KEY', 'CEREBRAS_API_KEY', 'OPENROUTER_API_KEY'].map((k) => [k, '']),
);

test('SIGKILL of the supervisor mid-run, then resume: the API lead continues the same conversation to done', async () => {
  const t = createTestEnv();
  try {
    const env = { ...NO_KEYS, ANTHROPIC_API_KEY: 'fake-key', ANTHROPIC_BASE_URL: fake.url };
    const { repo, gate, sid, view } = await startGatedRun(t, {
      lead: 'api:anthropic/claude-fake-lead',
      env,
      timeoutS: 150,
    });
    const lead = () => fake.requests.filter((q) => q.role === 'lead');
    await eventually(
      'the lead waits on a running worker',
      async () =>
        (await view()).workers[0]?.state === 'running' &&
        lead().some((q) => q.decision.kind === 'tool' && q.decision.tool.name === 'wait_for_worker'),
      60_000,
    );
    const before = await view();
    signalPid(before.session.supervisorPid, 'SIGKILL');
    writeFileSync(gate, '');
    await eventually(
      'the worker finishes while crewmux is down',
      () => existsSync(join(before.workers[0]!.worktree, '.crewmux', 'done.flag')),
      60_000,
    );
    const killedAt = fake.requests.length;
    const resumed = await runCli(t, repo, ['resume', sid, '--no-attach', '--wait'], { env, timeoutMs: 150_000 });
    const why = () => `exit ${resumed.code}\n${resumed.stdout}\n${resumed.stderr}\n${diagnostics(t)}`;
    assert.equal(resumed.code, 0, why());
    assert.equal((await view()).session.status, 'done', why());
    assert.equal(git(repo, 'show', `crewmux/${sid}/integration:gated.txt`).trim().length > 0, true, why());
    // The first lead request after the resume carries the earlier conversation, then the note.
    const next = fake.requests.slice(killedAt).find((q) => q.role === 'lead');
    assert.ok(next, why());
    const body = JSON.stringify(next.body);
    assert.ok(body.includes('Started worker w01'), body.slice(0, 3000));
    assert.ok(body.includes(JSON.stringify(RESUME_NOTE).slice(1, -1)), body.slice(-3000));
    assert.ok(body.indexOf('Started worker w01') < body.indexOf('crewmux restarted the session'));
  } finally {
    t.cleanup();
  }
});
