/** Budget arithmetic (core/usage/budget.ts): limits from config and flags, readings, levels, what cannot be enforced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atLeast, budgetLimits, budgetLine, readBudgets } from '../../src/core/usage/budget.js';
import { rowGroup, summarizeUsage, type UsageRow } from '../../src/core/usage/summary.js';
import { ConfigSchema, describeConfigError } from '../../src/core/session/config-schema.js';

const row = (worker: string, input: number, output: number, costUsd: number | null): UsageRow => ({
  session: 's1',
  worker,
  agent: worker === 'lead' ? 'claude' : 'codex',
  model: costUsd === null ? 'mystery' : 'claude-sonnet-4-5',
  input,
  output,
  cacheRead: 0,
  cacheWrite: 0,
  reasoning: 0,
  costUsd,
  bucket: 'api',
  source: 'session-files',
  approximate: false,
  ts: 0,
});
const summary = (rows: UsageRow[]) => summarizeUsage(rows.map(rowGroup));

test('flags win over the config for the goal budgets; no budget at all is undefined', () => {
  assert.equal(budgetLimits(undefined), undefined);
  assert.equal(budgetLimits({}, {}), undefined);
  assert.deepEqual(budgetLimits({ goalUsd: 5, workerTokens: 1000 }, { tokens: 4000 }), {
    goalUsd: 5,
    workerTokens: 1000,
    goalTokens: 4000,
  });
  assert.deepEqual(budgetLimits({ goalUsd: 5 }, { usd: 2 }), { goalUsd: 2 });
});

test('levels: below 80 % ok, from 80 % warning, from 100 % exceeded; the lead counts toward the goal only', () => {
  const s = summary([row('lead', 500, 0, 0.001), row('w01', 250, 0, 0.001)]);
  const at = (goalTokens: number) => readBudgets({ goalTokens, workerTokens: 300 }, s).readings;
  assert.equal(at(1000)[0]!.level, 'ok'); // 750 of 1000
  assert.equal(at(900)[0]!.level, 'warning'); // 750 of 900 = 83 %
  assert.equal(at(750)[0]!.level, 'exceeded');
  const r = at(1000);
  assert.deepEqual(
    r.map((x) => [x.key, x.used, x.level]),
    [
      ['goal:tokens', 750, 'ok'],
      ['worker:w01:tokens', 250, 'warning'],
    ],
    'no worker reading for the lead',
  );
  assert.deepEqual(
    atLeast(at(750), 'exceeded').map((x) => x.key),
    ['goal:tokens'],
  );
  assert.deepEqual(
    atLeast(at(750), 'warning').map((x) => x.key),
    ['goal:tokens', 'worker:w01:tokens'],
  );
});

test('an unpriced worker has no USD reading (it is not free) and says so; the goal USD is a lower bound', () => {
  const s = summary([row('w01', 100, 10, 0.5), row('w02', 100, 10, null)]);
  const st = readBudgets({ goalUsd: 1, workerUsd: 0.4, workerTokens: 1000 }, s);
  assert.deepEqual(
    st.readings.map((x) => [x.key, x.used, x.level, x.lowerBound ?? false]),
    [
      ['goal:usd', 0.5, 'ok', true],
      ['worker:w01:usd', 0.5, 'exceeded', false],
      ['worker:w01:tokens', 110, 'ok', false],
      ['worker:w02:tokens', 110, 'ok', false],
    ],
  );
  assert.deepEqual(st.unenforceable, [
    'the USD budget cannot be enforced for w02 (codex): its model has no price; its token budget is',
  ]);
  assert.equal(
    budgetLine({ goalUsd: 1, workerUsd: 0.4, workerTokens: 1000 }, st),
    'budget: goal >= $0.5000 of $1.00 (50%); w01 $0.5000 of $0.4000 (125%); limits $0.4000 per worker, 1.0k tokens per worker (the USD budget cannot be enforced for w02 (codex): its model has no price; its token budget is)',
  );
});

test('quota: the highest window reading against quotaPercent; no reading, no quota budget yet', () => {
  const s = summary([]);
  assert.deepEqual(readBudgets({ quotaPercent: 90 }, s).readings, []);
  const q = readBudgets({ quotaPercent: 90 }, s, 85).readings[0]!;
  assert.equal(q.key, 'goal:quota');
  assert.equal(q.level, 'warning');
  assert.equal(
    budgetLine({ quotaPercent: 90 }, { readings: [q], unenforceable: [] }),
    'budget: goal quota 85% of 90% (94%)',
  );
});

test('budgetLine: the goal "$x of $y (z%)"; none without a budget', () => {
  const s = summary([row('w01', 1000, 0, 0.42)]);
  assert.equal(budgetLine(undefined, readBudgets(undefined, s)), undefined);
  assert.equal(budgetLine({ goalUsd: 1 }, readBudgets({ goalUsd: 1 }, s)), 'budget: goal $0.4200 of $1.00 (42%)');
  assert.equal(
    budgetLine({ goalTokens: 4000 }, readBudgets({ goalTokens: 4000 }, s)),
    'budget: goal 1.0k tokens of 4.0k tokens (25%)',
  );
});

test('config "budget" is validated with the key named', () => {
  assert.deepEqual(ConfigSchema.parse({ budget: { goalUsd: 5, workerTokens: 20000, quotaPercent: 90 } }).budget, {
    goalUsd: 5,
    workerTokens: 20000,
    quotaPercent: 90,
  });
  for (const [bad, key] of [
    [{ goalUsd: -1 }, 'budget.goalUsd'],
    [{ goalTokens: 1.5 }, 'budget.goalTokens'],
    [{ quotaPercent: 150 }, 'budget.quotaPercent'],
    [{ goalDollars: 3 }, 'budget'],
  ] as const) {
    const r = ConfigSchema.safeParse({ budget: bad });
    assert.equal(r.success, false);
    assert.match(describeConfigError(r.error), new RegExp(`^${key.replace('.', '\\.')}`));
  }
});
