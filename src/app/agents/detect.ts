/**
 * `crewmux detect`: probes every registry entry in parallel. Each probe has its own deadline (exec's
 * SIGTERM/SIGKILL plus a race for binaries whose children keep stdout open), so one hanging binary
 * cannot stall the list.
 */
import { exec as realExec } from '../../adapters/process/exec.js';
import { which as realWhich } from '../../adapters/process/which.js';
import type { AgentProfile, Capabilities, McpWiring } from '../../core/agents/profile.js';
import { versionFit, versionWarning, type VerifiedRange, type VersionFit } from '../../core/agents/verified.js';

export interface DetectedAgent {
  name: string;
  description: string;
  family: string;
  scripted: boolean;
  found: boolean;
  path?: string;
  version?: string;
  /** Why the version probe gave nothing (timeout, exit code). */
  probeError?: string;
  capabilities: Capabilities;
  /** Found, supported and has an MCP client. */
  canLead: boolean;
  /** Why crewmux will not launch it (AgentProfile.unsupported); absent = supported. */
  unsupported?: string;
  mcpWiring?: McpWiring;
  /** The versions crewmux's launch entry was verified on, if any. */
  verified?: VerifiedRange;
  /** How `version` relates to `verified` (core/agents/verified.ts). */
  versionFit: VersionFit;
  /** Set when the installed version is outside the verified range: what may break and what to do. */
  versionWarning?: string;
  /** Why no real run verified it (AgentProfile.unverifiable); absent otherwise. */
  unverifiable?: string;
  install?: string;
}

export interface DetectDeps {
  agents: readonly AgentProfile[];
  env: NodeJS.ProcessEnv;
  exec?: typeof realExec;
  which?: typeof realWhich;
  /** Per-probe deadline in milliseconds (default 8 000). */
  timeoutMs?: number;
}

/** The first version-looking token of `text` (`2.1.197`, `v0.61.0`, `codex-cli 0.169.0`). */
export function parseVersion(text: string): string | undefined {
  return /\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?/.exec(text)?.[0];
}

/** `d` with its version judged against the agent's verified range. */
function judged(a: AgentProfile, d: DetectedAgent): DetectedAgent {
  const warning = versionWarning(a.name, d.version, a.verified, a.install);
  return { ...d, versionFit: versionFit(d.version, a.verified), ...(warning ? { versionWarning: warning } : {}) };
}

async function probe(a: AgentProfile, deps: DetectDeps): Promise<DetectedAgent> {
  const whichFn = deps.which ?? realWhich;
  const execFn = deps.exec ?? realExec;
  const timeoutMs = deps.timeoutMs ?? 8_000;
  const base: DetectedAgent = {
    name: a.name,
    description: a.description,
    family: a.family,
    scripted: a.scripted ?? false,
    found: false,
    capabilities: a.capabilities,
    canLead: false,
    mcpWiring: a.mcpWiring,
    verified: a.verified,
    versionFit: versionFit(undefined, a.verified),
    install: a.install,
    ...(a.unsupported ? { unsupported: a.unsupported } : {}),
    ...(a.unverifiable ? { unverifiable: a.unverifiable } : {}),
  };
  const path = a.binaries.map((b) => whichFn(b, deps.env.PATH)).find((p): p is string => p !== undefined);
  if (!path) return base;
  const found = { ...base, found: true, path, canLead: a.capabilities.mcpClient && !a.unsupported };
  if (a.versionArgs.length === 0) return found;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), timeoutMs + 1_500);
  });
  try {
    const r = await Promise.race([
      execFn(path, a.versionArgs, { env: deps.env, timeoutMs, killGraceMs: 1_000, reject: false }),
      deadline,
    ]);
    if (r === 'deadline')
      return { ...found, probeError: `no answer to ${a.versionArgs.join(' ')} within ${timeoutMs} ms` };
    const version = parseVersion(r.stdout) ?? parseVersion(r.stderr);
    if (r.timedOut)
      return { ...found, version, probeError: `${a.versionArgs.join(' ')} timed out after ${timeoutMs} ms` };
    if (version) return { ...found, version };
    return { ...found, probeError: `${a.versionArgs.join(' ')} exited ${r.exitCode ?? r.signal} without a version` };
  } catch (e) {
    return { ...found, probeError: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes all `deps.agents` in parallel; resolves in registry order, never rejects. Each found version is judged
 * against the agent's verified range (`versionFit`, and `versionWarning` outside it).
 */
export function detectAgents(deps: DetectDeps): Promise<DetectedAgent[]> {
  return Promise.all(deps.agents.map(async (a) => judged(a, await probe(a, deps))));
}
