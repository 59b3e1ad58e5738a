/** The dashboard page's script (static/app.js) as text: it matches event types exactly, never by prefix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/env.js';
import { EVENT_TYPE_NAMES, SESSION_END_EVENTS } from '../../src/core/session/event-types.js';

const APP_JS = readFileSync(join(ROOT, 'src', 'dashboard', 'static', 'app.js'), 'utf8');

test('app.js refetches a session on an exact list of known session event types, not on a `session.` prefix', () => {
  assert.doesNotMatch(APP_JS, /startsWith\(\s*['"]session\./, 'no prefix match on event types');
  const m = /const SESSION_EVENTS = new Set\(\[([^\]]*)\]\)/.exec(APP_JS);
  assert.ok(m, 'app.js declares SESSION_EVENTS');
  const listed = [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
  const known = new Set<string>(EVENT_TYPE_NAMES);
  assert.deepEqual(
    listed.filter((t) => !known.has(t)),
    [],
    'every listed type is in the event catalogue',
  );
  for (const end of SESSION_END_EVENTS) assert.ok(listed.includes(end), `${end} refetches the session`);
});
