/** mDNS on loopback: an advert is browsed with its TXT record, and its goodbye is seen when it closes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertise, browse, watchServices, type MdnsService } from '../../src/adapters/external/mdns.js';
import { MdnsTxtSchema } from '../../src/core/external/shim-protocol.js';

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('advertise and browse on loopback, then the goodbye on close', async () => {
  const type = `crewmux-test-${process.pid}`;
  const txt = {
    v: '1',
    id: `shim-${process.pid}`,
    pid: String(process.pid),
    agent: 'fake',
    host: 'here',
  };
  const errors: Error[] = [];
  const ups: MdnsService[] = [];
  const downs: MdnsService[] = [];
  const watch = watchServices(
    type,
    (s) => ups.push(s),
    (s) => downs.push(s),
    { onError: (e) => errors.push(e) },
  );
  const ad = advertise(`test ${process.pid}`, type, 9, txt, { onError: (e) => errors.push(e) });
  try {
    const seen = await browse(type, 800, { onError: (e) => errors.push(e) });
    assert.equal(seen.length, 1, 'one service of our private type');
    assert.equal(seen[0]!.name, `test ${process.pid}`);
    assert.deepEqual(MdnsTxtSchema.parse(seen[0]!.txt), txt);
    await waitFor('the watcher to see it', () => ups.find((s) => s.txt.id === txt.id));
    await ad.close();
    await waitFor('the goodbye', () => downs.find((s) => s.txt.id === txt.id));
    assert.deepEqual(await browse(type, 400), []);
    assert.deepEqual(errors, []);
  } finally {
    await ad.close();
    await watch.close();
  }
});

test('TXT records that do not fit the schema are rejected', () => {
  assert.equal(
    MdnsTxtSchema.safeParse({ v: '1', id: 'x', pid: 'abc', agent: '', host: 'h', sock: '/s' }).success,
    false,
  );
  assert.equal(
    MdnsTxtSchema.safeParse({ v: '2', id: 'shim-1', pid: '1', agent: 'a', host: 'h', sock: '/s' }).success,
    false,
  );
});
