/**
 * Finding running agents on this machine: shim cards (stale ones of dead pids are removed), mDNS
 * adverts of local shims, and a scan of the tmux server's panes whose process trees run a known agent
 * CLI. crewmux's own sessions (`crewmux-<sid>`) and processes with CREWMUX_ROLE are skipped.
 * A shim counts only through a socket at `<agents dir>/<id>.sock` that is a socket of this user (not a
 * symlink), and a card only when its file is this user's, mode 0600: an advert or card cannot point
 * crewmux at someone else's socket (docs/security/discovery.md).
 */
import { join } from 'node:path';
import type { Tmux } from '../ports/tmux.js';
import type { CardStore } from '../../adapters/external/card-store.js';
import type { MdnsService } from '../../adapters/external/mdns.js';
import { descendants, findAgentInTree, type ProcessInfo } from '../../core/agents/recognition.js';
import {
  mergeDiscovered,
  type AdvertisedShim,
  type DiscoveredAgent,
  type ScannedPane,
} from '../../core/external/discovery-merge.js';
import { MdnsTxtSchema, type AgentCard } from '../../core/external/shim-protocol.js';
import { tmuxSessionName } from '../../core/session/naming.js';
import type { Paths } from '../session/paths.js';

/** What discovery needs; `createExternalAgentDeps` in external-agents.ts builds the production set. */
export interface DiscoveryDeps {
  /** Card directory (`agentsDir(paths)`). */
  cards: CardStore;
  /** The tmux server to scan; null skips the pane scan. */
  tmux: Tmux | null;
  /** Browses `_crewmux-agent._tcp` for `durationMs`; null skips mDNS. */
  browseMdns: ((durationMs: number) => Promise<MdnsService[]>) | null;
  /** How long to listen for mDNS answers, in ms (default 500). */
  mdnsBrowseMs?: number;
  /** This machine's hostname: adverts from other hosts are ignored (their sockets are not reachable). */
  hostname: string;
  processTable: () => ProcessInfo[];
  isAlive: (pid: number) => boolean;
  /** True when process `pid`'s environment defines `key` (false when unreadable). */
  environHas: (pid: number, key: string) => boolean;
  /** True when `path` is a Unix socket of this user, not a symlink (a shim's socket; card-store.ts isOwnSocket). */
  isOwnSocket: (path: string) => boolean;
}

export interface DiscoveryResult {
  agents: DiscoveredAgent[];
  /** Card files removed because their shim's pid is dead. */
  pruned: string[];
  /** Sources that failed (tmux missing, mDNS unavailable, unreadable cards); discovery went on without them. */
  warnings: string[];
}

/** `<runtimeDir>/agents`: where shims put cards and sockets. */
export function agentsDir(paths: Paths): string {
  return join(paths.runtimeDir, 'agents');
}

const CREWMUX_SESSION_PREFIX = tmuxSessionName('');

function liveCards(deps: DiscoveryDeps, pruned: string[], warnings: string[], crewmuxOwn: Set<string>): AgentCard[] {
  const out: AgentCard[] = [];
  for (const { file, card, problem } of deps.cards.list()) {
    if (problem) {
      warnings.push(`ignored ${file}: ${problem}`);
      continue;
    }
    if (!card) {
      warnings.push(`ignored ${file}: not a valid agent card`);
      continue;
    }
    // The shim puts its socket beside its card; a card naming any other path is not a shim's.
    const socket = deps.cards.socketPath(card.id);
    if (card.socket !== socket) {
      warnings.push(`ignored ${file}: its socket ${card.socket} is not ${socket}`);
      continue;
    }
    if (!deps.isAlive(card.pid)) {
      deps.cards.remove(file);
      deps.cards.remove(socket);
      pruned.push(file);
      continue;
    }
    if (!deps.isOwnSocket(socket)) {
      warnings.push(`ignored ${file}: ${socket} is not a socket of this user`);
      continue;
    }
    if (card.crewmuxRole) {
      crewmuxOwn.add(card.id);
      continue;
    }
    out.push(card);
  }
  return out;
}

async function liveAdverts(deps: DiscoveryDeps, warnings: string[]): Promise<AdvertisedShim[]> {
  if (!deps.browseMdns) return [];
  try {
    const services = await deps.browseMdns(deps.mdnsBrowseMs ?? 500);
    const out: AdvertisedShim[] = [];
    for (const s of services) {
      const t = MdnsTxtSchema.safeParse(s.txt);
      if (!t.success) continue; // someone else's service of our type, or a newer version
      // Any local user can advertise: only the socket in our own agents dir, of our own user, is trusted, whatever
      // the advert says (the TXT names no path; the id names the socket, `shim-<pid>`).
      const socket = deps.cards.socketPath(t.data.id);
      if (
        t.data.role ||
        t.data.id !== `shim-${t.data.pid}` ||
        t.data.host !== deps.hostname ||
        !deps.isAlive(Number(t.data.pid)) ||
        !deps.isOwnSocket(socket)
      )
        continue;
      out.push({ ...t.data, socket });
    }
    return out;
  } catch (e) {
    warnings.push(`mDNS browse failed: ${(e as Error).message}`);
    return [];
  }
}

/** Panes of the tmux server that are alive and not crewmux's own, with their process trees. */
export async function scanPanes(deps: DiscoveryDeps, warnings: string[]): Promise<ScannedPane[]> {
  if (!deps.tmux) return [];
  let panes;
  try {
    panes = await deps.tmux.listAllPanes();
  } catch (e) {
    warnings.push(`tmux scan failed: ${(e as Error).message}`);
    return [];
  }
  const live = panes.filter((p) => !p.dead && !p.session.startsWith(CREWMUX_SESSION_PREFIX));
  if (live.length === 0) return [];
  const table = deps.processTable();
  const out: ScannedPane[] = [];
  for (const p of live) {
    const tree = descendants(table, p.pid);
    if (tree.some((proc) => deps.environHas(proc.pid, 'CREWMUX_ROLE'))) continue;
    const found = findAgentInTree(tree);
    out.push({
      session: p.session,
      paneId: p.paneId,
      target: p.target,
      cwd: p.cwd,
      socketPath: p.socketPath,
      treePids: tree.map((t) => t.pid),
      ...(found ? { agent: { name: found.agent, pid: found.process.pid, argv: found.process.argv } } : {}),
    });
  }
  return out;
}

/** Runs every source (mDNS in parallel with the others) and merges them; never throws for a failing source. */
export async function runDiscovery(deps: DiscoveryDeps, opts: { mdns?: boolean } = {}): Promise<DiscoveryResult> {
  const pruned: string[] = [];
  const warnings: string[] = [];
  const adverts = opts.mdns === false ? Promise.resolve([]) : liveAdverts(deps, warnings);
  const crewmuxOwn = new Set<string>();
  const cards = liveCards(deps, pruned, warnings, crewmuxOwn);
  const panes = await scanPanes(deps, warnings);
  const mdns = (await adverts).filter((t) => !crewmuxOwn.has(t.id));
  const agents = mergeDiscovered({ cards, mdns, panes });
  return { agents, pruned, warnings };
}
