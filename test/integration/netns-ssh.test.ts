/**
 * The real-OpenSSH lab itself (test/helpers/netns-ssh.ts): from the lead namespace, `ssh` with BatchMode and
 * strict host-key checking reaches the node's own Unix user, whose HOME is its own; that user cannot read a
 * 0700 lead-side dir; a host key missing from known_hosts is refused; a cut link makes the node unreachable.
 * Skipped (with the reason) where the lab cannot run: not root, or no `ip netns`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import { BIN, ROOT } from '../helpers/env.js';
import { isAlive } from '../helpers/wait.js';

const skip = sshLabSkipReason();

test(
  'lab: ssh reaches the node user with strict host keys; the node user cannot read a 0700 lead dir',
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 1 });
    const leadSecret = mkdtempSync(join(tmpdir(), 'crewmux-lead-'));
    try {
      mkdirSync(join(leadSecret, 'data'), { mode: 0o700 });
      writeFileSync(join(leadSecret, 'data', 'token'), 'lead-secret\n', { mode: 0o600 });
      const [node] = lab.nodes;
      const ssh = (...remote: string[]) =>
        lab.runInLead([
          'ssh',
          '-F',
          lab.sshConfig,
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          `${node!.user}@${node!.ip}`,
          '--',
          ...remote,
        ]);

      const who = await ssh('id', '-un', ';', 'echo', '$HOME', ';', 'command', '-v', 'crewmux');
      assert.equal(who.code, 0, who.stderr);
      assert.deepEqual(who.stdout.trim().split('\n'), [node!.user, node!.home, join(node!.home, 'bin', 'crewmux')]);

      const read = await ssh('cat', join(leadSecret, 'data', 'token'));
      assert.notEqual(read.code, 0);
      assert.match(read.stderr, /Permission denied/);
      assert.ok(!read.stdout.includes('lead-secret'));
      const list = await ssh('ls', lab.leadDir);
      assert.notEqual(list.code, 0);
      assert.match(list.stderr, /Permission denied/);

      // The lab's addresses exist only inside its namespaces, never in the host's own.
      const inside = await lab.runInLead(['ip', '-o', 'addr', 'show']);
      assert.ok(inside.stdout.includes(`inet ${node!.leadIp}/30`), inside.stdout);
      assert.ok(!spawnSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' }).stdout.includes(node!.leadIp));

      // An unknown host key is refused, never added.
      writeFileSync(lab.knownHosts, '');
      const unknown = await ssh('true');
      assert.equal(unknown.code, 255);
      assert.match(unknown.stderr, /Host key verification failed/);
      writeFileSync(lab.knownHosts, node!.hostKeyLine + '\n');

      lab.linkDown(node!);
      const cut = await lab.runInLead(['ssh', '-F', lab.sshConfig, '-o', 'ConnectTimeout=2', node!.ip, 'true']);
      assert.equal(cut.code, 255);
      await lab.linkUp(node!);
      const back = await ssh('true');
      assert.equal(back.code, 0, back.stderr);
    } finally {
      rmSync(leadSecret, { recursive: true, force: true });
      await lab.close();
    }
  },
);

test('lab: close removes the namespaces, users and sshd', { skip }, async () => {
  const lab = await createSshLab({ nodes: 2, port: 2222 });
  const [a, b] = lab.nodes;
  assert.notEqual(a!.ns, b!.ns);
  const pid = a!.sshdPid;
  await lab.close();
  assert.equal(isAlive(pid), false);
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!ns.includes(a!.ns) && !ns.includes(lab.leadNs), ns);
  assert.notEqual(spawnSync('id', [a!.user]).status, 0);
  // The checkout's bind mount for node users is gone, and the checkout with it untouched.
  const root = lab.nodePath(ROOT);
  assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(root), `${root} still mounted`);
  assert.ok(!existsSync(root), `${root} left behind`);
  assert.ok(existsSync(BIN), 'the checkout is still there');
});
