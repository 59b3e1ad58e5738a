/**
 * A real-OpenSSH lab for the worker-node tests (issue 20, docs/architecture.md "Worker nodes"): one network
 * namespace for the lead side and one per node, joined by a veth pair each (addresses in 10.231.0.0/24, only
 * inside the namespaces: the host's own network is never touched), `/usr/sbin/sshd -D` with a config, host key
 * and pid of its own inside each node namespace, and a Unix user per node whose home (0700) holds its
 * authorized_keys, its own crewmux data dir and `~/bin/crewmux` (a wrapper running this checkout's
 * bin/crewmux.js). The lead side gets a private key, a known_hosts file and an ssh config (`sshCommand`, for
 * CREWMUX_SSH_COMMAND) in a root-only dir, so a node user reaching for a lead-side path fails.
 *
 * Needs root (namespaces, useradd, sshd); `sshLabSkipReason()` says why a test cannot run. Teardown is by PID:
 * every process left in the lab's namespaces (`ip netns pids`) and every process of a node user, then
 * `ip netns del`, `userdel`, and the lab dir. The node user must be able to run the checkout
 * (bin/, dist/ and node_modules readable and searchable by others); createSshLab checks and throws saying so.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { BIN, ROOT } from './env.js';
import { isAlive, signalPid, waitFor } from './wait.js';

/** One "host": its namespace, address, sshd and Unix user. */
export interface LabNode {
  /** `node0`, `node1`, ... */
  name: string;
  ns: string;
  /** The node's address, reachable from the lead namespace only. */
  ip: string;
  /** The lead side's address on this node's link. */
  leadIp: string;
  port: number;
  user: string;
  uid: number;
  home: string;
  /** The node end of the veth pair (inside `ns`); `linkDown` sets it down. */
  nodeIf: string;
  /** The lead end of the veth pair (inside the lead namespace). */
  leadIf: string;
  sshdPid: number;
  sshdLog: string;
  /** The known_hosts line for this node's host key. */
  hostKeyLine: string;
  /** `user@ip` (with `:port` when not 22), as `crewmux node add` takes it. */
  target: string;
}

