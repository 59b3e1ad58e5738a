/**
 * `crewmux node ACTION`: add, list, check, remove (worker nodes over SSH, kept in the global config) and
 * serve (the node side: `crewmux node serve --stdio`, started by the lead host through ssh). One yargs
 * command with an action positional, like `skill`; each action calls a use case in src/app/nodes.
 */
import type { Argv } from 'yargs';
import { numberOption, type Command } from '../command.js';
import type { AppContext } from '../../compose/app-context.js';
import { nodeDeps, receiveNodeClone, serveNodeStdio } from '../../compose/nodes.js';
import { addNode, checkNode, listNodes, removeNode, type NodeStatus } from '../../app/nodes/manage.js';
import { EXIT, UserError } from '../../core/errors.js';
import { formatTarget } from '../../core/nodes/target.js';
import { mb } from '../../core/workers/memory.js';

const ACTIONS = ['add', 'list', 'check', 'remove', 'serve', 'clone-receive'] as const;
type Action = (typeof ACTIONS)[number];

function required(action: Action, value: unknown, what: string, usage: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new UserError('E_BAD_FLAG', `crewmux node ${action} needs ${what}.`, `Run \`crewmux node ${usage}\`.`);
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '?' : mb(bytes);
}

/** One node as lines for people. */
function renderStatus(s: NodeStatus): string[] {
  const h = s.hello;
  const state = s.ok ? 'ok' : s.reachable ? 'not usable' : 'unreachable';
  const lines = [`${s.name}  ${s.target}  ${state}`];
  if (h) {
    const agents = h.agents.filter((a) => a.found).map((a) => `${a.name}${a.version ? ` ${a.version}` : ''}`);
    lines.push(
      `  crewmux ${h.version} on ${h.hostname} (${h.platform}); data dir ${h.dataDir}`,
      `  free memory ${mib(h.freeMemoryBytes)} of ${mib(h.totalMemoryBytes)}; workers running ${h.workersRunning}${s.maxWorkers !== undefined ? ` (max ${s.maxWorkers})` : ''}`,
      `  agents: ${agents.length ? agents.join(', ') : 'none found'}${s.allowedAgents ? ` (allowed: ${s.allowedAgents.join(', ')})` : ''}`,
    );
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  if (s.error) lines.push(`  error ${s.error.code}: ${s.error.message}`, `  fix: ${s.error.hint}`);
  return lines;
}

async function run(action: Action, a: Record<string, unknown>, ctx: AppContext): Promise<number> {
  const json = a.json === true;
  if (action === 'serve') {
    if (a.stdio !== true)
      throw new UserError(
        'E_BAD_FLAG',
        '`crewmux node serve` speaks only over stdin and stdout: pass --stdio.',
        'The lead host runs it for you through ssh; to try it yourself: `crewmux node serve --stdio`.',
      );
    await serveNodeStdio(ctx);
    return EXIT.ok;
  }
  if (action === 'clone-receive') {
    // Run by the lead host through ssh with a tar stream on stdin (docs/architecture.md "Worker nodes: cloned folders").
    const answer = await receiveNodeClone(ctx, {
      repoId: a['repo-id'],
      folder: a.folder,
      fingerprint: a.fingerprint,
      maxBytes: Number(a['max-bytes']),
    });
    ctx.out.out(JSON.stringify(answer));
    return EXIT.ok;
  }
  const deps = nodeDeps(ctx);
  switch (action) {
    case 'add': {
      const name = required(action, a.name, 'a NAME and a [user@]host[:port]', 'add NAME [user@]host[:port]');
      // After `--` yargs leaves words in `_`: `node add x -- -oProxyCommand=...` must reach the host check, not vanish.
      const rest = Array.isArray(a._) ? a._.slice(1).map(String) : [];
      const target = required(action, a.target ?? rest[0], 'a [user@]host[:port]', `add ${name} [user@]host[:port]`);
      const agents =
        typeof a.agents === 'string'
          ? a.agents
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
      const status = await addNode(
        {
          name,
          target,
          ...(typeof a['max-workers'] === 'number' ? { maxWorkers: a['max-workers'] } : {}),
          ...(agents ? { agents } : {}),
          ...(typeof a['crewmux-path'] === 'string' ? { crewmuxPath: a['crewmux-path'] } : {}),
        },
        deps,
      );
      if (json) ctx.out.json(status);
      else {
        ctx.out.out(`added node ${status.name} (${status.target})`);
        for (const l of renderStatus(status)) ctx.out.out(l);
      }
      return EXIT.ok;
    }
    case 'list': {
      const nodes = await listNodes(deps);
      if (json) ctx.out.json({ nodes });
      else if (!nodes.length) ctx.out.out('no nodes: add one with `crewmux node add NAME [user@]host[:port]`');
      else for (const s of nodes) for (const l of renderStatus(s)) ctx.out.out(l);
      return EXIT.ok;
    }
    case 'check': {
      const status = await checkNode(required(action, a.name, 'a NAME', 'check NAME'), deps);
      if (json) ctx.out.json(status);
      else for (const l of renderStatus(status)) ctx.out.out(l);
      return status.ok ? EXIT.ok : EXIT.failed;
    }
    case 'remove': {
      const name = required(action, a.name, 'a NAME', 'remove NAME');
      const spec = await removeNode(name, deps);
      if (json) ctx.out.json({ removed: name });
      else ctx.out.out(`removed node ${name} (${formatTarget(spec)})`);
      return EXIT.ok;
    }
  }
}

export const nodeCommand: Command = {
  command: 'node <action> [name] [target]',
  describe: 'Worker nodes over SSH: add, list, check, remove (and serve, the node side)',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ACTIONS,
        describe:
          'add NAME [user@]host[:port] | list | check NAME | remove NAME | serve --stdio, clone-receive (run by the lead host over ssh)',
      })
      .positional('name', { type: 'string', describe: 'The node name (lowercase letters, digits, - and _)' })
      .positional('target', { type: 'string', describe: 'add: [user@]host[:port] (a host from ~/.ssh/config works)' })
      .option(
        'max-workers',
        numberOption('max-workers', 'add: workers this node runs at once', { positive: true, integer: true, max: 64 }),
      )
      .option('agents', {
        type: 'string',
        describe: 'add: the agents this node may run, comma-separated (default: any)',
      })
      .option('crewmux-path', {
        type: 'string',
        describe: 'add: crewmux on the node, when it is not on the PATH of a non-interactive ssh session',
      })
      .option('stdio', { type: 'boolean', default: false, describe: 'serve: speak JSON-RPC lines on stdin and stdout' })
      .option('repo-id', { type: 'string', hidden: true })
      .option('folder', { type: 'string', hidden: true })
      .option('fingerprint', { type: 'string', hidden: true })
      .option('max-bytes', { type: 'string', hidden: true })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
  handler: (a, ctx) => run(a.action as Action, a, ctx),
};
