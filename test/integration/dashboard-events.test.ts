/** The SSE event stream over a real socket: live tail of the SQLite event log, resume, and close. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createTestEnv, eventually } from '../helpers/env.js';
import { testDashboard } from '../helpers/test-dashboard.js';
import { seedSession } from '../helpers/dashboard-seed.js';
import type { EventType } from '../../src/core/session/event-types.js';

const TOKEN = 'sse-token-0123456789';
/** An event name from an older crewmux: the type system refuses it, a state.db may still hold it. */
const older = (name: string) => name as EventType;

interface Stream {
  ids: number[];
  types: string[];
  headers: http.IncomingHttpHeaders;
  ended: boolean;
  close(): void;
}

function openStream(port: number, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      const s: Stream = { ids: [], types: [], headers: res.headers, ended: false, close: () => req.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (id && data) {
            s.ids.push(Number(id[1]));
            s.types.push((JSON.parse(data[1]!) as { type: string }).type);
          }
        }
      });
      res.on('end', () => {
        s.ended = true;
      });
      res.on('error', () => {
        s.ended = true;
      });
      resolve(s);
    });
    req.on('error', reject);
  });
}

test('the event stream tails the log live, resumes after Last-Event-ID or ?after, and ends when the app closes', async () => {
  const t = createTestEnv();
  const { store, app } = testDashboard(t, { token: TOKEN });
  try {
    seedSession(store, { id: 'sabc' });
    seedSession(store, { id: 'sother' });
    // Names this version does not emit, as an older state.db may hold: the stream passes them through.
    for (const n of [1, 2, 3]) store.addEvent('sabc', null, older(`test.e${n}`), `event ${n}`);
    store.addEvent('sother', null, older('test.other'), 'not this session');
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const path = `/api/sessions/sabc/events?token=${TOKEN}`;

    const a = await openStream(port, path);
    assert.match(String(a.headers['content-type']), /^text\/event-stream/);
    assert.match(String(a.headers['content-security-policy']), /frame-ancestors 'none'/);
    await eventually('the backlog', () => a.types.length === 3, 5000);
    assert.deepEqual(a.types, ['test.e1', 'test.e2', 'test.e3']);
    const id4 = store.addEvent('sabc', 'w01', older('test.e4'), 'live');
    await eventually('the live event', () => a.ids.includes(id4), 5000);
    a.close();

    const resumed = await openStream(port, path, { 'last-event-id': String(a.ids[2]) });
    await eventually('resumed events', () => resumed.ids.length >= 1, 5000);
    const after = await openStream(port, `/api/sessions/sabc/events?after=${a.ids[1]}&token=${TOKEN}`);
    await eventually('events after ?after', () => after.ids.length >= 2, 5000);
    assert.deepEqual(resumed.types, ['test.e4']);
    assert.deepEqual(after.types, ['test.e3', 'test.e4']);

    await app.close();
    await eventually('streams ended by close', () => resumed.ended && after.ended, 5000);
  } finally {
    await app.close();
    store.close();
    t.cleanup();
  }
});
