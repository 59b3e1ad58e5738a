/**
 * `crewmux node add|list|check|remove`: nodes kept in the global config, each probed over its channel
 * (`hello`: version, agents, memory, workers). A node is usable when it answers and runs this crewmux
 * version; every failure becomes a UserError whose hint names this node's host (core/nodes/ssh-failure.ts
 * says which).
 */
import { ERROR_CODES, UserError, type ErrorCode } from '../../core/errors.js';
import { nodeEntries, type NodesConfig, type NodeSpec } from '../../core/nodes/node-config.js';
import { HelloResultSchema, NODE_PROTOCOL, type HelloResult } from '../../core/nodes/protocol.js';
import { failureCode, NodeLinkError, type NodeLinkFailure } from '../../core/nodes/ssh-failure.js';
import { checkNodeName, formatTarget, parseNodeTarget, type NodeTarget } from '../../core/nodes/target.js';
import type { NodeConnector, NodesConfigStore } from '../ports/nodes.js';

/** What the node use cases need: the config store, the ssh connector and this crewmux's version. */
export interface NodeDeps {
  config: NodesConfigStore;
  connector: NodeConnector;
  version: string;
  /** Milliseconds one probe may take, connection included (default 45 000). */
  probeTimeoutMs?: number;
}

/** A node as `node list`/`node check` show it: its config, and what it answered (or why it did not). */
export interface NodeStatus {
  name: string;
  /** `user@host:port` as configured. */
  target: string;
  maxWorkers?: number;
  /** The agents the node may run (unset: any). */
  allowedAgents?: string[];
  /** It answered `hello`. */
  reachable: boolean;
  /** Reachable and running this crewmux version: workers may go there. */
  ok: boolean;
  hello?: HelloResult;
  error?: { code: ErrorCode; message: string; hint: string };
  /** Things worth knowing that do not make it unusable (an allowed agent missing there). */
  warnings: string[];
}

const targetOf = (spec: NodeSpec): NodeTarget => ({
  host: spec.host,
  ...(spec.user !== undefined ? { user: spec.user } : {}),
  ...(spec.port !== undefined ? { port: spec.port } : {}),
});

/** The hint of `code` with this node's host and name in place of the placeholders. */
function nodeHint(code: ErrorCode, name: string, spec: NodeSpec): string {
  const ssh = `${spec.port !== undefined ? `-p ${spec.port} ` : ''}${spec.user !== undefined ? `${spec.user}@` : ''}${spec.host}`;
  return ERROR_CODES[code][2]
    .replaceAll('[user@]host', ssh)
    .replaceAll('ssh-keygen -R HOST', `ssh-keygen -R ${spec.port ? `'[${spec.host}]:${spec.port}'` : spec.host}`)
    .replaceAll('NAME', name);
}

/** The UserError for a node whose channel failed with `failure`, naming the node and what ssh said. */
export function nodeLinkUserError(name: string, spec: NodeSpec, failure: NodeLinkFailure): UserError {
  const { code, detail } = failureCode(failure);
  const where = `node ${name} (${formatTarget(targetOf(spec))})`;
  const text = ERROR_CODES[code][1].replace(/\.$/, '');
  const what = text.charAt(0).toLowerCase() + text.slice(1);
  const missing = code === 'E_NODE_NO_CREWMUX' && spec.crewmuxPath ? ` (${spec.crewmuxPath})` : '';
  return new UserError(code, `${where}: ${what}${missing}${detail ? `: ${detail}` : ''}.`, nodeHint(code, name, spec));
}

/**
 * E_NODE_VERSION when node `name` answered `hello` with another crewmux version or node protocol than this host's;
 * undefined when both match. The same version with another protocol is two builds of one version (a dev build, a
 * checkout): said as such.
 */
export function versionError(
  name: string,
  spec: NodeSpec,
  hello: Pick<HelloResult, 'version' | 'protocol'>,
  version: string,
): UserError | undefined {
  if (hello.version === version && hello.protocol === NODE_PROTOCOL) return undefined;
  const where = `node ${name} (${formatTarget(targetOf(spec))})`;
  if (hello.version === version)
    return new UserError(
      'E_NODE_VERSION',
      `${where} runs crewmux ${version} speaking node protocol ${hello.protocol}; this host's crewmux ${version} speaks node protocol ${NODE_PROTOCOL} (two different builds of the same version).`,
      `Install the same build on both (the one of this host, e.g. \`npm install -g crewmux@${version}\` on both or the same checkout's \`npm pack\`), then \`crewmux node check ${name}\`.`,
    );
  return new UserError(
    'E_NODE_VERSION',
    `${where} runs crewmux ${hello.version} (node protocol ${hello.protocol}); this host runs ${version} (node protocol ${NODE_PROTOCOL}).`,
    `Install the same version on both: \`npm install -g crewmux@${version}\` on ${spec.host}, then \`crewmux node check ${name}\`.`,
  );
}

const asStatusError = (e: UserError) => ({ code: e.code, message: e.message, hint: e.hint });

/**
 * Opens `spec`'s channel, asks `hello` and closes it. Never throws: an unreachable node, another version or
 * a broken answer is a status with `error`.
 */
