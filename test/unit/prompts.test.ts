import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildLeadPrompt, buildWorkerPrompt } from '../../src/core/workers/prompts.js';
import { perspectiveInfo } from '../../src/core/workers/perspectives.js';

test('the lead prompt ends with the goal, after the project context', () => {
  const p = buildLeadPrompt({
    sessionId: 's1',
    goal: 'Ship it',
    agents: ['a'],
    maxWorkers: 2,
    projectContext: [{ name: 'PROJECT.md', text: 'ctx' }],
    tools: [],
  });
  assert.ok(p.indexOf('## Project context: PROJECT.md') < p.indexOf('## Goal'));
  assert.ok(p.trimEnd().endsWith('Ship it'));
  assert.match(p, /do not write code yourself/);
});

test("the lead's context is never cut for optional blocks; blocks over the budget are left out", () => {
  const context = 'L'.repeat(50_000);
  const r = buildWorkerPrompt({
    workerId: 'w01',
    branch: 'b',
    perspective: perspectiveInfo('reviewer'),
    task: 'T',
    extraContext: context,
    optional: [
      { title: 'Skill: big', text: 'x'.repeat(5000) },
      { title: 'Skill: small', text: 'tiny' },
    ],
    optionalBudget: 1000,
    nonce: 'n',
    doneFile: '/d',
  });
  assert.ok(r.text.includes(context));
  assert.deepEqual(r.included, ['Skill: small']);
  assert.match(r.text, /read-only perspective/);
  assert.ok(r.text.indexOf('## Skill: small') < r.text.indexOf('## Context from the lead'));
  assert.ok(r.text.indexOf('## Task') < r.text.indexOf('## When you finish'));
});
