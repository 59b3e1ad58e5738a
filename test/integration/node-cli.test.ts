/**
 * `crewmux node add|list|check|remove` through the built CLI against real sshd in the lab
 * (test/helpers/netns-ssh.ts): the lead side runs in its own network namespace with CREWMUX_SSH_COMMAND
 * pointing at the lab's ssh config, each node user runs this checkout's bin/crewmux.js as `crewmux node serve
 * --stdio`. A good node is stored and listed with its version, data dir, memory and workers; every way a node
 * can be wrong is refused with its own error code and nothing stored: crewmux missing, another version, an
 * unknown or changed host key, a refused login, nothing listening, a host starting with "-".
 * Skipped (with the reason) where the lab cannot run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, FIXTURES, ROOT, createTestEnv } from '../helpers/env.js';
import { createSshLab, sshLabSkipReason } from '../helpers/netns-ssh.js';
import type { NodeStatus } from '../../src/app/nodes/manage.js';

const skip = sshLabSkipReason();

test(
  'node add/list/check/remove against real sshd; each kind of bad node refused with its code',
  { skip },
  async () => {
    const lab = await createSshLab({ nodes: 2 });
    const t = createTestEnv();
    try {
      const [good, bad] = lab.nodes as [(typeof lab.nodes)[0], (typeof lab.nodes)[0]];
      const configDir = t.env.CREWMUX_CONFIG_DIR!;
      mkdirSync(configDir, { recursive: true, mode: 0o700 });
      const configFile = join(configDir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ maxWorkers: 3 }), { mode: 0o600 });
      const env = { ...t.env, CREWMUX_SSH_COMMAND: lab.sshCommand };
      const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
        lab.runInLead([process.execPath, BIN, ...args], { env: { ...env, ...extra }, cwd: t.dir, timeoutMs: 90_000 });
      const config = () => JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;

      const add = await cli(['node', 'add', 'n0', good.target, '--max-workers', '2', '--agents', 'claude,codex']);
      assert.equal(add.code, 0, `${add.stdout}\n${add.stderr}`);
      assert.match(add.stdout, /added node n0/);
      assert.match(add.stdout, /warning: not installed on the node: claude, codex/);
      assert.deepEqual(config(), {
        maxWorkers: 3,
        nodes: { n0: { host: good.ip, user: good.user, maxWorkers: 2, agents: ['claude', 'codex'] } },
      });
      assert.equal(statSync(configFile).mode & 0o777, 0o600);
      const controlDir = join(t.env.CREWMUX_RUNTIME_DIR!, 'ssh');
      assert.equal(statSync(controlDir).mode & 0o777, 0o700);

      const list = await cli(['node', 'list', '--json']);
      assert.equal(list.code, 0, list.stderr);
      const [n0] = (JSON.parse(list.stdout) as { nodes: NodeStatus[] }).nodes;
      assert.equal(n0!.name, 'n0');
      assert.equal(n0!.reachable, true);
      assert.equal(n0!.ok, true);
      assert.equal(n0!.maxWorkers, 2);
      const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      const hello = n0!.hello!;
      assert.equal(hello.version, version);
      // The node's own data dir, in the node user's home: nothing of the lead's.
      assert.equal(hello.dataDir, join(good.home, '.local', 'share', 'crewmux'));
      assert.equal(hello.workersRunning, 0);
      assert.ok(hello.freeMemoryBytes! > 0);
      assert.deepEqual(
        hello.agents.map((a) => a.name),
        ['claude', 'codex'],
      );
      const text = await cli(['node', 'list']);
      assert.match(text.stdout, new RegExp(`^n0  ${good.target.replace(/\./g, '\\.')}  ok$`, 'm'));
      assert.match(text.stdout, /workers running 0 \(max 2\)/);
      const check = await cli(['node', 'check', 'n0']);
      assert.equal(check.code, 0, check.stderr);
      // One shared connection, its socket under the runtime dir.
      assert.equal(readdirSync(controlDir).filter((n) => /^[0-9a-f]{40}$/.test(n)).length, 1);

      const taken = await cli(['node', 'add', 'n0', bad.target]);
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /E_NODE_EXISTS/);

      // Each refusal: its code, the node named, nothing stored. `bad` has no shared connection yet, so each
      // attempt is a fresh ssh login with its own host key check.
      const refused = async (args: string[], code: string, extra: NodeJS.ProcessEnv = {}) => {
        const before = readFileSync(configFile, 'utf8');
        const r = await cli(['node', 'add', 'n1', ...args], extra);
        assert.notEqual(r.code, 0, `${code}: ${r.stdout}`);
        assert.match(r.stderr, new RegExp(`\\[${code}\\]`), r.stderr);
        assert.equal(readFileSync(configFile, 'utf8'), before);
        return r.stderr;
      };
      const knownHosts = readFileSync(lab.knownHosts, 'utf8');
      writeFileSync(lab.knownHosts, good.hostKeyLine + '\n');
      await refused([bad.target], 'E_NODE_HOST_KEY_UNKNOWN');
      writeFileSync(
        lab.knownHosts,
        `${good.hostKeyLine}\n${bad.ip} ${good.hostKeyLine.split(' ').slice(1).join(' ')}\n`,
      );
      assert.match(await refused([bad.target], 'E_NODE_HOST_KEY_CHANGED'), /ssh-keygen -R 10\.231/);
      writeFileSync(lab.knownHosts, knownHosts);

      const otherKey = join(lab.leadDir, 'other_key');
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
      const otherConfig = join(lab.leadDir, 'other_config');
      writeFileSync(
        otherConfig,
        readFileSync(lab.sshConfig, 'utf8').replace(`IdentityFile ${lab.identity}`, `IdentityFile ${otherKey}`),
      );
      await refused([bad.target], 'E_NODE_AUTH', { CREWMUX_SSH_COMMAND: `ssh -F ${otherConfig}` });
      await refused([`${bad.user}@${bad.ip}:2`], 'E_NODE_UNREACHABLE');

      const wrapper = join(bad.home, 'bin', 'crewmux');
      const original = readFileSync(wrapper, 'utf8');
      writeFileSync(
        wrapper,
        `#!/bin/sh\nexec ${process.execPath} ${lab.nodePath(join(FIXTURES, 'other-version-node.mjs'))} "$@"\n`,
      );
      const other = await refused([bad.target], 'E_NODE_VERSION');
      assert.match(other, new RegExp(`runs crewmux 0\\.0\\.1 .*this host runs ${version.replace(/\./g, '\\.')}`));
      spawnSync('rm', [wrapper]);
      assert.match(await refused([bad.target], 'E_NODE_NO_CREWMUX'), /crewmux: not found/);
      assert.match(
        await refused([bad.target, '--crewmux-path', '/nowhere/crewmux'], 'E_NODE_NO_CREWMUX'),
        /\(\/nowhere\/crewmux\)/,
      );
      writeFileSync(wrapper, original, { mode: 0o755 });
      spawnSync('chown', [`${bad.user}:${bad.user}`, wrapper]);

      const dash = await cli(['node', 'add', 'n1', '--', '-oProxyCommand=touch /tmp/crewmux-pwned']);
      assert.equal(dash.code, 64);
      assert.match(dash.stderr, /E_NODE_BAD_HOST/);
      assert.ok(!existsSync('/tmp/crewmux-pwned'));

      const remove = await cli(['node', 'remove', 'n0']);
      assert.equal(remove.code, 0, `remove: ${remove.code} ${remove.stdout} ${remove.stderr}`);
      assert.deepEqual(config(), { maxWorkers: 3 });
      // Its shared connection was ended with it.
      assert.equal(readdirSync(controlDir).filter((n) => /^[0-9a-f]{40}$/.test(n)).length, 0);
      const again = await cli(['node', 'check', 'n0']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /E_NODE_UNKNOWN/);
    } finally {
      t.cleanup();
      await lab.close();
    }
  },
);
