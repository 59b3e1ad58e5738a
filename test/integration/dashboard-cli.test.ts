/** `crewmux dashboard` through the built CLI: prints a tokened loopback URL, serves it, stops on SIGTERM; a taken port is E_DASHBOARD_PORT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { BIN, createTestEnv, eventually, runCli } from '../helpers/env.js';

test('crewmux dashboard prints a URL that works only with its token, and exits 0 on SIGTERM', async () => {
  const t = createTestEnv();
  const child = spawn(process.execPath, [BIN, 'dashboard'], {
    cwd: t.dir,
    env: t.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const closed = new Promise<number | null>((r) => child.on('close', r));
    const url = await eventually(
      'the URL',
      () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/m.exec(out)?.[0],
      15_000,
    );
    const u = new URL(url);
    assert.equal((await fetch(new URL(`/healthz?token=${u.searchParams.get('token')}`, u))).status, 200);
    assert.equal((await fetch(new URL('/healthz', u))).status, 401);
    child.kill('SIGTERM');
    assert.equal(await closed, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    t.cleanup();
  }
});

test('a port already in use is a clear E_DASHBOARD_PORT error', async () => {
  const t = createTestEnv();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(t, t.dir, ['dashboard', '--port', String(port)], { timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)\. \[E_DASHBOARD_PORT\]/);
    const bad = await runCli(t, t.dir, ['dashboard', '--port', '70000'], { timeoutMs: 20_000 });
    assert.match(bad.stderr, /E_BAD_FLAG/);
  } finally {
    await new Promise((r) => blocker.close(r));
    t.cleanup();
  }
});