export interface LabOptions {
  /** How many nodes (default 1). */
  nodes?: number;
  /** sshd's port on every node (default 22). */
  port?: number;
  /** Put `~/bin/crewmux` on each node user's PATH (default true; false: crewmux is missing on the node). */
  crewmuxOnPath?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SshLab {
  /** Root-owned, 0711: holds `lead/` (0700: keys, ssh config, known_hosts, sshd configs and logs) and the homes. */
  dir: string;
  /**
   * Where node users reach checkout path `p`: the checkout is bind-mounted read-only on a world-searchable dir, so
   * the lab works wherever the clone lies (a 0700 temp dir, another user's home).
   */
  nodePath(p: string): string;
  /** The lead side's secrets dir (0700, root): no node user can read it. */
  leadDir: string;
  leadNs: string;
  nodes: LabNode[];
  /** The ssh client config (`ssh -F`): the lab's key, known_hosts, no agent, no user config. */
  sshConfig: string;
  knownHosts: string;
  /** The private key the node users accept. */
  identity: string;
  /** `ssh -F <sshConfig>`: a value for CREWMUX_SSH_COMMAND. */
  sshCommand: string;
  /** `argv` as a command in the lead namespace (`ip netns exec LEAD ...`). */
  inLead(argv: readonly string[]): string[];
  /** Runs `argv` in the lead namespace and collects its output (kills it after `timeoutMs`, default 60 s). */
  runInLead(
    argv: readonly string[],
    opts?: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
  ): Promise<RunResult>;
  /** Runs `argv` as `node`'s user in its namespace (its HOME and PATH), synchronously: for setting up and checking. */
  asNode(node: LabNode, argv: readonly string[]): SpawnSyncReturns<string>;
  /** Cuts a node's link: its veth end goes down. */
  linkDown(node: LabNode): void;
  /** Restores it: up again, resolves once both ends report carrier (stale neighbour entries flushed). */
  linkUp(node: LabNode): Promise<void>;
  /** Stops everything the lab started (by PID), deletes its namespaces, users and dir. Never throws. */
  close(): Promise<void>;
}

const IP = '/usr/sbin/ip';
const SSHD = '/usr/sbin/sshd';

function run(file: string, args: readonly string[], input?: string): string {
  const r = spawnSync(file, args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`${file} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

function findIp(): string | undefined {
  for (const p of [IP, '/sbin/ip', '/usr/bin/ip', '/bin/ip']) if (existsSync(p)) return p;
  return undefined;
}

/**
 * Why the lab cannot run here (a test skips with it; not a pass), or undefined when it can: needs root,
 * iproute2's `ip` with working `ip netns`, OpenSSH's sshd, ssh and ssh-keygen, and useradd.
 */
export function sshLabSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, useradd, sshd); CI runs as root';
  const ip = findIp();
  if (!ip) return 'iproute2 (`ip`) is not installed (apt-get install iproute2)';
  if (!existsSync(SSHD)) return 'openssh-server is not installed (apt-get install openssh-server)';
  for (const tool of ['ssh', 'ssh-keygen', 'useradd', 'userdel', 'runuser'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  const probe = `cxprobe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const r = spawnSync(ip, ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `\`ip netns add\` does not work here: ${r.stderr.trim()}`;
  spawnSync(ip, ['netns', 'del', probe]);
  return undefined;
}

/** The pids in network namespace `ns` (`ip netns pids`); [] when it is gone. */
function nsPids(ip: string, ns: string): number[] {
  const r = spawnSync(ip, ['netns', 'pids', ns], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

/** The pids owned by `uid`, from /proc. */
function uidPids(uid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid === uid) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids)
    try {
      signalPid(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
}

function sshdConfig(o: { node: LabNode; hostKey: string; pidFile: string; path: string }): string {
  return [
    `Port ${o.node.port}`,
    `ListenAddress ${o.node.ip}`,
    `HostKey ${o.hostKey}`,
    `PidFile ${o.pidFile}`,
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin no',
    `AllowUsers ${o.node.user}`,
    'StrictModes yes',
    'AllowAgentForwarding no',
    // Only -R: the node reaches the lead's MCP server through a loopback port the lead host asks for.
    'AllowTcpForwarding remote',
    'GatewayPorts no',
    'X11Forwarding no',
    'PermitTunnel no',
    'PermitUserEnvironment no',
    `SetEnv PATH=${o.path}`,
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

/**
 * Builds the lab: namespaces, links, users, keys, sshd per node (waits until each listens). Throws (after
 * tearing down what it made) when a step fails, naming the command, or when a node user cannot run the checkout.
 */
export async function createSshLab(o: LabOptions = {}): Promise<SshLab> {
  const ip = findIp() ?? IP;
  const id = randomBytes(3).toString('hex');
  const count = o.nodes ?? 1;
  const port = o.port ?? 22;
  const dir = mkdtempSync('/tmp/cxlab-');
  chmodSync(dir, 0o711);
  const leadDir = join(dir, 'lead');
  mkdirSync(leadDir, { mode: 0o700 });
  // Node users run this checkout through a read-only bind mount outside `dir` (never removed recursively).
  const pkgDir = `/run/crewmux-lab-${id}`;
  let mounted = false;
  const nodePath = (p: string) => join(pkgDir, relative(ROOT, p));
  const nodeBin = nodePath(BIN);
  const leadNs = `cx${id}-lead`;
  const nodes: LabNode[] = [];
  const namespaces: string[] = [];
  const users: { user: string; uid: number }[] = [];

  const close = async () => {
    // Processes first: whatever runs in the lab's namespaces (sshd, its sessions, ssh masters, crewmux), and
    // anything running as a node user (both lists, in case one started elsewhere, e.g. by asNode).
    const pids = new Set<number>();
    for (const ns of namespaces) for (const p of nsPids(ip, ns)) pids.add(p);
    for (const u of users) for (const p of uidPids(u.uid)) pids.add(p);
    pids.delete(process.pid);
    killPids([...pids]);
    await waitFor('lab processes to exit', () => [...pids].every((p) => !isAlive(p)), 10_000, 50).catch(() => {});
    for (const ns of namespaces) spawnSync(ip, ['netns', 'del', ns]);
    for (const u of users) spawnSync('userdel', [u.user]);
    rmSync(dir, { recursive: true, force: true });
    if (mounted && spawnSync('umount', [pkgDir]).status === 0) mounted = false;
    // rmdir, not rm -r: a mount that did not go leaves the checkout untouched.
    if (!mounted && existsSync(pkgDir)) rmdirSync(pkgDir);
  };

  try {
    mkdirSync(pkgDir, { mode: 0o755 });
    run('mount', ['--bind', ROOT, pkgDir]);
    mounted = true;
    run('mount', ['-o', 'remount,bind,ro', pkgDir]);
    run(ip, ['netns', 'add', leadNs]);
    namespaces.push(leadNs);
    run(ip, ['-n', leadNs, 'link', 'set', 'lo', 'up']);
    // sshd refuses to start without its privilege separation dir (Debian creates it at boot).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

    const identity = join(leadDir, 'id_ed25519');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `crewmux-lab-${id}`, '-f', identity]);
    const publicKey = readFileSync(`${identity}.pub`, 'utf8');
    const knownHosts = join(leadDir, 'known_hosts');
    const sshConfig = join(leadDir, 'ssh_config');

    for (let i = 0; i < count; i++) {
      const ns = `cx${id}-n${i}`;
      run(ip, ['netns', 'add', ns]);
      namespaces.push(ns);
      const leadIf = `cx${id}l${i}`;
      const nodeIf = `cx${id}n${i}`;
      const leadIp = `10.231.0.${4 * i + 1}`;
      const nodeIp = `10.231.0.${4 * i + 2}`;
      run(ip, ['link', 'add', leadIf, 'type', 'veth', 'peer', 'name', nodeIf]);
      run(ip, ['link', 'set', leadIf, 'netns', leadNs]);
      run(ip, ['link', 'set', nodeIf, 'netns', ns]);
      run(ip, ['-n', leadNs, 'addr', 'add', `${leadIp}/30`, 'dev', leadIf]);
      run(ip, ['-n', ns, 'addr', 'add', `${nodeIp}/30`, 'dev', nodeIf]);
      run(ip, ['-n', leadNs, 'link', 'set', leadIf, 'up']);
      run(ip, ['-n', ns, 'link', 'set', nodeIf, 'up']);
      run(ip, ['-n', ns, 'link', 'set', 'lo', 'up']);

      const user = `cxn${id}${i}`;
      const home = join(dir, `home-${i}`);
      run('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/bin/sh', '--user-group', '-p', '*', user]);
      const uid = Number(run('id', ['-u', user]).trim());
      const gid = Number(run('id', ['-g', user]).trim());
      users.push({ user, uid });
      for (const d of [home, join(home, '.ssh'), join(home, 'bin')]) {
        mkdirSync(d, { mode: 0o700 });
        chownSync(d, uid, gid);
      }
      chmodSync(join(home, 'bin'), 0o755);
      writeFileSync(join(home, '.ssh', 'authorized_keys'), publicKey, { mode: 0o600 });
      chownSync(join(home, '.ssh', 'authorized_keys'), uid, gid);
      const wrapper = join(home, 'bin', 'crewmux');
      writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${nodeBin} "$@"\n`, { mode: 0o755 });
      chownSync(wrapper, uid, gid);
      const path = [...(o.crewmuxOnPath === false ? [] : [join(home, 'bin')]), '/usr/local/bin', '/usr/bin', '/bin'];

      const nodeDir = join(leadDir, `node${i}`);
      mkdirSync(nodeDir, { mode: 0o700 });
      const hostKey = join(nodeDir, 'ssh_host_ed25519_key');
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', hostKey]);
      const [keyType, keyData] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
      const hostName = port === 22 ? nodeIp : `[${nodeIp}]:${port}`;
      const node: LabNode = {
        name: `node${i}`,
        ns,
        ip: nodeIp,
        leadIp,
        port,
        user,
        uid,
        home,
        nodeIf,
        leadIf,
        sshdPid: 0,
        sshdLog: join(nodeDir, 'sshd.log'),
        hostKeyLine: `${hostName} ${keyType} ${keyData}`,
        target: `${user}@${nodeIp}${port === 22 ? '' : `:${port}`}`,
      };
      const config = join(nodeDir, 'sshd_config');
      writeFileSync(config, sshdConfig({ node, hostKey, pidFile: join(nodeDir, 'sshd.pid'), path: path.join(':') }), {
        mode: 0o600,
      });
      run(SSHD, ['-t', '-f', config]);
      const child = spawn(ip, ['netns', 'exec', ns, SSHD, '-D', '-e', '-f', config, '-E', node.sshdLog], {
        stdio: 'ignore',
        detached: true,
      });
      child.unref();
      // `ip netns exec` execs sshd in place, so the child's pid is sshd's.
      node.sshdPid = child.pid!;
      nodes.push(node);
    }

    writeFileSync(knownHosts, nodes.map((n) => n.hostKeyLine).join('\n') + '\n', { mode: 0o600 });
    writeFileSync(
      sshConfig,
      [
        'Host *',
        `  IdentityFile ${identity}`,
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  ForwardAgent no',
        '  ConnectTimeout 10',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    for (const n of nodes)
      await waitFor(
        `sshd of ${n.name} to listen (log ${n.sshdLog})`,
        () => existsSync(n.sshdLog) && readFileSync(n.sshdLog, 'utf8').includes('Server listening'),
        15_000,
        50,
      );

    const runuser = run('sh', ['-c', 'command -v runuser']).trim();
    const asNode = (node: LabNode, argv: readonly string[]) =>
      spawnSync(ip, ['netns', 'exec', node.ns, runuser, '-u', node.user, '--', ...argv], {
        encoding: 'utf8',
        cwd: node.home,
        env: { PATH: `${join(node.home, 'bin')}:/usr/local/bin:/usr/bin:/bin`, HOME: node.home, LANG: 'C.UTF-8' },
      });
    for (const n of nodes.slice(0, 1)) {
      const r = asNode(n, [process.execPath, nodeBin, '--version']);
      if (r.status !== 0)
        throw new Error(
          `node user ${n.user} cannot run this checkout's ${BIN} through ${nodeBin} (exit ${r.status}: ${r.stderr.trim()}): ` +
            'make bin/, dist/ and node_modules readable and searchable by other users (chmod -R o+rX)',
        );
    }

    const inLead = (argv: readonly string[]) => [ip, 'netns', 'exec', leadNs, ...argv];
    return {
      dir,
      nodePath,
      leadDir,
      leadNs,
      nodes,
      sshConfig,
      knownHosts,
      identity,
      sshCommand: `ssh -F ${sshConfig}`,
      inLead,
      runInLead(argv, opts = {}) {
        return new Promise((resolve) => {
          const [file, ...args] = inLead(argv);
          const child = spawn(file!, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'pipe' });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
          child.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
          });
          // A command that exits before reading its stdin (ssh on a quick refusal) must not fail the test with EPIPE.
          child.stdin.on('error', () => undefined);
          child.stdin.end(opts.input ?? '');
        });
      },
      asNode,
      linkDown: (node) => run(ip, ['-n', node.ns, 'link', 'set', node.nodeIf, 'down']),
      async linkUp(node) {
        run(ip, ['-n', node.ns, 'link', 'set', node.nodeIf, 'up']);
        const up = (ns: string, dev: string) => /state UP/.test(run(ip, ['-n', ns, '-o', 'link', 'show', dev]));
        await waitFor(
          `${node.name}'s link to come back up`,
          () => up(node.ns, node.nodeIf) && up(leadNs, node.leadIf),
          10_000,
          50,
        );
        // A neighbour entry that failed while the link was down would answer "No route to host" for a while.
        spawnSync(ip, ['-n', leadNs, 'neigh', 'flush', 'dev', node.leadIf]);
        spawnSync(ip, ['-n', node.ns, 'neigh', 'flush', 'dev', node.nodeIf]);
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
