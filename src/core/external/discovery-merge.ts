/**
 * Merging what discovery sees (shim cards, mDNS adverts, tmux panes) into one entry per agent. Pure:
 * liveness and crewmux-ownership were decided by the caller; this only dedupes and names.
 */
import type { AgentCard, MdnsTxt } from './shim-protocol.js';

export type DiscoverySource = 'card' | 'mdns' | 'tmux';

/** One running agent, as returned to the lead and by `crewmux agents --json`. */
export interface DiscoveredAgent {
  /** `shim-<pid>` for shim agents, `tmux-%<n>` for agents in plain tmux panes. */
  id: string;
  /** Agent name: a known CLI (claude, codex, ...) or, for a shim, its command's basename. */
  agent: string;
  /** How crewmux talks to it: the shim's socket, or tmux paste/capture. */
  via: 'shim' | 'tmux';
  /** The shim's pid, or the agent process's pid in a plain pane. */
  pid: number;
  cwd?: string;
  /** The agent's command line (the shim's AGENT ARGS, or the process argv in a plain pane). */
  command?: string[];
  sources: DiscoverySource[];
  tmux?: { session: string; paneId: string; target: string };
  /** Unix socket of a shim. */
  socket?: string;
  startedAt?: string;
}

/** A live, non-crewmux tmux pane with its process tree (pids) and the agent recognised in it, if any. */
export interface ScannedPane {
  session: string;
  paneId: string;
  target: string;
  cwd: string;
  socketPath: string;
  treePids: number[];
  agent?: { name: string; pid: number; argv: string[] };
}

/** A validated TXT record of a live local shim, with the socket discovery found for it (`<agents dir>/<id>.sock`). */
export type AdvertisedShim = MdnsTxt & { socket: string };

export interface MergeInput {
  cards: AgentCard[];
  /** Adverts of live local shims whose socket passed the ownership checks. */
  mdns: AdvertisedShim[];
  panes: ScannedPane[];
}

/** One entry per agent: a shim seen as card, advert and pane is one `shim-` entry; panes without a shim need a recognised agent. */
export function mergeDiscovered(input: MergeInput): DiscoveredAgent[] {
  const shims = new Map<string, DiscoveredAgent & { tmuxPane?: string; tmuxSocket?: string }>();
  for (const c of input.cards) {
    shims.set(c.id, {
      id: c.id,
      agent: c.agent,
      via: 'shim',
      pid: c.pid,
      cwd: c.cwd,
      command: [c.command, ...c.args],
      sources: ['card'],
      socket: c.socket,
      startedAt: c.startedAt,
      tmuxPane: c.tmuxPane,
      tmuxSocket: c.tmuxSocket,
    });
  }
  for (const t of input.mdns) {
    const known = shims.get(t.id);
    if (known) {
      if (!known.sources.includes('mdns')) known.sources.push('mdns');
      continue;
    }
    shims.set(t.id, { id: t.id, agent: t.agent, via: 'shim', pid: Number(t.pid), sources: ['mdns'], socket: t.socket });
  }
  const plain: DiscoveredAgent[] = [];
  const seenPanes = new Set<string>();
  for (const p of input.panes) {
    if (seenPanes.has(p.paneId)) continue;
    seenPanes.add(p.paneId);
    const tree = new Set(p.treePids);
    const shim = [...shims.values()].find(
      (s) => tree.has(s.pid) || (s.tmuxPane === p.paneId && s.tmuxSocket === p.socketPath),
    );
    if (shim) {
      shim.tmux = { session: p.session, paneId: p.paneId, target: p.target };
      if (!shim.sources.includes('tmux')) shim.sources.push('tmux');
      continue;
    }
    if (!p.agent) continue;
    plain.push({
      id: `tmux-${p.paneId}`,
      agent: p.agent.name,
      via: 'tmux',
      pid: p.agent.pid,
      cwd: p.cwd,
      command: p.agent.argv,
      sources: ['tmux'],
      tmux: { session: p.session, paneId: p.paneId, target: p.target },
    });
  }
  const out = [...shims.values()].map(({ tmuxPane: _a, tmuxSocket: _b, ...rest }) => rest);
  return [...out, ...plain].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}
