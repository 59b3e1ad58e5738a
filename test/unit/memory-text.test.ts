import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  episodeWorthWriting,
  ftsQuery,
  isNonLesson,
  memoryBlock,
  renderEpisode,
  splitMemoryFile,
  verifyLessons,
  type EpisodeInput,
  type MemoryHit,
} from '../../src/core/llm/memory-text.js';
import { plainReportSummary, type RunReport } from '../../src/core/session/report.js';
import { summarize, truncateMiddle } from '../../src/app/llm/summarize.js';

test('splitMemoryFile: one chunk per ## section titled with the file title; long sections cut at line ends', () => {
  const chunks = splitMemoryFile(
    '# Testing\nintro line\n\n## Unit\nfast ones\n\n## Empty\n\n## E2E\nslow ones\n',
    'topics/testing.md',
  );
  assert.deepEqual(chunks, [
    { title: 'Testing', body: 'intro line' },
    { title: 'Testing / Unit', body: 'fast ones' },
    { title: 'Testing / E2E', body: 'slow ones' },
  ]);
  assert.deepEqual(splitMemoryFile('no title here', 'topics/x.md'), [{ title: 'topics/x.md', body: 'no title here' }]);
  const long = splitMemoryFile(
    `## Big\n${Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(30)}`).join('\n')}`,
    'big.md',
  );
  assert.ok(long.length > 2);
  for (const c of long) assert.ok(c.body.length <= 1_800, `chunk of ${c.body.length}`);
  assert.equal(
    long
      .map((c) => c.body)
      .join('\n')
      .split('\n').length,
    200,
    'no line lost',
  );
});

test('ftsQuery: distinct words quoted and OR-ed, stopwords and short words dropped, FTS syntax inert', () => {
  assert.equal(
    ftsQuery('Add the users table migration, and the migration rollback'),
    '"users" OR "table" OR "migration" OR "rollback"',
  );
  assert.equal(ftsQuery('a an to of'), undefined);
  const q = ftsQuery('NEAR("x" y) OR col:title* "quoted"')!;
  assert.equal(q, '"near" OR "col" OR "title" OR "quoted"');
  assert.equal(ftsQuery(Array.from({ length: 50 }, (_, i) => `word${i}`).join(' '))!.split(' OR ').length, 24);
});

test('memoryBlock: whole chunks in rank order within the budget; one that does not fit is skipped', () => {
  const hit = (title: string, body: string): MemoryHit => ({
    file: `topics/${title}.md`,
    kind: 'topic',
    scope: 'project',
    title,
    body,
    rank: -1,
  });
  const b = memoryBlock([hit('a', 'x'.repeat(50)), hit('b', 'y'.repeat(500)), hit('c', 'z'.repeat(30))], 200);
  assert.deepEqual(b.used, ['a', 'c']);
  assert.ok(b.text.length <= 200);
  assert.match(b.text, /^### a \(project topic: topics\/a\.md\)\nx{50}\n/);
  assert.deepEqual(memoryBlock([], 100), { text: '', used: [] });
});

const report = (over: Partial<RunReport> = {}): RunReport => ({
  sessionId: 'sabc',
  goal: 'Make the tests pass\nwith details',
  outcome: 'done',
  reason: 'all merged',
  integrationBranch: 'crewmux/sabc/integration',
  workers: [
    {
      id: 'w01',
      agent: 'codex',
      perspective: 'implementer',
      state: 'merged',
      branch: 'b1',
      summary: 'fixed the parser\nmore',
      diffstat: '1 file changed',
      merged: true,
    },
    {
      id: 'w02',
      agent: 'claude',
      perspective: 'tester',
      state: 'discarded',
      branch: 'b2',
      summary: null,
      merged: false,
    },
  ],
  verifies: [
    {
      commit: 'aaaaaaaaaaaa1',
      passed: false,
      commands: [
        { command: 'npm test', exitCode: 1, durationMs: 10 },
        { command: 'npm run lint', exitCode: 2, durationMs: 5 },
      ],
    },
    { commit: 'bbbbbbbbbbbb2', passed: true, commands: [{ command: 'npm test', exitCode: 0, durationMs: 10 }] },
  ],
  mergeCommand: 'git merge crewmux/sabc/integration',
  ...over,
});

test('verifyLessons and renderEpisode: failures with their output, fixed later or still failing', () => {
  const input: EpisodeInput = {
    report: report(),
    lead: 'claude',
    startedAt: Date.UTC(2026, 10, 21, 10, 0),
    endedAt: Date.UTC(2026, 10, 21, 10, 42),
    failures: [
      {
        commit: 'aaaaaaaaaaaa1',
        command: 'npm test',
        exitCode: 1,
        timedOut: false,
        tail: 'ok 1\nnot ok 2 - parser handles empty input\n',
      },
      { commit: 'aaaaaaaaaaaa1', command: 'npm run lint', exitCode: 2, timedOut: false, tail: '' },
    ],
  };
  assert.deepEqual(verifyLessons(input), [
    '- `npm test` exited 1 on aaaaaaaaaa (later fixed and passing):\n    ok 1\n    not ok 2 - parser handles empty input',
    '- `npm run lint` exited 2 on aaaaaaaaaa (still failing at the end)',
  ]);
  const text = renderEpisode(input);
  assert.match(text, /^# Episode sabc: Make the tests pass\n/);
  assert.match(text, /- date: 2026-11-21\n- outcome: done \(all merged\)\n- lead: claude; workers: 2; minutes: 42/);
  assert.match(text, /## Goal\nMake the tests pass\nwith details\n/);
  assert.match(
    text,
    /- w01 \(codex, implementer\) merged, 1 file changed: fixed the parser\n- w02 \(claude, tester\) discarded: no summary/,
  );
  assert.match(text, /- failed on aaaaaaaaaa: `npm test` → 1, `npm run lint` → 2/);
  assert.match(text, /## Lessons from verify failures\n- `npm test` exited 1/);
  const quiet = renderEpisode({ ...input, failures: [], report: report({ verifies: [] }) });
  assert.doesNotMatch(quiet, /## Verify|## Lessons|no verify/, 'no section that states an absence');
  assert.match(quiet, /## Workers\n- w01/);
});

test('episodeWorthWriting: a session with no worker and no verify writes no episode', () => {
  assert.equal(episodeWorthWriting(report({ workers: [], verifies: [] })), false);
  assert.equal(episodeWorthWriting(report({ verifies: [] })), true, 'a worker was spawned');
  assert.equal(episodeWorthWriting(report({ workers: [] })), true, 'a verify ran');
});

test('non-lessons ("no verify failed in this session", "- none") are never chunked nor put in a prompt', () => {
  assert.equal(isNonLesson('- no verify failed in this session'), true);
  assert.equal(isNonLesson('- no verify ran'), true);
  assert.equal(isNonLesson('- none\n\n- No workers spawned.'), true);
  assert.equal(isNonLesson('- no network in CI: use the npm mirror'), false, 'a lesson that starts with "no"');
  assert.equal(isNonLesson('- `npm test` exited 1 on abc (later fixed)'), false);
  // An episode written by an older crewmux: its absence sections are dropped, the real ones kept.
  const old = [
    '# Episode s1: tidy up',
    '## Workers',
    '- none',
    '## Verify',
    '- no verify ran',
    '## Lessons from verify failures',
    '- no verify failed in this session',
    '## Goal',
    'tidy up the parser',
  ].join('\n');
  assert.deepEqual(
    splitMemoryFile(old, 'e.md').map((c) => c.title),
    ['Episode s1: tidy up / Goal'],
  );
  const hit = (title: string, body: string): MemoryHit => ({
    file: 'episodes/e.md',
    kind: 'episode',
    scope: 'project',
    title,
    body,
    rank: -1,
  });
  const b = memoryBlock([hit('lessons', '- no verify failed in this session'), hit('goal', 'tidy up')], 1000);
  assert.deepEqual(b.used, ['goal'], 'an index built before keeps such a chunk: the block skips it');
});

test('plainReportSummary states outcome, workers and the last verify from the facts alone', () => {
  assert.equal(
    plainReportSummary(report()),
    'Goal done: all merged. 2 worker(s): w01 merged; w02 discarded. Last verify passed on bbbbbbbbbb.',
  );
  assert.equal(
    plainReportSummary(report({ workers: [], verifies: [], outcome: 'failed', reason: 'gave up' })),
    'Goal failed: gave up. No workers ran. No verify ran.',
  );
});

test('summarize: the router when configured, truncation (said so) without one or when it fails', async () => {
  const long = `${'head '.repeat(200)}${'tail '.repeat(200)}`;
  const none = await summarize(undefined, { purpose: 't', instruction: 'i', text: long, maxChars: 300 });
  assert.equal(none.method, 'truncation');
  assert.match(none.note, /no router provider key/);
  assert.ok(none.text.length <= 300 && none.text.startsWith('head') && none.text.endsWith('tail'));
  const calls: string[] = [];
  const ok = {
    configured: () => true,
    complete: async (r: { system: string; prompt: string }) => {
      calls.push(r.system);
      return { text: ' short digest ', provider: 'groq', model: 'm1' };
    },
  };
  assert.deepEqual(await summarize(ok, { purpose: 't', instruction: 'be brief', text: long, maxChars: 300 }), {
    text: 'short digest',
    method: 'router',
    note: 'groq/m1',
  });
  assert.deepEqual(calls, ['be brief']);
  const failing = {
    configured: () => true,
    complete: async () => {
      throw new Error('all providers cooling down\nmore');
    },
  };
  const f = await summarize(failing, {
    purpose: 't',
    instruction: 'i',
    text: long,
    maxChars: 300,
    fallback: 'the facts',
  });
  assert.deepEqual(f, {
    text: 'the facts',
    method: 'truncation',
    note: 'plain truncation: the router failed (all providers cooling down)',
  });
  assert.equal(truncateMiddle('short', 10), 'short');
});
