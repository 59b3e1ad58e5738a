/**
 * The ssh adapter's argv (src/adapters/nodes/ssh.ts) is the contract with OpenSSH: exact options in a fixed
 * order, the security options before CREWMUX_SSH_COMMAND's own words (ssh keeps the first value), the remote
 * command one shell-quoted string, a `-`-prefixed host refused; node targets parsed and checked; stale control
 * sockets removed; ssh's failures read into error codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSsh, sshBaseCommand } from '../../src/adapters/nodes/ssh.js';
import { splitWords } from '../../src/core/nodes/ssh-words.js';
import { checkNodeName, formatTarget, parseNodeTarget } from '../../src/core/nodes/target.js';
import { classifySshFailure } from '../../src/core/nodes/ssh-failure.js';
import { NodesConfigSchema, nodeEntries } from '../../src/core/nodes/node-config.js';
import type { UserError } from '../../src/core/errors.js';

const FIXED = [
  ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
  ...['-o', 'ControlMaster=auto', '-o', 'ControlPath=/run/u/crewmux/ssh/%C'],
  ...['-o', 'ClearAllForwardings=yes', '-a', '-x'],
];
const DEFAULTS = [
  ...['-o', 'ControlPersist=60', '-o', 'ConnectTimeout=15'],
  ...['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'],
];

test('ssh argv: fixed options, then the default ones, the destination, -- and one quoted remote command', () => {
  const ssh = createSsh({ runtimeDir: '/run/u/crewmux' });
  assert.deepEqual(ssh.argv({ host: 'gpu1', user: 'me', port: 2222 }, ['crewmux', 'node', 'serve', '--stdio']), [
    'ssh',
    ...FIXED,
    ...DEFAULTS,
    '-T',
    ...['-p', '2222', 'me@gpu1', '--', 'crewmux node serve --stdio'],
  ]);
  assert.deepEqual(ssh.argv({ host: 'gpu1' }, ['tmux', 'attach', '-t', "it's"], { tty: true }).slice(-4), [
    '-t',
    'gpu1',
    '--',
    `tmux attach -t 'it'\\''s'`,
  ]);
  // A forward request goes without ClearAllForwardings (it would clear the request's own -R).
  assert.deepEqual(ssh.controlArgv({ host: 'gpu1' }, 'forward', '127.0.0.1:0:127.0.0.1:4545'), [
    'ssh',
    ...FIXED.slice(0, -4),
    ...FIXED.slice(-2),
    ...DEFAULTS,
    ...['-O', 'forward', '-R', '127.0.0.1:0:127.0.0.1:4545', 'gpu1'],
  ]);
  assert.deepEqual(ssh.controlArgv({ host: 'gpu1', port: 2 }, 'exit'), [
    'ssh',
    ...FIXED,
    ...DEFAULTS,
    ...['-O', 'exit', '-p', '2', 'gpu1'],
  ]);
  assert.equal(ssh.controlDir, '/run/u/crewmux/ssh');
});

test('CREWMUX_SSH_COMMAND replaces ssh; its words go after the fixed options, so they cannot undo them', () => {
  const ssh = createSsh({
    runtimeDir: '/run/u/crewmux',
    command: `/opt/ssh -F "/home/me/my config" -o StrictHostKeyChecking=no -o 'ConnectTimeout=3'`,
  });
  assert.deepEqual(ssh.base, [
    '/opt/ssh',
    '-F',
    '/home/me/my config',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'ConnectTimeout=3',
  ]);
  const argv = ssh.argv({ host: 'h' }, ['true']);
  assert.deepEqual(argv, ['/opt/ssh', ...FIXED, ...ssh.base.slice(1), ...DEFAULTS, '-T', 'h', '--', 'true']);
  assert.ok(argv.indexOf('StrictHostKeyChecking=yes') < argv.indexOf('StrictHostKeyChecking=no'));
  assert.equal(
    ssh.gitSshCommand(),
    `/opt/ssh ${FIXED.join(' ')} -F '/home/me/my config' -o StrictHostKeyChecking=no -o ConnectTimeout=3 ${DEFAULTS.join(' ')}`,
  );
  assert.deepEqual(sshBaseCommand('  '), ['ssh']);
  assert.deepEqual(sshBaseCommand(undefined), ['ssh']);
  assert.throws(
    () => sshBaseCommand(`ssh -F 'unterminated`),
    (e: UserError) => e.code === 'E_SSH_COMMAND',
  );
  assert.throws(
    () => sshBaseCommand(`'' -v`),
    (e: UserError) => e.code === 'E_SSH_COMMAND',
  );
});

test('a host starting with "-" never reaches ssh, even past the parser', () => {
  const ssh = createSsh({ runtimeDir: '/r' });
  for (const host of ['-oProxyCommand=touch /tmp/pwned', '-F/etc/x', ''])
    assert.throws(
      () => ssh.argv({ host }, ['true']),
      (e: UserError) => e.code === 'E_NODE_BAD_HOST',
    );
  assert.throws(
    () => ssh.controlArgv({ host: '-oProxyCommand=x' }, 'check'),
    (e: UserError) => e.code === 'E_NODE_BAD_HOST',
  );
});

test('node targets: [user@]host[:port], IPv6 in brackets; bad hosts, users and ports refused with E_NODE_BAD_HOST', () => {
  assert.deepEqual(parseNodeTarget('gpu1'), { host: 'gpu1' });
  assert.deepEqual(parseNodeTarget('me@gpu1.lan:2222'), { host: 'gpu1.lan', user: 'me', port: 2222 });
  assert.deepEqual(parseNodeTarget('[fd00::5]:22'), { host: 'fd00::5', port: 22 });
  assert.deepEqual(parseNodeTarget('fd00::5'), { host: 'fd00::5' });
  assert.deepEqual(parseNodeTarget('a.b@10.0.0.1'), { host: '10.0.0.1', user: 'a.b' });
  for (const bad of [
    '-oProxyCommand=x',
    'me@-oProxyCommand=x',
    '-me@host',
    '@host',
    'host:0',
    'host:65536',
    'host:ssh',
    'host:',
    'ho st',
    'host\n',
    '',
    '[fd00::5]:x',
  ])
    assert.throws(
      () => parseNodeTarget(bad),
      (e: UserError) => e.code === 'E_NODE_BAD_HOST' && e.message.includes(JSON.stringify(bad)),
      bad,
    );
  assert.equal(formatTarget({ host: 'fd00::5', port: 22, user: 'me' }), 'me@[fd00::5]:22');
  assert.equal(formatTarget({ host: 'h' }), 'h');
  assert.equal(checkNodeName('gpu-1'), 'gpu-1');
  for (const bad of ['GPU', '-x', 'lostAfter', '', 'a'.repeat(33), 'a b'])
    assert.throws(
      () => checkNodeName(bad),
      (e: UserError) => e.code === 'E_NODE_BAD_NAME',
      bad,
    );
});

test('the nodes config: lostAfter beside node entries; bad names and hosts named by key', () => {
  const ok = NodesConfigSchema.parse({ lostAfter: 30, gpu1: { host: 'gpu1', port: 22 }, a: { host: 'a' } });
  assert.deepEqual(
    nodeEntries(ok).map(([n]) => n),
    ['a', 'gpu1'],
  );
  const bad = NodesConfigSchema.safeParse({ GPU: { host: 'x' }, b: { host: '-oX' }, c: { host: 'c', extra: 1 } });
  assert.ok(!bad.success);
  const paths = bad.error.issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('GPU') && paths.includes('b.host') && paths.includes('c'), paths.join(' '));
});

test('CREWMUX_SSH_COMMAND words: quotes and backslashes as a shell, nothing expanded', () => {
  assert.deepEqual(splitWords(`ssh  -F '/a b' "x\\"y" \\$HOME ~ $X 'a'"b"c`), {
    words: ['ssh', '-F', '/a b', 'x"y', '$HOME', '~', '$X', 'abc'],
  });
  assert.deepEqual(splitWords(`''`), { words: [''] });
  assert.ok('error' in splitWords(`"open`));
  assert.ok('error' in splitWords(`trailing\\`));
});

test('ssh failures become error codes: host key unknown or changed, auth, unreachable, crewmux missing', () => {
  const cases: [number | null, string, string][] = [
    [
      255,
      'No ED25519 host key is known for 10.0.0.2 and you have requested strict checking.\r\nHost key verification failed.',
      'E_NODE_HOST_KEY_UNKNOWN',
    ],
    [
      255,
      '@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.',
      'E_NODE_HOST_KEY_CHANGED',
    ],
    [255, 'me@10.0.0.2: Permission denied (publickey).', 'E_NODE_AUTH'],
    [255, 'ssh: connect to host 10.0.0.2 port 22: Connection refused', 'E_NODE_UNREACHABLE'],
    [255, 'ssh: connect to host 10.0.0.2 port 22: Connection timed out', 'E_NODE_UNREACHABLE'],
    [255, 'ssh: Could not resolve hostname nowhere: Name or service not known', 'E_NODE_UNREACHABLE'],
    [255, 'something new', 'E_NODE_UNREACHABLE'],
    [127, 'sh: 1: crewmux: not found', 'E_NODE_NO_CREWMUX'],
    [127, 'bash: line 1: crewmux: command not found', 'E_NODE_NO_CREWMUX'],
    [1, 'Error: boom', 'E_NODE_PROTOCOL'],
  ];
  for (const [code, stderr, want] of cases) assert.equal(classifySshFailure(code, stderr).code, want, stderr);
  assert.equal(
    classifySshFailure(255, 'debug\nme@h: Permission denied (publickey).\n').detail,
    'me@h: Permission denied (publickey).',
  );
});

test('prepare: the control dir is 0700; a socket nobody listens on is removed, a live one and other files kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-ssh-'));
  const live = createServer();
  try {
    const ssh = createSsh({ runtimeDir: dir });
    await ssh.prepare();
    assert.equal(statSync(ssh.controlDir).mode & 0o777, 0o700);
    // A master killed without cleaning up leaves its socket file behind, with nobody listening.
    const stale = join(ssh.controlDir, 'a'.repeat(40));
    const script = `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`;
    const dead = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => dead.stdout.once('data', r));
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    assert.ok(existsSync(stale));
    writeFileSync(stale + '.keep', '');
    const alive = join(ssh.controlDir, 'b'.repeat(40));
    await new Promise<void>((r) => live.listen(alive, r));
    assert.deepEqual(await ssh.cleanStale(), [stale]);
    assert.ok(!existsSync(stale));
    assert.ok(existsSync(alive));
    assert.ok(existsSync(stale + '.keep'));
    await assert.rejects(
      createSsh({ runtimeDir: '/' + 'x'.repeat(60) }).prepare(),
      (e: UserError) => e.code === 'E_NODE_CONTROL_PATH',
    );
  } finally {
    live.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