export async function probeNode(name: string, spec: NodeSpec, deps: NodeDeps): Promise<NodeStatus> {
  const base: NodeStatus = {
    name,
    target: formatTarget(targetOf(spec)),
    ...(spec.maxWorkers !== undefined ? { maxWorkers: spec.maxWorkers } : {}),
    ...(spec.agents !== undefined ? { allowedAgents: spec.agents } : {}),
    reachable: false,
    ok: false,
    warnings: [],
  };
  let channel;
  try {
    channel = await deps.connector.open(spec);
  } catch (e) {
    if (e instanceof UserError) return { ...base, error: asStatusError(e) };
    throw e;
  }
  try {
    const raw = await channel.call(
      'hello',
      { version: deps.version, protocol: NODE_PROTOCOL, ...(spec.agents ? { agents: spec.agents } : {}) },
      deps.probeTimeoutMs ?? 45_000,
    );
    const parsed = HelloResultSchema.safeParse(raw);
    if (!parsed.success)
      return {
        ...base,
        error: asStatusError(
          nodeLinkUserError(name, spec, {
            kind: 'protocol',
            detail: `hello answered ${JSON.stringify(raw).slice(0, 200)}`,
          }),
        ),
      };
    const hello = parsed.data;
    const reachable = { ...base, reachable: true, hello };
    const bad = versionError(name, spec, hello, deps.version);
    if (bad) return { ...reachable, error: asStatusError(bad) };
    const missing = (spec.agents ?? []).filter((a) => !hello.agents.some((h) => h.name === a && h.found));
    return {
      ...reachable,
      ok: true,
      warnings: missing.length ? [`not installed on the node: ${missing.join(', ')}`] : [],
    };
  } catch (e) {
    if (e instanceof NodeLinkError) return { ...base, error: asStatusError(nodeLinkUserError(name, spec, e.failure)) };
    throw e;
  } finally {
    await channel.close();
  }
}

/** What `node add` is given (flags as parsed). */
export interface AddNodeInput {
  name: string;
  /** `[user@]host[:port]`. */
  target: string;
  maxWorkers?: number;
  agents?: string[];
  crewmuxPath?: string;
}

function nodesOf(deps: NodeDeps): NodesConfig {
  return deps.config.read() ?? {};
}

function specOf(nodes: NodesConfig, name: string): NodeSpec {
  const spec = nodeEntries(nodes).find(([n]) => n === name)?.[1];
  if (!spec)
    throw new UserError(
      'E_NODE_UNKNOWN',
      `No node named ${JSON.stringify(name)} is configured${
        nodeEntries(nodes).length
          ? ` (nodes: ${nodeEntries(nodes)
              .map(([n]) => n)
              .join(', ')})`
          : ''
      }.`,
    );
  return spec;
}

/**
 * Adds a node: checks the name and host, refuses a taken name (E_NODE_EXISTS), probes it and stores it in the
 * global config only when it answers with this crewmux version; otherwise ends its shared connection and
 * throws the probe's UserError.
 */
export async function addNode(input: AddNodeInput, deps: NodeDeps): Promise<NodeStatus> {
  const name = checkNodeName(input.name);
  const target = parseNodeTarget(input.target);
  if (input.crewmuxPath !== undefined && !input.crewmuxPath.startsWith('/'))
    throw new UserError(
      'E_BAD_FLAG',
      `--crewmux-path must be an absolute path on the node; got ${JSON.stringify(input.crewmuxPath)}.`,
      'Give the full path, e.g. `--crewmux-path /opt/node/bin/crewmux`.',
    );
  const nodes = nodesOf(deps);
  if (nodeEntries(nodes).some(([n]) => n === name))
    throw new UserError('E_NODE_EXISTS', `A node named ${name} is already configured.`);
  const spec: NodeSpec = {
    ...target,
    ...(input.maxWorkers !== undefined ? { maxWorkers: input.maxWorkers } : {}),
    ...(input.agents?.length ? { agents: input.agents } : {}),
    ...(input.crewmuxPath !== undefined ? { crewmuxPath: input.crewmuxPath } : {}),
  };
  const status = await probeNode(name, spec, deps);
  if (status.error) {
    // A node refused for its version still has a shared connection up: end it with the refusal.
    await deps.connector.disconnect(spec);
    throw new UserError(status.error.code, status.error.message, status.error.hint);
  }
  deps.config.write({ ...nodesOf(deps), [name]: spec });
  return status;
}

/** Every configured node, probed in parallel, in name order. */
export async function listNodes(deps: NodeDeps): Promise<NodeStatus[]> {
  return Promise.all(nodeEntries(nodesOf(deps)).map(([name, spec]) => probeNode(name, spec, deps)));
}

/** One configured node, probed; E_NODE_UNKNOWN when there is none of that name. */
export async function checkNode(name: string, deps: NodeDeps): Promise<NodeStatus> {
  return probeNode(name, specOf(nodesOf(deps), name), deps);
}

/** Removes a node from the global config and ends its shared ssh connection; E_NODE_UNKNOWN when absent. */
export async function removeNode(name: string, deps: NodeDeps): Promise<NodeSpec> {
  const nodes = nodesOf(deps);
  const spec = specOf(nodes, name);
  const { [name]: _removed, ...rest } = nodes;
  deps.config.write(rest);
  await deps.connector.disconnect(spec);
  return spec;
}
