/** The event-name table: in step with worker and session states, hooks, and the docs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EVENT_TYPE_NAMES,
  EVENT_TYPES,
  SESSION_END_EVENTS,
  WORKER_END_EVENTS,
  StoredEventTypeSchema,
  eventSubject,
  isEventType,
  isSessionEnd,
  isWorkerEnd,
  type EventType,
} from '../../src/core/session/event-types.js';
import { HOOK_EVENTS, hookEventsFor } from '../../src/core/session/hooks.js';
import { FINISHED_STATES, WORKER_STATES } from '../../src/core/workers/state.js';
import { TERMINAL_SESSION_STATUSES } from '../../src/core/session/rows.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

test('every event name is subject.name in lower case, with a one-line meaning', () => {
  for (const [name, meaning] of Object.entries(EVENT_TYPES)) {
    assert.match(name, /^[a-z]+\.[a-z_]+$/, name);
    assert.ok(meaning.length > 10 && !meaning.includes('\n'), `${name}: ${meaning}`);
  }
  assert.equal(new Set(EVENT_TYPE_NAMES).size, EVENT_TYPE_NAMES.length);
});

test('session-end events are exactly the terminal session statuses; worker-end events the finished states', () => {
  assert.deepEqual([...SESSION_END_EVENTS].sort(), TERMINAL_SESSION_STATUSES.map((s) => `session.${s}`).sort());
  assert.deepEqual([...WORKER_END_EVENTS].sort(), FINISHED_STATES.map((s) => `worker.${s}`).sort());
  // changeWorkerState emits worker.<state> for every state a worker can move to ('starting' is only ever the first).
  for (const s of WORKER_STATES.filter((x) => x !== 'starting')) assert.ok(isEventType(`worker.${s}`), `worker.${s}`);
  assert.equal(isSessionEnd('session.stopped'), true);
  assert.equal(isSessionEnd('session.ending'), false);
  assert.equal(isWorkerEnd('worker.crashed'), true);
  assert.equal(isWorkerEnd('worker.merged'), false);
});

test('helpers: the subject of a name, and which strings are names this version emits', () => {
  assert.equal(eventSubject('worker.merge_conflict'), 'worker');
  assert.equal(eventSubject('hook.failed'), 'hook');
  assert.equal(isEventType('verify.done'), true);
  assert.equal(isEventType('verify.passed'), false);
  assert.equal(isEventType('toString'), false);
});

test('a row from an older crewmux keeps its name when read back', () => {
  assert.equal(StoredEventTypeSchema.parse('worker.renamed_long_ago'), 'worker.renamed_long_ago');
});

test('every hook event is fired by some event, and hooks fire on the events they document', () => {
  const fired = new Set(EVENT_TYPE_NAMES.flatMap(hookEventsFor));
  assert.deepEqual([...fired].sort(), [...HOOK_EVENTS].sort());
  assert.deepEqual(hookEventsFor('worker.timeout'), ['worker_done']);
  assert.deepEqual(hookEventsFor('session.timeout'), ['goal_failed', 'session_end']);
  assert.deepEqual(hookEventsFor('worker.progress'), []);
});

test('docs/events.md lists exactly the event table, with meanings and hooks', () => {
  const doc = readFileSync(root('docs/events.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_.]+)` \| (.*?) \| (.*) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  const hooks = (name: EventType) =>
    hookEventsFor(name)
      .map((h) => `\`${h}\``)
      .join(', ');
  const expected = EVENT_TYPE_NAMES.map((name) => [name, hooks(name), EVENT_TYPES[name]]);
  assert.deepEqual(rows, expected, 'regenerate with: node scripts/events-doc.mjs > docs/events.md');
});

test('every event name the README and docs mention in backticks is a real one', () => {
  const subjects = new Set(EVENT_TYPE_NAMES.map(eventSubject));
  // Files and config keys that share a subject's name.
  const notEvents = new Set(['router.db', 'skill.sig', 'skill.toml', 'skill.md', 'mcp.json', 'memory.budget']);
  const files = [
    'README.md',
    ...readdirSync(root('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  for (const f of files) {
    for (const m of readFileSync(root(f), 'utf8').matchAll(/`([a-z]+)\.([a-z_]+)`/g)) {
      const name = `${m[1]}.${m[2]}`;
      if (!subjects.has(m[1] as never) || notEvents.has(name)) continue;
      assert.ok(isEventType(name), `${f} mentions \`${name}\`, which is not in src/core/session/event-types.ts`);
    }
  }
});
