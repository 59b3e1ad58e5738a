/**
 * The dashboard's "needs you" list over a real SQLite file with inject(): open tickets listed, the user's answer
 * recorded as theirs, and the one write route refusing a query token, a form body, a foreign Origin and a repeat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEnv } from '../helpers/env.js';
import { DASHBOARD_TOKEN, testDashboard } from '../helpers/test-dashboard.js';
import { seedSession, seedWorker } from '../helpers/dashboard-seed.js';

const TOKEN = DASHBOARD_TOKEN;

test('needs you: open tickets are listed, the answer box records the user answer, and forged posts are refused', async () => {
  const t = createTestEnv();
  const { store, app } = testDashboard(t);
  try {
    seedSession(store, { id: 'sabc' });
    seedWorker(store, 'sabc', 1);
    const base = { sessionId: 'sabc', workerId: 'w01', options: ['a', 'b'], urgency: 'high' as const };
    store
      .questions()
      .add({ ...base, question: 'Which <b>key</b>?', category: 'credentials', source: 'tool', createdAt: 1 });
    store.questions().markEscalated('sabc', 'q1', 1, 2);
    const list = await app.inject({ url: `/api/sessions/sabc/questions?token=${TOKEN}` });
    assert.equal(list.statusCode, 200);
    const q = list.json<{ questions: Record<string, unknown>[] }>().questions;
    assert.deepEqual(
      q.map((x) => [x.ticket, x.worker, x.category, x.question, x.escalated]),
      [['q1', 'w01', 'credentials', 'Which <b>key</b>?', true]],
    );
    const url = '/api/sessions/sabc/questions/q1/answer';
    const json = { 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const payload = JSON.stringify({ answer: 'in the vault' });
    assert.equal(
      (await app.inject({ method: 'POST', url: `${url}?token=${TOKEN}`, headers: json, payload })).statusCode,
      401,
    );
    assert.equal(
      (await app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'text/plain' }, payload }))
        .statusCode,
      415,
    );
    assert.equal(
      (await app.inject({ method: 'POST', url, headers: { ...auth, ...json, origin: 'http://evil.example' }, payload }))
        .statusCode,
      403,
    );
    assert.equal(store.questions().get('sabc', 'q1')!.status, 'open', 'no refused request answered it');
    const ok = await app.inject({ method: 'POST', url, headers: { ...auth, ...json }, payload });
    assert.equal(ok.statusCode, 200, ok.body);
    const row = store.questions().get('sabc', 'q1')!;
    assert.deepEqual([row.answer, row.answered_by], ['in the vault', 'human']);
    assert.equal(store.eventsAfter('sabc').filter((e) => e.type === 'question.answered').length, 1);
    const again = await app.inject({ method: 'POST', url, headers: { ...auth, ...json }, payload });
    assert.equal(again.statusCode, 409);
    assert.match(again.json<{ message: string }>().message, /already answered by human/);
    const none = await app.inject({ url: `/api/sessions/sabc/questions?token=${TOKEN}` });
    assert.deepEqual(none.json(), { questions: [] });
  } finally {
    await app.close();
    store.close();
    t.cleanup();
  }
});
