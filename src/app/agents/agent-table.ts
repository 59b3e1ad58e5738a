/**
 * The agents a run can use: the built-in registry plus custom agents from config (custom wins on a
 * name clash), each with the path of its binary when installed.
 */
import { BUILTIN_AGENTS } from '../../core/agents/registry.js';
import { customAgentProfile, type AgentProfile } from '../../core/agents/profile.js';
import type { Config } from '../../core/session/config-schema.js';
import { UserError } from '../../core/errors.js';
import { which } from '../../adapters/process/which.js';
import { apiLeadProfile } from '../../core/agents/profiles/api-lead.js';
import { API_LEAD, isApiLeadName, parseApiLeadName } from '../../core/api-lead/lead-spec.js';

export interface ResolvedAgent {
  profile: AgentProfile;
  /** Absolute path of the binary, or undefined when not installed. */
  binary?: string;
  /** The API lead's entry only: the router config its variants (`api:PROVIDER/MODEL`) are made with. */
  router?: Config['router'];
}

export type AgentTable = Map<string, ResolvedAgent>;

/**
 * The agent table: every built-in profile, then every custom agent of `config`, each with its binary looked up on
 * `pathVar` (undefined when not installed, never an error).
 */
export function resolveAgents(config: Config, pathVar: string | undefined): AgentTable {
  const table: AgentTable = new Map();
  const add = (p: AgentProfile) => {
    const binary = p.binaries.map((b) => (b === 'node' ? process.execPath : which(b, pathVar))).find(Boolean);
    table.set(p.name, { profile: p, binary });
  };
  for (const p of BUILTIN_AGENTS) add(p);
  table.set(API_LEAD, {
    profile: apiLeadProfile(API_LEAD, {}, config.router),
    binary: process.execPath,
    router: config.router,
  });
  for (const [name, c] of Object.entries(config.agents ?? {})) add(customAgentProfile(name, c));
  for (const [name, on] of Object.entries(config.acp ?? {})) {
    const a = table.get(name);
    if (!a?.profile.acp)
      throw new UserError(
        'E_CONFIG_INVALID',
        `config acp.${name}: ${a ? `agent "${name}" does not speak ACP` : `no agent is named "${name}"`}.`,
        `Remove acp.${name}; agents that speak ACP: ${[...table.values()]
          .filter((x) => x.profile.acp)
          .map((x) => x.profile.name)
          .join(', ')}.`,
      );
    table.set(name, { ...a, profile: { ...a.profile, acp: { ...a.profile.acp, workers: on } } });
  }
  return table;
}

/**
 * The agent named `name` in `table`: its entry, or for an API lead name with a provider (`api:gemini/MODEL`)
 * the `api` entry made for that provider and model; undefined when unknown. A custom agent named like one wins.
 */
export function lookupAgent(table: AgentTable, name: string): ResolvedAgent | undefined {
  const known = table.get(name);
  if (known || !isApiLeadName(name)) return known;
  const base = table.get(API_LEAD);
  const spec = parseApiLeadName(name);
  if (!base || 'error' in spec) return undefined;
  return { ...base, profile: apiLeadProfile(name, spec, base.router) };
}

/**
 * The agent named `name`, installed and able to play `role`; UserError otherwise (E_UNKNOWN_AGENT, E_LEAD_NO_MCP
 * with the agents that can lead, E_AGENT_UNAVAILABLE).
 */
export function requireAgent(
  table: AgentTable,
  name: string,
  role: 'lead' | 'worker',
): ResolvedAgent & { binary: string } {
  const a = lookupAgent(table, name);
  if (!a && isApiLeadName(name)) {
    const spec = parseApiLeadName(name);
    throw new UserError('E_BAD_FLAG', `Lead "${name}": ${'error' in spec ? spec.error : 'unknown'}.`);
  }
  if (!a) throw new UserError('E_UNKNOWN_AGENT', `Unknown agent "${name}". Known: ${[...table.keys()].join(', ')}.`);
  if (role === 'worker' && a.profile.leadOnly)
    throw new UserError(
      'E_AGENT_UNAVAILABLE',
      `Agent "${name}" cannot be a worker: ${a.profile.leadOnly}.`,
      'Choose a coding agent for workers (crewmux detect lists them).',
    );
  // Before the install check: installing an agent that cannot lead would not help.
  if (role === 'lead' && !a.profile.capabilities.mcpClient) {
    const leads = usableAgents(table)
      .filter((l) => l.profile.capabilities.mcpClient)
      .map((l) => l.profile.name);
    const pick = leads.length
      ? `Pick a lead that can: --lead ${leads[0]}${leads.length > 1 ? ` (or ${leads.slice(1).join(', ')})` : ''}, or "lead" in .crewmux/config.json.`
      : 'Install an agent with an MCP client to lead (`crewmux detect` shows which can lead).';
    const custom = BUILTIN_AGENTS.includes(a.profile)
      ? ''
      : ` If "${name}" does have an MCP client, set "canLead": true on it in config.json.`;
    throw new UserError(
      'E_LEAD_NO_MCP',
      `Agent "${name}" cannot lead: it has no MCP client, so it could not call crewmux's tools (it can still be a worker).`,
      pick + custom,
    );
  }
  if (!a.binary)
    throw new UserError(
      'E_AGENT_UNAVAILABLE',
      `Agent "${name}" is not installed (looked for ${a.profile.binaries.join(', ')} on PATH).`,
    );
  if (a.profile.unsupported)
    throw new UserError(
      'E_AGENT_UNAVAILABLE',
      `Agent "${name}" is not supported as a ${role}: ${a.profile.unsupported}.`,
      'Choose another agent (crewmux detect lists them).',
    );
  return a as ResolvedAgent & { binary: string };
}

/** The installed agents, real CLIs before scripted stand-ins (scripted ones only when nothing else is). */
export function usableAgents(table: AgentTable): ResolvedAgent[] {
  const installed = [...table.values()].filter((a) => a.binary && !a.profile.unsupported && !a.profile.leadOnly);
  const real = installed.filter((a) => !a.profile.scripted);
  return real.length ? real : [];
}

/**
 * Tests only (`CREWMUX_TEST_PANE_MARKERS=claude,codex`, read by compose/): the table with the named agents' pane
 * markers replaced by texts no screen shows, so a test proves their status comes from structured signals, not the
 * pane. Unknown names are ignored.
 */
export function withNonsenseMarkers(table: AgentTable, names: readonly string[]): AgentTable {
  const out: AgentTable = new Map(table);
  for (const name of names) {
    const a = out.get(name);
    const never = (what: string) => [`crewmux-test: no screen shows this ${what} marker`];
    if (a)
      out.set(name, {
        ...a,
        profile: { ...a.profile, markers: { ready: never('ready'), busy: never('busy'), waiting: never('waiting') } },
      });
  }
  return out;
}
