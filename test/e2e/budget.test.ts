/**
 * A token budget stops a run (README#budgets), through the built bin/crewmux.js: a scripted worker records a
 * Claude-style model call in its CLAUDE_CONFIG_DIR transcript (the real collector reads it), writes a file and holds
 * its turn open; the run's --budget-tokens is smaller, so the run tells the worker to finish its turn, its work is
 * committed, the run ends `budget` with exit 2, and resuming at the same budget is refused; `crewmux manual` (one
 * worker, no lead) takes the same flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRepo, createTestEnv, diagnostics, git, runCli } from '../helpers/env.js';

const plan = {
  workers: [
    {
      perspective: 'implementer',
      agent: 'scripted-worker',
      task:
        'Start the half-done module.\n```file:src/half.mjs\nexport const half = (n) => n / 2;\n```\n' +
        '```usage\n{"input": 3000, "output": 2000, "model": "claude-sonnet-4-5"}\n```\n```hold\n```\n',
    },
  ],
};

test('a run over its --budget-tokens ends budget with exit 2, the worker told to finish and its work committed', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const goal = `Write half.\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`\n`;
    const r = await runCli(t, repo, [
      'run',
      '--goal',
      goal,
      '--lead',
      'scripted-lead',
      '--agents',
      'scripted-worker',
      '--no-attach',
      '--wait',
      '--budget-tokens',
      '4000',
      '--timeout',
      '120',
    ]);
    assert.equal(r.code, 2, `run did not end at its budget:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /budget\.exceeded\s+budget exceeded: goal 5\.0k tokens of 4\.0k tokens \(125%\)/);
    assert.match(r.stdout, /session\.budget/);
    assert.match(r.stderr, /session s[0-9a-z]+ budget: the run reached its budget: goal 5\.0k tokens of 4\.0k tokens/);

    const status = await runCli(t, repo, ['status', '--json']);
    const view = JSON.parse(status.stdout);
    const sid = view.session.id as string;
    assert.equal(view.session.status, 'budget');
    assert.equal(view.budget.line, 'budget: goal 5.0k tokens of 4.0k tokens (125%)');
    assert.equal(view.workers[0].usage.tokens, 5000, 'the tokens come from the transcript the worker wrote');
    // The worker was told to finish its turn (a crewmux message) and its uncommitted file was committed.
    assert.equal(git(repo, 'show', `crewmux/${sid}/w01-implementer:src/half.mjs`), 'export const half = (n) => n / 2;');
    assert.match(
      git(repo, 'log', '--format=%s', `crewmux/${sid}/w01-implementer`),
      /crewmux: snapshot of w01 leftover work/,
    );
    const usage = await runCli(t, repo, ['usage', sid]);
    assert.match(usage.stdout, /^budget: goal 5\.0k tokens of 4\.0k tokens \(125%\)$/m);

    // Resumed at the same budget it would stop again at once: refused with the flag to raise it.
    const again = await runCli(t, repo, ['resume', sid, '--no-attach', '--no-wait']);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /E_BUDGET_EXCEEDED/);
    assert.match(again.stderr, /--budget-tokens N/);
  } finally {
    t.cleanup();
  }
});

test('crewmux manual takes the same --budget-tokens: its one worker over it ends budget with exit 2, its work committed', async () => {
  const t = createTestEnv();
  try {
    const repo = createRepo(t);
    const r = await runCli(t, repo, [
      'manual',
      '--task',
      plan.workers[0]!.task,
      '--agent',
      'scripted-worker',
      '--no-attach',
      '--wait',
      '--budget-tokens',
      '4000',
      '--timeout',
      '120',
    ]);
    assert.equal(r.code, 2, `manual did not end at its budget:\n${r.stdout}\n${r.stderr}\n${diagnostics(t)}`);
    assert.match(r.stdout, /budget\.exceeded\s+budget exceeded: goal 5\.0k tokens of 4\.0k tokens \(125%\)/);
    const view = JSON.parse((await runCli(t, repo, ['status', '--json'])).stdout);
    assert.equal(view.session.status, 'budget');
    assert.equal(
      git(repo, 'show', `crewmux/${view.session.id}/w01-implementer:src/half.mjs`),
      'export const half = (n) => n / 2;',
    );
  } finally {
    t.cleanup();
  }
});
